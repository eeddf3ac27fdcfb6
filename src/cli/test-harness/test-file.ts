/**
 * Reads and validates a `*.test.yaml` file (the format is documented in src/cli/commands/test.ts). Every error names
 * file:line:col and the key path, as rule files do; all errors of a file are returned together.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type Document, isMap, isScalar, isSeq, type Node, type Pair, type YAMLMap } from 'yaml';
import { parseEventTime } from '../../core/time.js';
import { type DslError, type ParamValue, type Position, parseYamlFile, type Report, sortErrors } from '../../dsl/index.js';

export type { Position };

/** What a test runs: one pattern (raw matches and timeouts), one rule (alerts), or only the program's streams. */
export type Target =
  | { readonly kind: 'pattern'; readonly name: string; readonly pos: Position }
  | { readonly kind: 'rule'; readonly id: string; readonly pos: Position }
  | { readonly kind: 'streams' };

export type InputEntry =
  | { readonly kind: 'record'; readonly record: Readonly<Record<string, unknown>>; readonly pos: Position }
  | { readonly kind: 'watermark'; readonly ms: number; readonly pos: Position }
  | { readonly kind: 'clock'; readonly ms: number; readonly pos: Position }
  | { readonly kind: 'raw'; readonly line: string; readonly pos: Position };

/** One expected output item: the YAML value as plain data, and where it was written. */
export interface ExpectedItem {
  readonly value: unknown;
  readonly pos: Position;
}

export interface ExpectedList {
  readonly items: readonly ExpectedItem[];
  readonly pos: Position;
  /**
   * exact: the output is exactly these items; contains: these items are among the output (others may be too);
   * count: only the number of items is checked (`count`).
   */
  readonly mode: 'exact' | 'contains' | 'count';
  readonly count?: number;
}

/** Output categories a test may assert; a stream's records are `stream:NAME`. */
export type Category = 'matches' | 'timeouts' | 'alerts' | 'late' | 'dead_letters' | `stream:${string}`;

export interface Expectations {
  /** In output order (default), or as a multiset. */
  readonly order: 'strict' | 'any';
  readonly lists: ReadonlyMap<Category, ExpectedList>;
}

export interface TestCase {
  readonly name: string;
  readonly pos: Position;
  readonly target: Target;
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly paramPositions: Readonly<Record<string, Position>>;
  /** Traffic record validation and schema (as `vigil run`), or raw JSON events (as `vigil match`). */
  readonly validate: boolean;
  readonly unbounded: boolean;
  /** The timeline of the one source the test reads (every source's entries, when given by source). */
  readonly input: readonly InputEntry[];
  /** `input: { SOURCE: [...], ... }` (or `input_file` so): each source's timeline; null for one plain list. */
  readonly bySource: ReadonlyMap<string, readonly InputEntry[]> | null;
  readonly expect: Expectations;
}

export interface TestFile {
  /** As shown in messages. */
  readonly file: string;
  readonly source: string;
  /** Absolute paths; null for the shipped patterns/ or rules/. */
  readonly patterns: readonly string[] | null;
  readonly rules: readonly string[] | null;
  readonly checkpoints: string | null;
  readonly tests: readonly TestCase[];
}

const FILE_KEYS = ['patterns', 'rules', 'checkpoints', 'pattern', 'rule', 'params', 'validate', 'defaults', 'tests'] as const;
const TEST_KEYS = ['name', 'pattern', 'rule', 'params', 'validate', 'unbounded', 'defaults', 'input', 'input_file', 'expect'] as const;
const EXPECT_KEYS = ['matches', 'timeouts', 'alerts', 'late', 'dead_letters', 'streams', 'order'] as const;

/** Parses one test file; `absPath` resolves the file's relative paths. */
export function parseTestFile(source: string, file: string, absPath: string): { testFile: TestFile | null; errors: DslError[] } {
  const { doc, errors, at, posOf } = parseYamlFile(source, file, { merge: true });
  if (errors.length > 0) return { testFile: null, errors };
  const root = doc.contents;
  if (!isMap(root)) {
    at(root, '', 'a test file must be a mapping with a `tests` list');
    return { testFile: null, errors };
  }
  const dir = dirname(absPath);
  const reader = new Reader(doc, at, posOf, dir);
  const top = reader.entries(root, '', FILE_KEYS, 'a test file has');

  const paths = (key: 'patterns' | 'rules'): string[] | null => {
    const node = top.get(key);
    if (node === undefined) return null;
    const list = reader.stringList(node, key, 'a path or a list of paths, relative to the test file');
    return list === null ? null : list.map((p) => resolve(dir, p));
  };
  const patterns = paths('patterns');
  const rules = paths('rules');
  const cpNode = top.get('checkpoints');
  const checkpoints = cpNode === undefined ? null : reader.string(cpNode, 'checkpoints');
  const fileTarget = reader.target(top, '');
  const fileParams = reader.params(top.get('params'), 'params');
  const fileValidate = top.get('validate') === undefined ? null : reader.boolean(top.get('validate') as Node, 'validate');
  const fileDefaults = reader.record(top.get('defaults'), 'defaults');

  const tests: TestCase[] = [];
  const testsNode = top.get('tests');
  if (testsNode === undefined) at(root, '', "missing required key 'tests'");
  else if (!isSeq(testsNode) || testsNode.items.length === 0) at(testsNode, 'tests', 'expected a non-empty list of tests');
  else {
    const names = new Map<string, Position>();
    testsNode.items.forEach((item, i) => {
      const nameNode = isMap(item) ? item.items.find((p) => isScalar(p.key) && p.key.value === 'name')?.value : undefined;
      if (isScalar(nameNode) && typeof nameNode.value === 'string') {
        const dup = names.get(nameNode.value);
        if (dup !== undefined) at(item as Node, `tests[${i}].name`, `duplicate test name '${nameNode.value}' (also at line ${dup.line})`);
        else names.set(nameNode.value, posOf(item as Node));
      }
      const t = reader.test(item as Node, `tests[${i}]`, { target: fileTarget, params: fileParams, validate: fileValidate, defaults: fileDefaults });
      if (t !== null) tests.push(t);
    });
  }
  if (errors.length > 0) return { testFile: null, errors: sortErrors(errors) };
  return { testFile: { file, source, patterns, rules, checkpoints: checkpoints === null ? null : resolve(dir, checkpoints), tests }, errors };
}

interface Inherited {
  readonly target: Target | null;
  readonly params: Params;
  readonly validate: boolean | null;
  readonly defaults: Record<string, unknown>;
}

interface Params {
  readonly values: Record<string, ParamValue>;
  readonly positions: Record<string, Position>;
}

/** Typed reads of YAML nodes; each reports its own errors and returns null (or a neutral value) on a bad node. */
class Reader {
  /** The key node of each value node read by `entries`, so errors about a value's role point at its key. */
  private readonly keyOf = new WeakMap<Node, Node>();
  constructor(
    private readonly doc: Document,
    private readonly at: Report,
    private readonly posOf: (node: Node | Pair | null | undefined) => Position,
    /** Where relative paths (input_file) start. */
    private readonly dir: string,
  ) {}

  entries<K extends string>(map: YAMLMap, path: string, known: readonly K[], what: string): Map<K, Node> {
    const out = new Map<K, Node>();
    for (const pair of map.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      const full = path === '' ? key : `${path}.${key}`;
      if (!(known as readonly string[]).includes(key)) {
        this.at(pair.key as Node, full, `unknown key; ${what} ${known.join(', ')}`);
        continue;
      }
      // A key with no value (`expect:`) is a null scalar, kept so it is reported as the wrong type.
      const value = (pair.value as Node | null) ?? (pair.key as Node);
      this.keyOf.set(value, pair.key as Node);
      out.set(key as K, value);
    }
    return out;
  }

  string(node: Node, path: string): string | null {
    if (isScalar(node) && typeof node.value === 'string' && node.value.length > 0) return node.value;
    this.at(node, path, 'expected a non-empty string');
    return null;
  }

  boolean(node: Node, path: string): boolean | null {
    if (isScalar(node) && typeof node.value === 'boolean') return node.value;
    this.at(node, path, 'expected true or false');
    return null;
  }

  stringList(node: Node, path: string, what: string): string[] | null {
    if (isScalar(node) && typeof node.value === 'string') return [node.value];
    if (isSeq(node) && node.items.length > 0 && node.items.every((x) => isScalar(x) && typeof x.value === 'string')) {
      return node.items.map((x) => String((x as { value: unknown }).value));
    }
    this.at(node, path, `expected ${what}`);
    return null;
  }

  target(entries: Map<string, Node>, path: string): Target | null {
    const p = entries.get('pattern');
    const r = entries.get('rule');
    const prefix = path === '' ? '' : `${path}.`;
    if (p !== undefined && r !== undefined) {
      this.at(r, `${prefix}rule`, 'give either `pattern` or `rule`, not both');
      return null;
    }
    if (p !== undefined) {
      const name = this.string(p, `${prefix}pattern`);
      return name === null ? null : { kind: 'pattern', name, pos: this.posOf(p) };
    }
    if (r !== undefined) {
      const id = this.string(r, `${prefix}rule`);
      return id === null ? null : { kind: 'rule', id, pos: this.posOf(r) };
    }
    return null;
  }

  params(node: Node | undefined, path: string): Params {
    const values: Record<string, ParamValue> = {};
    const positions: Record<string, Position> = {};
    if (node === undefined) return { values, positions };
    if (!isMap(node)) {
      this.at(node, path, 'expected a mapping of parameter names to values');
      return { values, positions };
    }
    for (const pair of node.items) {
      const name = isScalar(pair.key) ? String(pair.key.value) : '';
      const v = pair.value as Node | null;
      if (!isScalar(v) || !['number', 'string', 'boolean'].includes(typeof v.value)) {
        this.at(v ?? (pair.key as Node), `${path}.${name}`, 'expected a number, string, boolean or duration such as 30m');
        continue;
      }
      values[name] = v.value as ParamValue;
      positions[name] = this.posOf(pair.key as Node);
    }
    return { values, positions };
  }

  record(node: Node | undefined, path: string): Record<string, unknown> {
    if (node === undefined) return {};
    if (!isMap(node)) {
      this.at(node, path, 'expected a mapping of field names to values');
      return {};
    }
    return (this.js(node) ?? {}) as Record<string, unknown>;
  }

  js(node: Node): unknown {
    try {
      return node.toJS(this.doc);
    } catch (error) {
      // The YAML library refuses aliases that expand too far (an "alias bomb"): the file's fault, not ours.
      if (error instanceof ReferenceError && /alias/i.test(error.message)) {
        this.at(node, '', 'too many aliases: this value expands beyond what a test file may hold (YAML alias expansion is limited)');
        return null;
      }
      throw error;
    }
  }

  test(node: Node, path: string, inherited: Inherited): TestCase | null {
    if (!isMap(node)) {
      this.at(node, path, 'expected a test: a mapping with name, input and expect');
      return null;
    }
    const e = this.entries(node, path, TEST_KEYS, 'a test has');
    const nameNode = e.get('name');
    let name: string | null = null;
    if (nameNode === undefined) this.at(node, path, "missing required key 'name'");
    else name = this.string(nameNode, `${path}.name`);
    const target: Target = this.target(e, path) ?? inherited.target ?? { kind: 'streams' };
    const own = this.params(e.get('params'), `${path}.params`);
    const params = { values: { ...inherited.params.values, ...own.values }, positions: { ...inherited.params.positions, ...own.positions } };
    if (target.kind === 'streams' && Object.keys(params.values).length > 0) {
      this.at(e.get('params') ?? node, `${path}.params`, 'parameters need a `pattern` or `rule` to apply to');
    }
    const v = e.get('validate');
    const validate = (v === undefined ? null : this.boolean(v, `${path}.validate`)) ?? inherited.validate ?? target.kind !== 'pattern';
    const u = e.get('unbounded');
    const unbounded = (u === undefined ? null : this.boolean(u, `${path}.unbounded`)) ?? false;
    const defaults = { ...inherited.defaults, ...this.record(e.get('defaults'), `${path}.defaults`) };
    const inputNode = e.get('input');
    const fileNode = e.get('input_file');
    let input: InputEntry[] = [];
    let bySource: Map<string, InputEntry[]> | null = null;
    if (inputNode !== undefined && fileNode !== undefined)
      this.at(this.keyOf.get(fileNode) ?? fileNode, `${path}.input_file`, 'give either `input` or `input_file`, not both');
    else if (fileNode !== undefined) {
      if (isMap(fileNode)) bySource = this.bySource(fileNode, `${path}.input_file`, (n, p) => this.inputFile(n, p));
      else input = this.inputFile(fileNode, `${path}.input_file`);
    } else if (inputNode === undefined) this.at(node, path, "missing required key 'input' (or 'input_file')");
    else if (isMap(inputNode)) bySource = this.bySource(inputNode, `${path}.input`, (n, p) => this.input(n, p, defaults));
    else input = this.input(inputNode, `${path}.input`, defaults);
    if (bySource !== null) input = [...bySource.values()].flat();
    const expectNode = e.get('expect');
    let expect: Expectations | null = null;
    if (expectNode === undefined) this.at(node, path, "missing required key 'expect'");
    else expect = this.expect(expectNode, `${path}.expect`, target);
    if (name === null || expect === null) return null;
    return { name, pos: this.posOf(node), target, params: params.values, paramPositions: params.positions, validate, unbounded, input, bySource, expect };
  }

  /** `{ SOURCE: <one source's input>, ... }`: a timeline per source, by name. */
  bySource(node: YAMLMap, path: string, read: (n: Node, p: string) => InputEntry[]): Map<string, InputEntry[]> {
    const out = new Map<string, InputEntry[]>();
    for (const pair of node.items) {
      const key = pair.key as Node;
      const name = isScalar(key) ? String(key.value) : '';
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        this.at(key, path, 'expected source names as keys, each with its input');
        continue;
      }
      if (out.has(name)) {
        this.at(key, `${path}.${name}`, `the source '${name}' is given twice`);
        continue;
      }
      out.set(name, read((pair.value ?? key) as Node, `${path}.${name}`));
    }
    if (node.items.length === 0)
      this.at(node, path, 'expected a list of records and {$watermark: t} lines (an empty list is []), or such lists by source name');
    return out;
  }

  /** An NDJSON file (relative to the test file): each line is read as is, control lines included. */
  inputFile(node: Node, path: string): InputEntry[] {
    const name = this.string(node, path);
    if (name === null) return [];
    let text: string;
    try {
      text = readFileSync(resolve(this.dir, name), 'utf8');
    } catch (error) {
      this.at(node, path, `cannot read ${name}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      return [];
    }
    const pos = this.posOf(node);
    return text
      .split(/\r?\n/)
      .filter((line) => line.trim().length > 0)
      .map((line) => ({ kind: 'raw', line, pos }));
  }

  input(node: Node, path: string, defaults: Readonly<Record<string, unknown>>): InputEntry[] {
    if (!isSeq(node)) {
      this.at(node, path, 'expected a list of records and {$watermark: t} lines (an empty list is [])');
      return [];
    }
    const out: InputEntry[] = [];
    node.items.forEach((item, i) => {
      const p = `${path}[${i}]`;
      const n = item as Node;
      if (!isMap(n)) {
        this.at(n, p, 'expected a record (a mapping of fields), {$watermark: t}, {$clock: t} or {$raw: "line"}');
        return;
      }
      const pos = this.posOf(n);
      const control = n.items.find((pair) => isScalar(pair.key) && String(pair.key.value).startsWith('$'));
      if (control !== undefined) {
        const key = String((control.key as { value: unknown }).value);
        if (n.items.length !== 1) {
          this.at(n, p, `a ${key} line has no other fields`);
          return;
        }
        const v = control.value as Node | null;
        if (key === '$raw') {
          if (isScalar(v) && typeof v.value === 'string') out.push({ kind: 'raw', line: v.value, pos });
          else this.at(v ?? (control.key as Node), `${p}.$raw`, 'expected the raw input line as a string');
          return;
        }
        if (key !== '$watermark' && key !== '$clock') {
          this.at(control.key as Node, `${p}.${key}`, 'unknown control line; use $watermark, $clock or $raw');
          return;
        }
        const ms = isScalar(v) ? parseEventTime(v.value) : Number.NaN;
        if (!Number.isFinite(ms)) {
          this.at(v ?? (control.key as Node), `${p}.${key}`, 'expected a time: epoch ms or ISO-8601 with a zone, e.g. 2026-03-02T08:00:00Z');
          return;
        }
        out.push(key === '$watermark' ? { kind: 'watermark', ms, pos } : { kind: 'clock', ms, pos });
        return;
      }
      out.push({ kind: 'record', record: { ...defaults, ...((this.js(n) ?? {}) as Record<string, unknown>) }, pos });
    });
    return out;
  }

  expect(node: Node, path: string, target: Target): Expectations | null {
    if (!isMap(node)) {
      this.at(node, path, 'expected a mapping of outputs (matches, timeouts, alerts, late, dead_letters, streams) to lists');
      return null;
    }
    const e = this.entries(node, path, EXPECT_KEYS, 'expect has');
    const lists = new Map<Category, ExpectedList>();
    let order: 'strict' | 'any' = 'strict';
    const o = e.get('order');
    if (o !== undefined) {
      if (isScalar(o) && (o.value === 'strict' || o.value === 'any')) order = o.value;
      else this.at(o, `${path}.order`, 'expected strict (output order, the default) or any');
    }
    for (const [key, value] of e) {
      if (key === 'order') continue;
      const p = `${path}.${key}`;
      if (key === 'streams') {
        if (!isMap(value)) {
          this.at(value, p, 'expected a mapping of stream names to lists of records');
          continue;
        }
        for (const pair of value.items) {
          const name = isScalar(pair.key) ? String(pair.key.value) : '';
          const list = this.list((pair.value as Node | null) ?? (pair.key as Node), `${p}.${name}`);
          if (list !== null) lists.set(`stream:${name}`, { ...list, pos: this.posOf(pair.key as Node) });
        }
        continue;
      }
      const keyNode = this.keyOf.get(value) ?? value;
      if ((key === 'matches' || key === 'timeouts') && target.kind !== 'pattern') {
        this.at(
          keyNode,
          p,
          `${key} are the output of a pattern test; a ${target.kind === 'rule' ? 'rule test expects alerts' : 'test without pattern or rule expects streams'}`,
        );
        continue;
      }
      if (key === 'alerts' && target.kind !== 'rule') {
        this.at(
          keyNode,
          p,
          `alerts are the output of a rule test; ${target.kind === 'pattern' ? 'a pattern test expects matches and timeouts' : 'name a `rule`'}`,
        );
        continue;
      }
      const list = this.list(value, p);
      if (list !== null) lists.set(key as Category, list);
    }
    if (node.items.length === 0) {
      this.at(node, path, 'expects nothing; list at least one output (an empty list [] asserts there is none)');
      return null;
    }
    return { order, lists };
  }

  list(node: Node, path: string): ExpectedList | null {
    if (isMap(node) && node.items.length === 1 && isScalar(node.items[0]?.key) && node.items[0]?.key.value === 'count') {
      const v = node.items[0].value as Node | null;
      if (isScalar(v) && typeof v.value === 'number' && Number.isInteger(v.value) && v.value >= 0) {
        return { mode: 'count', count: v.value, items: [], pos: this.posOf(node) };
      }
      this.at(v ?? node, `${path}.count`, 'expected a whole number of items (0 or more)');
      return null;
    }
    let mode: 'exact' | 'contains' = 'exact';
    let seq: Node = node;
    if (isMap(node) && node.items.length === 1 && isScalar(node.items[0]?.key) && node.items[0]?.key.value === 'contains') {
      mode = 'contains';
      seq = (node.items[0].value as Node | null) ?? node;
    }
    if (!isSeq(seq)) {
      this.at(seq, path, 'expected a list (an empty list [] asserts there is none), {contains: [...]} or {count: n}');
      return null;
    }
    return { mode, pos: this.posOf(node), items: seq.items.map((item) => ({ value: this.js(item as Node), pos: this.posOf(item as Node) })) };
  }
}
