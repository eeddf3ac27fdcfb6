import type * as A from '../dsl/index.js';
import type { CheckedProgram, LinkedRule } from '../dsl/index.js';
import { type CheckpointRegistry, type DomainFunction, REQUIRED_CHECKPOINT_FIELDS } from '../traffic/index.js';

/**
 * What the rules read from the checkpoint registry beyond its required fields, against what a registry has.
 * The attributes come from the compiled program: every call of a domain function that declares the fields it reads
 * (`checkpoint_attr`'s field is its literal argument). What a rule does without one is worked out from the program
 * too: the attribute reads as null there, and the report follows the nulls through `where`, `select`, `define` and
 * `emit` (a comparison with null is false) to the rule's pattern.
 */
export interface AttributeGap {
  /** The rule that reads it, or '' for a stream's gap (`stream`). */
  readonly rule: string;
  /** A stream asked for by name (an analytics stream), when it is the reader rather than a rule. */
  readonly stream?: string;
  readonly attribute: string;
  /** Checkpoints lacking it, of `total`; a few of their ids in `examples`. */
  readonly missing: number;
  readonly total: number;
  readonly examples: readonly string[];
  /** Where the rule's program reads it (file:line:col). */
  readonly reads: readonly string[];
  /** What changes without it, declaration by declaration. */
  readonly effects: readonly string[];
  /** The rule's pattern can never match without it. */
  readonly dead: boolean;
  /** The attribute is named at run time (`checkpoint_attr(cp, field)`): it could not be checked. */
  readonly dynamic?: boolean;
}

/** Record validation's own optional attribute, and what it does without it. */
const VALIDATION_READS: ReadonlyArray<{ readonly attribute: string; readonly without: string }> = [
  { attribute: 'lanes', without: "a record's lane is checked against 1..16 instead of the camera's lane count" },
];

export interface RegistryReport {
  readonly gaps: readonly AttributeGap[];
  /** Record validation's optional attributes the registry lacks somewhere. */
  readonly validation: ReadonlyArray<{ readonly attribute: string; readonly missing: number; readonly without: string }>;
}

type Abs = 'null' | 'false' | 'value';

interface Shape {
  /** No record ever comes out. */
  readonly empty: boolean;
  /** Columns that are always null. */
  readonly nulls: ReadonlySet<string>;
  /** Pattern variables that never match (patterns only). */
  readonly never: ReadonlySet<string>;
}

const ANY: Shape = { empty: false, nulls: new Set(), never: new Set() };

/** One pass over the program with some registry attributes missing (reading as null). */
class NullFlow {
  private readonly shapes = new Map<string, Shape>();
  private readonly visiting = new Set<string>();

  constructor(
    private readonly program: CheckedProgram,
    private readonly missing: ReadonlySet<string>,
    private readonly fieldArgs: ReadonlyMap<string, number>,
  ) {}

  shape(name: string): Shape {
    const done = this.shapes.get(name);
    if (done !== undefined) return done;
    if (this.visiting.has(name)) return ANY; // a cycle through late streams: assume anything
    this.visiting.add(name);
    const stream = this.program.streams.get(name);
    const pattern = this.program.patterns.get(name);
    const shape = stream !== undefined ? this.stream(stream.decl) : pattern !== undefined ? this.pattern(pattern.decl) : ANY;
    this.visiting.delete(name);
    this.shapes.set(name, shape);
    return shape;
  }

  private stream(decl: A.StreamDecl): Shape {
    const inputs = [decl.from, ...decl.union].map((n) => this.shape(n.name)).filter((s) => !s.empty);
    if (inputs.length === 0) return { empty: true, nulls: new Set(), never: new Set() };
    // A column is always null after a union only if every input that has records makes it null.
    const nulls = new Set([...(inputs[0] as Shape).nulls].filter((c) => inputs.every((s) => s.nulls.has(c))));
    if (decl.where !== null && this.expr(decl.where, nulls) !== 'value') return { empty: true, nulls: new Set(), never: new Set() };
    if (decl.select === null || decl.select.star) return { empty: false, nulls, never: new Set() };
    const out = new Set<string>();
    for (const item of decl.select.items) {
      const column = item.alias?.name ?? (item.expr.kind === 'field' ? item.expr.name : null);
      if (column !== null && this.expr(item.expr, nulls) === 'null') out.add(column);
    }
    return { empty: false, nulls: out, never: new Set() };
  }

  private pattern(decl: A.PatternDecl): Shape {
    const input = this.shape(decl.from.name);
    const never = new Set<string>();
    for (const d of decl.defines) if (input.empty || this.expr(d.cond, input.nulls) !== 'value') never.add(d.variable.name);
    if (input.empty) for (const step of decl.match) never.add(step.term.variable.name);
    const dead = decl.match.some((step) => never.has(step.term.variable.name) && required(step));
    const nulls = new Set<string>();
    for (const entry of decl.emit?.entries ?? []) if (this.expr(entry.value, input.nulls) === 'null') nulls.add(entry.key);
    return { empty: dead, nulls, never };
  }

  /** Null, false (a condition that never holds) or anything, for a record whose `nulls` columns are null. */
  private expr(e: A.Expr, nulls: ReadonlySet<string>): Abs {
    const x = (sub: A.Expr): Abs => this.expr(sub, nulls);
    switch (e.kind) {
      case 'null':
        return 'null';
      case 'number':
      case 'string':
      case 'boolean':
      case 'duration':
      case 'object':
        return 'value';
      case 'field':
      case 'member':
        return nulls.has(e.kind === 'field' ? e.name : e.field) ? 'null' : 'value';
      case 'unary':
        return e.op === '-' && x(e.operand) === 'null' ? 'null' : 'value';
      case 'binary': {
        const l = x(e.left);
        const r = x(e.right);
        switch (e.op) {
          case 'and':
            return l !== 'value' || r !== 'value' ? 'false' : 'value';
          case 'or':
            return l !== 'value' && r !== 'value' ? 'false' : 'value';
          case '==':
          case '!=':
          case '<':
          case '<=':
          case '>':
          case '>=':
            // A comparison with null is false (docs/language.md); `x == null` written out is left alone.
            return e.left.kind === 'null' || e.right.kind === 'null' ? 'value' : l === 'null' || r === 'null' ? 'false' : 'value';
          default:
            return l === 'null' || r === 'null' ? 'null' : 'value';
        }
      }
      case 'in':
      case 'between':
        return x(e.value) === 'null' ? 'false' : 'value';
      case 'call': {
        const arg = this.fieldArgs.get(e.callee.name);
        const named = arg === undefined ? undefined : e.args[arg];
        if (named?.kind === 'string' && this.missing.has(named.value)) return 'null';
        return e.args.some((a) => x(a) === 'null') ? 'null' : 'value';
      }
      case 'aggregate':
        return e.fn !== 'count' && e.args.length > 0 && e.args.every((a) => x(a) === 'null') ? 'null' : 'value';
      case 'if': {
        const c = x(e.cond);
        if (c !== 'value') return x(e.else);
        return x(e.then) === 'null' && x(e.else) === 'null' ? 'null' : 'value';
      }
      case 'coalesce':
        return e.args.every((a) => x(a) === 'null') ? 'null' : 'value';
    }
  }
}

/** A step the pattern cannot match without: not optional, not negated. */
function required(step: A.Step): boolean {
  const { term, connector } = step;
  if (connector !== null && (connector.kind === 'not-next' || connector.kind === 'not-followed-by')) return false;
  if (term.optional) return false;
  const q = term.quantifier;
  return q === null || q.kind === 'one-or-more' || (q.kind === 'times' && q.min > 0);
}

/** The declarations a pattern reads, itself first, inputs after (each once). */
function upstream(program: CheckedProgram, pattern: string): string[] {
  const out: string[] = [];
  const visit = (name: string): void => {
    if (out.includes(name)) return;
    const stream = program.streams.get(name);
    const pat = program.patterns.get(name);
    if (stream !== undefined) {
      out.push(name);
      for (const n of [stream.decl.from, ...stream.decl.union]) visit(n.name);
    } else if (pat !== undefined) {
      out.push(name);
      visit(pat.decl.from.name);
    } else for (const p of program.lateStreams.get(name)?.producers ?? []) visit(p.name.name);
  };
  visit(pattern);
  return out;
}

function declOf(program: CheckedProgram, name: string): A.StreamDecl | A.PatternDecl | undefined {
  return program.streams.get(name)?.decl ?? program.patterns.get(name)?.decl;
}

/** Every call in a declaration's clauses. */
function callsIn(node: unknown, out: A.Call[]): A.Call[] {
  if (Array.isArray(node)) for (const n of node) callsIn(n, out);
  else if (typeof node === 'object' && node !== null) {
    if ((node as { kind?: unknown }).kind === 'call') out.push(node as A.Call);
    for (const [key, value] of Object.entries(node)) if (key !== 'pos') callsIn(value, out);
  }
  return out;
}

const at = (pos: A.Pos): string => `${pos.file}:${pos.line}:${pos.col}`;

/** The gaps between what the enabled rules read and what the registry has. */
export function registryReport(
  program: CheckedProgram,
  rules: readonly LinkedRule[],
  registry: CheckpointRegistry,
  functions: readonly DomainFunction[],
  displayFile: (file: string) => string = (f) => f,
  /** Streams read by name (`--stream`, the service's API) whose own records the registry's gaps change. */
  streams: readonly string[] = [],
): RegistryReport {
  const required = new Set(REQUIRED_CHECKPOINT_FIELDS);
  const byName = new Map(functions.map((f) => [f.name, f]));
  const fieldArgs = new Map<string, number>();
  for (const f of functions) if (f.reads?.fieldArg !== undefined) fieldArgs.set(f.name, f.reads.fieldArg);
  const baseline = new NullFlow(program, new Set(), fieldArgs);
  const flows = new Map<string, NullFlow>();
  const flowWithout = (attribute: string): NullFlow => {
    let f = flows.get(attribute);
    if (f === undefined) flows.set(attribute, (f = new NullFlow(program, new Set([attribute]), fieldArgs)));
    return f;
  };
  const pos = (p: A.Pos): string => at({ ...p, file: displayFile(p.file) });

  const gaps: AttributeGap[] = [];
  /** The gaps of one reader: a rule (through its pattern) or a stream by name. */
  const readerGaps = (reader: { readonly rule: string } | { readonly stream: string }, target: string): void => {
    const isStream = 'stream' in reader;
    const who = isStream ? { rule: '', stream: reader.stream } : { rule: reader.rule };
    const decls = upstream(program, target);
    // attribute -> where it is read (null attribute: named at run time)
    const reads = new Map<string | null, string[]>();
    for (const name of [...decls].reverse()) {
      for (const call of callsIn(declOf(program, name), [])) {
        const f = byName.get(call.callee.name);
        if (f?.reads === undefined) continue;
        const names: (string | null)[] = [...(f.reads.fields ?? [])];
        if (f.reads.fieldArg !== undefined) {
          const arg = call.args[f.reads.fieldArg];
          names.push(arg?.kind === 'string' ? arg.value : null);
        }
        for (const n of names) {
          if (n !== null && required.has(n)) continue;
          const list = reads.get(n) ?? [];
          list.push(pos(call.pos));
          reads.set(n, list);
        }
      }
    }
    for (const [attribute, sites] of reads) {
      const where = [...new Set(sites)].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
      if (attribute === null) {
        gaps.push({ ...who, attribute: '?', missing: 0, total: registry.size, examples: [], reads: where, effects: [], dead: false, dynamic: true });
        continue;
      }
      const lacking = registry.lacking(attribute);
      if (lacking.length === 0) continue;
      const flow = flowWithout(attribute);
      // A stream's gap counts only where its own records change: an attribute another column of an upstream
      // stream reads (the area of a record a segment's figures ignore) loses the stream nothing.
      if (isStream) {
        const before = baseline.shape(target);
        const after = flow.shape(target);
        if (!(after.empty && !before.empty) && [...after.nulls].every((c) => before.nulls.has(c))) continue;
      }
      const effects: string[] = [];
      // From the source towards the rule's pattern: the order the nulls flow in.
      for (const name of [...decls].reverse()) {
        const before = baseline.shape(name);
        const after = flow.shape(name);
        const pattern = program.patterns.get(name);
        if (pattern === undefined) {
          if (after.empty && !before.empty) {
            effects.push(`stream ${name} gets no records`);
            continue;
          }
          for (const c of after.nulls) if (!before.nulls.has(c)) effects.push(`stream ${name}: \`${c}\` is null`);
          continue;
        }
        const vars = [...after.never].filter((v) => !before.never.has(v)).map((v) => `\`${v}\``);
        const starved = flow.shape(pattern.decl.from.name).empty && !baseline.shape(pattern.decl.from.name).empty;
        if (after.empty && !before.empty) {
          effects.push(`pattern ${name} never matches` + (starved ? '' : ` (${vars.join(', ')} ${vars.length === 1 ? 'never matches' : 'never match'})`));
          continue;
        }
        if (vars.length > 0) effects.push(`pattern ${name}: optional ${vars.join(', ')} ${vars.length === 1 ? 'never matches' : 'never match'}`);
        for (const c of after.nulls) if (!before.nulls.has(c)) effects.push(`pattern ${name} emits \`${c}\`: null`);
      }
      const dead = flow.shape(target).empty && !baseline.shape(target).empty;
      gaps.push({
        ...who,
        attribute,
        missing: lacking.length,
        total: registry.size,
        examples: lacking.slice(0, 3).map((cp) => cp.id),
        reads: where,
        effects,
        dead,
      });
    }
  };
  for (const { rule } of rules) readerGaps({ rule: rule.id }, rule.pattern);
  for (const stream of streams) if (program.streams.has(stream)) readerGaps({ stream }, stream);
  const validation = VALIDATION_READS.map((v) => ({ ...v, missing: registry.lacking(v.attribute).length })).filter((v) => v.missing > 0);
  return { gaps, validation };
}

/** The report as text for stderr: empty when the registry has everything the rules read. */
export function formatRegistryReport(report: RegistryReport, registryName: string): string {
  if (report.gaps.length === 0 && report.validation.length === 0) return '';
  const what = report.gaps.some((g) => g.stream !== undefined) ? 'the rules and streams read' : 'the rules read';
  const lines: string[] = [`${registryName}: the registry lacks attributes ${what}:`];
  for (const g of report.gaps) {
    const reader = g.stream === undefined ? `rule ${g.rule}` : `stream ${g.stream}`;
    if (g.dynamic === true) {
      lines.push(`  ${reader} reads a registry attribute named at run time (${g.reads.join(', ')}): not checked`);
      continue;
    }
    const whereMissing =
      g.missing === g.total
        ? `all ${g.total} checkpoints`
        : `${g.missing} of ${g.total} checkpoints (${g.examples.join(', ')}${g.missing > g.examples.length ? ', ...' : ''})`;
    lines.push(`  ${reader} reads \`${g.attribute}\` (${g.reads.join(', ')}); missing on ${whereMissing}`);
    const scope = g.missing === g.total ? '' : ' (for records of those checkpoints)';
    if (g.effects.length === 0) lines.push(`    without it${scope}: it reads as null, and nothing the rule depends on is lost`);
    else {
      lines.push(`    without it${scope}:`);
      for (const e of g.effects) lines.push(`      ${e}`);
    }
    // A stream's effects end with its own records; what follows is about alerting.
    if (g.stream !== undefined) continue;
    if (!g.dead) lines.push(`    the rule still runs on what the rest of its inputs give`);
    else if (g.missing === g.total) lines.push(`    RULE ${g.rule} IS DEAD without \`${g.attribute}\`: it can never alert`);
    else lines.push(`    rule ${g.rule} can never alert on what those checkpoints see without \`${g.attribute}\``);
  }
  for (const v of report.validation) lines.push(`  record validation reads \`${v.attribute}\`; missing on ${v.missing} checkpoints: ${v.without}`);
  return lines.join('\n') + '\n';
}

/**
 * The streams nothing else in the program reads: what a user reads by name (the analytics). Streams a rule, a
 * pattern or another stream reads are reported through their reader.
 */
export function leafStreams(program: CheckedProgram): string[] {
  const read = new Set<string>();
  for (const s of program.streams.values()) for (const n of [s.decl.from, ...s.decl.union]) read.add(n.name);
  for (const p of program.patterns.values()) read.add(p.decl.from.name);
  return [...program.streams.keys()].filter((n) => !read.has(n));
}
