/**
 * The checker: one pass over all declarations that reports every error it finds (sorted by place) and,
 * when there are none, returns the checked program the compiler works from.
 */

import type * as A from './ast.js';
import { type CheckTables, constantScope, ExprChecker, NO_PARAMS, type PatternScope, type Scope } from './check-expr.js';
import { checkSourceShape } from './check-source.js';
import type { CheckedPattern, CheckedProgram, CheckedSource, CheckedStream, LateStream, ParamInfo, RecordSchema, Schema, VariableInfo } from './checked.js';
import { constantValue, containsAggregate, literalValue, sameExpr } from './constants.js';
import { type DslError, errorAt, type Located, sortErrors } from './errors.js';
import { builtinFunctions, builtinLookups, type FunctionRegistry, type LookupRegistry, type LookupSignature } from './functions.js';
import { expandLets } from './lets.js';
import { MAX_DURATION_MS, MAX_QUANTIFIER_COUNT } from './limits.js';
import { prevCalls } from './prev.js';
import { printExpr } from './print.js';
import type { SchemaRegistry } from './schemas.js';
import { didYouMean } from './suggest.js';
import { buildTable, type LookupTable, type TableFiles } from './tables.js';
import { assignable, describeType, join, type Type } from './types.js';

export { constantValue, literalValue, sameExpr } from './constants.js';

export interface CheckOptions {
  /** Defaults to the built-ins; domain modules register theirs on a registry and pass it here. */
  readonly functions?: FunctionRegistry;
  readonly lookups?: LookupRegistry;
  /** Named schemas a source may declare (`schema traffic`); domain modules register theirs. */
  readonly schemas?: SchemaRegistry;
  /**
   * Record schema of every source that declares neither `schema` nor `fields` and has no entry in
   * `sourceSchemas`. Without one, such a source is open: its fields are `unknown`.
   */
  readonly schema?: RecordSchema;
  readonly sourceSchemas?: Readonly<Record<string, RecordSchema>>;
  /** Where `table t = file "..."` reads from (relative to the declaring pattern file); default the file system. */
  readonly tableFiles?: TableFiles;
}

export interface CheckResult {
  readonly errors: readonly DslError[];
  /** Present exactly when there are no errors. */
  readonly program: CheckedProgram | null;
}

/** Checks one file, or several files that form one program (declarations may refer across files). */
export function checkProgram(programs: A.Program | readonly A.Program[], options: CheckOptions = {}): CheckResult {
  const list: readonly A.Program[] = isProgramList(programs) ? programs : [programs];
  const checker = new Checker(list, options);
  checker.run();
  const errors = sortErrors(checker.tables.errors);
  return { errors, program: errors.length === 0 ? checker.result() : null };
}

function isProgramList(p: A.Program | readonly A.Program[]): p is readonly A.Program[] {
  return Array.isArray(p);
}

const OPEN_EMPTY: Schema = { open: true, fields: new Map() };

type Declared = A.SourceDecl | A.StreamDecl | A.PatternDecl;

class Checker {
  readonly tables: CheckTables = {
    errors: [],
    types: new Map(),
    bindings: new Map(),
    aggregates: new Map(),
    calls: new Map(),
    silenced: new Set(),
    tableLookups: new Map(),
  };
  private readonly lookupTables = new Map<string, LookupTable | null>();
  private readonly ex: ExprChecker;
  private readonly functions: FunctionRegistry;
  private readonly lookups: LookupRegistry;
  private readonly decls = new Map<string, Declared>();
  private readonly lateProducers = new Map<string, { name: A.Name; producer: A.StreamDecl | A.PatternDecl }[]>();
  private readonly schemas = new Map<string, Schema>();
  private readonly resolving = new Set<string>();
  private readonly done = new Set<Declared>();

  private readonly sources = new Map<string, CheckedSource>();
  private readonly streams = new Map<string, CheckedStream>();
  private readonly patterns = new Map<string, CheckedPattern>();

  constructor(
    private readonly programs: readonly A.Program[],
    private readonly options: CheckOptions,
  ) {
    this.functions = options.functions ?? builtinFunctions();
    this.lookups = options.lookups ?? builtinLookups();
    this.ex = new ExprChecker(this.tables, this.functions, this.lookups, this.lookupTables);
  }

  private error(at: Located, message: string): void {
    this.tables.errors.push(errorAt(at, message));
  }

  run(): void {
    this.declareTables();
    this.declare();
    for (const program of this.programs) {
      for (const decl of program.decls) this.checkDecl(decl);
    }
  }

  /** Checks a declaration once; inputs are checked first (on demand) so their output types are known. */
  private checkDecl(decl: Declared): void {
    if (this.done.has(decl)) return;
    this.done.add(decl);
    switch (decl.kind) {
      case 'source':
        this.checkSource(decl);
        break;
      case 'stream':
        this.checkStream(decl);
        break;
      case 'pattern':
        this.checkPattern(decl);
        break;
      default:
        unreachable(decl);
    }
  }

  result(): CheckedProgram {
    const t = this.tables;
    const late = new Map<string, LateStream>();
    for (const [name, producers] of this.lateProducers) {
      late.set(name, { name, producers: producers.map((p) => p.producer), schema: this.schemaOf(name) ?? OPEN_EMPTY });
    }
    return {
      programs: this.programs,
      sources: this.sources,
      streams: this.streams,
      patterns: this.patterns,
      lateStreams: late,
      types: t.types,
      bindings: t.bindings,
      aggregates: t.aggregates,
      calls: t.calls,
      tableLookups: t.tableLookups,
      functions: this.functions,
      lookups: this.lookups,
    };
  }

  // ------------------------------------------------------------ names

  /** Tables have a namespace of their own over all files (only `lookup` names them); each is built once, here. */
  private declareTables(): void {
    const declared = new Map<string, A.TableDecl>();
    for (const program of this.programs) {
      for (const decl of program.tables) {
        const previous = declared.get(decl.name.name);
        if (previous !== undefined) {
          const p = previous.name.pos;
          this.error(decl.name.pos, `the table '${decl.name.name}' is already declared at ${p.file}:${p.line}:${p.col}`);
          continue;
        }
        declared.set(decl.name.name, decl);
        const table = buildTable(decl, this.options.tableFiles ?? {}, this.tables.errors);
        // A table that could not be built stays declared (null), so its lookups are not reported again.
        this.lookupTables.set(decl.name.name, table);
      }
    }
  }

  /** One namespace for sources, streams and patterns; `late into` names join it unless already declared. */
  private declare(): void {
    for (const program of this.programs) {
      for (const decl of program.decls) {
        const previous = this.decls.get(decl.name.name);
        if (previous !== undefined) {
          const p = previous.name.pos;
          this.error(decl.name.pos, `'${decl.name.name}' is already declared as a ${previous.kind} at ${p.file}:${p.line}:${p.col}`);
        } else {
          this.decls.set(decl.name.name, decl);
        }
      }
    }
    for (const program of this.programs) {
      for (const decl of program.decls) {
        if (decl.kind === 'source' || decl.lateInto === null) continue;
        const name = decl.lateInto;
        const clash = this.decls.get(name.name);
        if (clash !== undefined) {
          this.error(name.pos, `'late into ${name.name}' names a side output, but '${name.name}' is already declared as a ${clash.kind}`);
          continue;
        }
        const list = this.lateProducers.get(name.name) ?? [];
        list.push({ name, producer: decl });
        this.lateProducers.set(name.name, list);
      }
    }
  }

  /** The output schema of a source, stream or late stream, or null if there is no such input. */
  private schemaOf(name: string): Schema | null {
    const known = this.schemas.get(name);
    if (known !== undefined) return known;
    if (this.resolving.has(name)) return OPEN_EMPTY; // a cycle; reported where the `from` is checked
    this.resolving.add(name);
    const decl = this.decls.get(name);
    if (decl === undefined) {
      const late = this.lateProducers.get(name)?.[0];
      // A late stream carries its producer's refused input records.
      if (late !== undefined) this.schemas.set(name, this.producerInput(late.producer));
    } else {
      this.checkDecl(decl);
    }
    this.resolving.delete(name);
    return this.schemas.get(name) ?? null;
  }

  /** The record shape a stream produces, computed without reporting errors (checkStream reports them). */
  private streamOutput(decl: A.StreamDecl, input: Schema): Schema {
    const fields = new Map(input.fields);
    for (const e of decl.enrich) fields.set(e.name.name, this.lookups.get(e.call.callee.name)?.returns ?? 'unknown');
    const select = decl.select;
    if (select === null) return { open: input.open, fields };
    const out = new Map<string, Type>(select.star ? fields : []);
    for (const item of select.items) {
      const name = item.alias?.name ?? (item.expr.kind === 'field' ? item.expr.name : null);
      if (name !== null) out.set(name, this.tables.types.get(item.expr) ?? 'unknown');
    }
    if (decl.window !== null) {
      out.set('window_start', 'timestamp');
      out.set('window_end', 'timestamp');
    }
    return { open: select.star && input.open, fields: out };
  }

  /** The records a stream or pattern reads (for a union, the merged schema), as its `late into` stream carries them. */
  private producerInput(producer: A.StreamDecl | A.PatternDecl): Schema {
    this.checkDecl(producer);
    const checked = producer.kind === 'stream' ? this.streams.get(producer.name.name) : this.patterns.get(producer.name.name);
    return checked?.decl === producer ? checked.input : OPEN_EMPTY;
  }

  /**
   * Resolves a `from`: must be a source, a stream, a late stream or a pattern (its matches, as the records its
   * `emit` builds), and not lead back to itself.
   */
  private input(from: A.Name, reader: string, self: Declared): Schema {
    const decl = this.decls.get(from.name);
    if (decl === undefined && !this.lateProducers.has(from.name)) {
      const inputs = [...this.decls.values()].map((d) => d.name.name);
      this.error(from.pos, `unknown source, stream or pattern '${from.name}'${didYouMean(from.name, [...inputs, ...this.lateProducers.keys()])}`);
      return OPEN_EMPTY;
    }
    // A duplicate declaration is reported by declare(); its `from` is not followed for cycles.
    if (this.decls.get(reader) === self && this.readsFrom(from.name, reader, new Set())) {
      this.error(from.pos, `'${reader}' reads from itself through '${from.name}'`);
      return OPEN_EMPTY;
    }
    return this.schemaOf(from.name) ?? OPEN_EMPTY;
  }

  /** Whether `name` (transitively) reads from `target`. */
  private readsFrom(name: string, target: string, seen: Set<string>): boolean {
    if (name === target) return true;
    if (seen.has(name)) return false;
    seen.add(name);
    const decl = this.decls.get(name);
    if (decl !== undefined) {
      if (decl.kind === 'source') return false;
      const inputs = decl.kind === 'stream' ? [decl.from, ...decl.union] : [decl.from];
      return inputs.some((i) => this.readsFrom(i.name, target, seen));
    }
    return (this.lateProducers.get(name) ?? []).some((p) => this.readsFrom(p.producer.name.name, target, seen));
  }

  // ------------------------------------------------------------ sources

  private checkSource(decl: A.SourceDecl): void {
    const fallback = this.options.sourceSchemas?.[decl.name.name] ?? this.options.schema;
    if (decl.watermark !== null) this.duration(decl.watermark, 'watermark', 'non-negative', NO_PARAMS);
    if (decl.idleAfter !== null) this.duration(decl.idleAfter, 'idle after', 'positive', NO_PARAMS);
    const checked = checkSourceShape(decl, this.options.schemas, fallback, (at, message) => this.error(at, message));
    if (this.decls.get(decl.name.name) === decl) this.schemas.set(decl.name.name, checked.schema);
    this.sources.set(decl.name.name, { decl, ...checked });
  }

  // ------------------------------------------------------------ streams

  private checkStream(decl: A.StreamDecl): void {
    const name = decl.name.name;
    const input = decl.union.length === 0 ? this.input(decl.from, name, decl) : this.unionInput(decl);
    const fields = new Map(input.fields);
    const recordOf =
      decl.union.length === 0 ? `records of '${decl.from.name}'` : `records of the union of ${[decl.from, ...decl.union].map((n) => `'${n.name}'`).join(', ')}`;
    const record = (): Scope => ({
      record: { open: input.open, fields },
      recordOf,
      params: NO_PARAMS,
      pattern: null,
      aggregates: 'none',
      objects: false,
      where: '',
      constant: false,
    });
    if (decl.where !== null) this.ex.condition(decl.where, { ...record(), where: "in 'where'" }, "'where'");
    const lookups = new Map<A.Enrich, LookupSignature>();
    const firstEnrich = decl.enrich[0];
    if (firstEnrich !== undefined && decl.union.length > 0) {
      this.error(firstEnrich.pos, "'enrich' cannot be used on a union; enrich the input stream that needs it");
    }
    for (const e of decl.enrich) {
      const sig = this.enrich(e, { ...record(), where: "in 'enrich'" });
      if (sig !== null) lookups.set(e, sig);
      if (fields.has(e.name.name) && !input.open) {
        this.error(e.name.pos, `'enrich ${e.name.name}' would overwrite the field '${e.name.name}'`);
      }
      fields.set(e.name.name, sig?.returns ?? 'unknown');
    }
    for (const key of decl.keyBy) this.keyExpr(key, { ...record(), where: "in 'key by'" });
    const window = decl.window;
    if (window !== null) {
      switch (window.kind) {
        case 'tumbling':
          this.duration(window.size, 'window size', 'positive', NO_PARAMS);
          if (window.offset !== null) this.windowOffset(window.offset, window.size);
          break;
        case 'sliding':
          this.duration(window.size, 'window size', 'positive', NO_PARAMS);
          this.duration(window.slide, 'window slide', 'positive', NO_PARAMS);
          if (window.offset !== null) this.windowOffset(window.offset, window.slide);
          break;
        case 'session':
          this.duration(window.gap, 'session gap', 'positive', NO_PARAMS);
          break;
        default:
          unreachable(window);
      }
    }
    const select = decl.select;
    const prevs = select === null ? [] : prevCalls(select.items.map((i) => i.expr));
    if (decl.allowedLateness !== null) {
      if (window === null && prevs.length === 0) {
        this.error(decl.allowedLateness.pos, "'allowed lateness' needs a window or prev(): without one a stream refuses no record");
      }
      this.duration(decl.allowedLateness, 'allowed lateness', 'non-negative', NO_PARAMS);
    }
    if (decl.lateInto !== null && window === null && prevs.length === 0) {
      this.error(decl.lateInto.pos, "'late into' needs a window or prev(): without one a stream refuses no record");
    }
    if (select === null) {
      if (window !== null) this.error(decl.window?.pos ?? decl.pos, `the windowed stream '${name}' needs a 'select' with its keys and aggregates`);
    } else {
      this.checkSelect(decl, select, { ...record(), aggregates: window === null ? 'none' : 'window', where: "in 'select'", prev: window === null });
    }
    this.checkKeep(decl, prevs);
    const output = this.streamOutput(decl, input);
    if (this.decls.get(name) === decl) this.schemas.set(name, output);
    this.streams.set(name, { decl, input, output, lookups });
  }

  /**
   * `from a union b ...` (SQL UNION ALL, Flink's union): every input must carry the same fields, with types that
   * mix (numbers with durations and timestamps, anything with null); a field a closed input lacks is an error
   * (select it, e.g. `null as f`). An open input (no schema) is taken to have the others' fields.
   */
  private unionInput(decl: A.StreamDecl): Schema {
    const reader = decl.name.name;
    const inputs: { name: A.Name; schema: Schema }[] = [];
    for (const n of [decl.from, ...decl.union]) {
      const dup = inputs.find((i) => i.name.name === n.name);
      if (dup !== undefined) {
        this.error(n.pos, `'${n.name}' is already an input of this union (at column ${dup.name.pos.col}); read it once`);
        continue;
      }
      inputs.push({ name: n, schema: this.input(n, reader, decl) });
    }
    const fields = new Map<string, Type>();
    const bad = new Set<string>();
    for (const { name, schema } of inputs) {
      for (const [f, t] of schema.fields) {
        const before = fields.get(f);
        if (before === undefined) {
          fields.set(f, t);
          continue;
        }
        const mixed = join(before, t);
        if (mixed === null) {
          if (!bad.has(f)) this.error(name.pos, `the union's inputs disagree on '${f}': ${describeType(before)} in one, ${describeType(t)} in '${name.name}'`);
          bad.add(f);
          continue;
        }
        fields.set(f, mixed);
      }
    }
    for (const { name, schema } of inputs) {
      if (schema.open) continue;
      const missing = [...fields.keys()].filter((f) => !schema.fields.has(f));
      if (missing.length > 0) {
        const first = missing[0] as string;
        this.error(
          name.pos,
          `every input of a union needs the same fields, but '${name.name}' has no ${missing.map((f) => `'${f}'`).join(', ')} (select ${missing.length === 1 ? 'it' : 'them'} there, e.g. 'null as ${first}')`,
        );
      }
    }
    return { open: inputs.every((i) => i.schema.open), fields };
  }

  /**
   * `prev(x)` keeps per key the previous record's values: it needs keys (`key by`) and a bound on how long a key's
   * state outlives its last record (`keep`); `keep` without prev() bounds nothing.
   */
  private checkKeep(decl: A.StreamDecl, prevs: readonly A.Call[]): void {
    const first = prevs[0];
    if (decl.keep !== null) {
      this.duration(decl.keep, 'keep', 'positive', NO_PARAMS);
      if (first === undefined) this.error(decl.keep.pos, "'keep' bounds the state of prev(); this stream's select has no prev(...)");
      else if (decl.window !== null) this.error(decl.keep.pos, "'keep' cannot be used with a window; prev() belongs in a stream without one");
    }
    if (first === undefined || decl.window !== null) return;
    if (decl.keyBy.length === 0) {
      this.error(first.callee.pos, "'prev' needs 'key by': it reads the previous record of the same key (e.g. 'key by plate, plate_color')");
    } else if (decl.keep === null) {
      this.error(first.callee.pos, "'prev' needs 'keep <duration>' after 'key by': how long a key's previous record is remembered (e.g. 'keep 1d')");
    }
  }

  /** As in Flink, a window offset must be shorter than the period it shifts (size, or slide for sliding). */
  private windowOffset(offset: A.Expr, period: A.Expr): void {
    this.duration(offset, 'window offset', 'any', NO_PARAMS);
    const o = constantValue(offset, NO_PARAMS);
    const p = constantValue(period, NO_PARAMS);
    if (o !== null && p !== null && p > 0 && Math.abs(o) >= p) {
      this.error(offset.pos, `the window offset (${o}ms) must be shorter than the window's period (${p}ms)`);
    }
  }

  private enrich(e: A.Enrich, scope: Scope): LookupSignature | null {
    const fn = e.call.callee;
    const sig = this.lookups.get(fn.name);
    if (sig === undefined) {
      const hint = this.functions.has(fn.name) ? ` ('${fn.name}' is a function: compute it in 'select' instead)` : '';
      this.error(fn.pos, `unknown lookup '${fn.name}'${hint}`);
      for (const arg of e.call.args) this.ex.expr(arg, scope);
      return null;
    }
    this.ex.arguments(e.call, sig, scope);
    return sig;
  }

  private checkSelect(decl: A.StreamDecl, select: A.Select, scope: Scope): void {
    if (select.star && decl.window !== null) {
      this.error(select.pos, "'select *' cannot be used with a window; select the keys and aggregates");
    }
    const names = new Map<string, A.Pos>();
    for (const item of select.items) {
      this.ex.expr(item.expr, scope);
      const name = item.alias?.name ?? (item.expr.kind === 'field' ? item.expr.name : null);
      const at = item.alias?.pos ?? item.pos;
      if (name === null) {
        this.error(item.pos, "this select item needs a name: add 'as <name>'");
        continue;
      }
      if (names.has(name)) this.error(at, `duplicate name '${name}' in select`);
      names.set(name, at);
      if (decl.window !== null) {
        if (name === 'window_start' || name === 'window_end') {
          this.error(at, `'${name}' is added to every window record; choose another name`);
        }
        if (!containsAggregate(item.expr) && !decl.keyBy.some((k) => sameExpr(k, item.expr))) {
          this.error(item.pos, `'${printExpr(item.expr)}' is neither a key of 'key by' nor inside an aggregate`);
        }
      }
    }
  }

  private keyExpr(e: A.Expr, scope: Scope): void {
    const t = this.ex.expr(e, scope);
    if (t === 'object') this.error(e.pos, 'a key must be a plain value, not an object');
  }

  // ------------------------------------------------------------ patterns

  private checkPattern(declared: A.PatternDecl): void {
    const decl = expandLets(declared, (n) => this.functions.has(n) || this.lookups.has(n), this.tables.errors, this.tables.silenced);
    const name = decl.name.name;
    const params = this.params(decl.params);
    const input = this.input(decl.from, name, decl);
    const vars = this.variables(decl);
    const recordOf = `records of '${decl.from.name}'`;
    const base: Scope = {
      record: input,
      recordOf,
      params,
      pattern: null,
      aggregates: 'none',
      objects: false,
      where: '',
      constant: false,
    };
    for (const key of decl.keyBy) this.keyExpr(key, { ...base, where: "in 'key by'" });

    const defined = new Map<string, A.Define>();
    for (const d of decl.defines) {
      const v = d.variable.name;
      const previous = defined.get(v);
      if (previous !== undefined) {
        this.error(d.variable.pos, `'${v}' is already defined at line ${previous.variable.pos.line}`);
        continue;
      }
      defined.set(v, d);
      const info = vars.get(v);
      if (info === undefined) {
        this.error(d.variable.pos, `'${v}' is defined but does not appear in 'match'`);
        const pattern: PatternScope = { vars, current: null, inUntil: false, input };
        this.ex.condition(d.cond, { ...base, pattern, aggregates: 'pattern', where: `in 'define ${v}'` }, `the condition of '${v}'`);
        continue;
      }
      const pattern: PatternScope = { vars, current: info, inUntil: false, input };
      this.ex.condition(d.cond, { ...base, pattern, aggregates: 'pattern', where: `in 'define ${v}'` }, `the condition of '${v}'`);
    }

    this.checkMatch(decl, vars, base, input);
    if (decl.within !== null) this.duration(decl.within, 'within', 'positive', params);
    if (decl.allowedLateness !== null) {
      this.duration(decl.allowedLateness, 'allowed lateness', 'non-negative', params);
      if (decl.within === null)
        this.error(decl.allowedLateness.pos, "'allowed lateness' on a pattern needs 'within': it bounds the events kept to match again");
    }

    const skip = decl.afterMatch;
    if (skip !== null && (skip.kind === 'skip-to-first' || skip.kind === 'skip-to-last')) {
      const v = vars.get(skip.variable.name);
      const how = skip.kind === 'skip-to-first' ? 'first' : 'last';
      if (v === undefined) this.error(skip.variable.pos, `unknown pattern variable '${skip.variable.name}' in 'skip to ${how}'`);
      else if (v.negated) this.error(skip.variable.pos, `'${v.name}' is a 'not' term and never part of a match; it cannot be a skip target`);
      else if (how === 'first' && v.index === 0 && !v.optional) {
        this.error(skip.variable.pos, `'skip to first ${v.name}' would restart at the same event forever; use 'skip to next' or a later variable`);
      }
    }

    const emitScope: Scope = {
      record: null,
      recordOf,
      params,
      pattern: { vars, current: null, inUntil: false, input },
      aggregates: 'pattern',
      objects: true,
      where: "in 'emit'",
      constant: false,
    };
    if (decl.emit !== null) this.ex.expr(decl.emit, emitScope);
    if (decl.onTimeout !== null) {
      if (decl.within === null) this.error(decl.onTimeout.pos, "'on timeout emit' needs 'within': only 'within' makes a partial match time out");
      this.ex.expr(decl.onTimeout, { ...emitScope, where: "in 'on timeout emit'" });
    }

    const variables = [...vars.values()].map((v) => ({ ...v, condition: defined.get(v.name)?.cond ?? null }));
    // Read as a stream (`stream s = from <pattern>`), a pattern's records are its emit payloads.
    const output: Schema = { open: false, fields: new Map((decl.emit?.entries ?? []).map((e) => [e.key, this.tables.types.get(e.value) ?? 'unknown'])) };
    if (this.decls.get(name) === declared) this.schemas.set(name, output);
    this.patterns.set(name, { decl, input, params: [...params.values()], variables, output });
  }

  private params(list: readonly A.Param[]): Map<string, ParamInfo> {
    const params = new Map<string, ParamInfo>();
    for (const p of list) {
      if (params.has(p.name.name)) {
        this.error(p.name.pos, `duplicate parameter '${p.name.name}'`);
        continue;
      }
      const type = this.ex.expr(p.default, { ...constantScope(NO_PARAMS), where: 'in a parameter default' });
      params.set(p.name.name, { name: p.name.name, default: literalValue(p.default), type, decl: p });
    }
    return params;
  }

  /** The variables of `match`, in order; reports duplicates. */
  private variables(decl: A.PatternDecl): Map<string, VariableInfo> {
    const vars = new Map<string, VariableInfo>();
    decl.match.forEach((step, index) => {
      const t = step.term;
      const name = t.variable.name;
      if (vars.has(name)) {
        this.error(t.variable.pos, `'${name}' appears twice in 'match'; each term needs its own variable`);
        return;
      }
      const q = t.quantifier;
      const negated = step.connector?.kind === 'not-next' || step.connector?.kind === 'not-followed-by';
      const optional = t.optional || q?.kind === 'optional' || q?.kind === 'zero-or-more' || (q?.kind === 'times' && q.min === 0);
      const repeating = q !== null && q.kind !== 'optional' && !(q.kind === 'times' && q.max !== null && q.max <= 1);
      vars.set(name, { name, index, step, condition: null, negated, optional, repeating });
    });
    return vars;
  }

  private checkMatch(decl: A.PatternDecl, vars: ReadonlyMap<string, VariableInfo>, base: Scope, input: Schema): void {
    const steps = decl.match;
    steps.forEach((step, index) => {
      const t = step.term;
      const q = t.quantifier;
      const negated = step.connector?.kind === 'not-next' || step.connector?.kind === 'not-followed-by';
      const last = index === steps.length - 1;
      const before = steps[index - 1];
      const previous = before === undefined ? undefined : vars.get(before.term.variable.name);
      if (negated && step.connector !== null && previous?.optional === true && !previous.negated) {
        this.error(
          step.connector.pos,
          `a 'not' term cannot follow the optional term '${previous.name}' (as in Flink); write two patterns, one with '${previous.name}' and one without`,
        );
      }
      if (negated) {
        if (q !== null || t.optional) {
          this.error(q?.pos ?? t.pos, `a 'not' term cannot have a quantifier: '${t.variable.name}' must match no event at all`);
        }
        for (const m of t.modifiers) this.error(m.pos, `a 'not' term cannot have modifiers such as '${m.kind}'`);
      }
      if (q !== null && q.kind === 'times') this.counts(t, q);
      const looping = q !== null && (q.kind === 'one-or-more' || q.kind === 'zero-or-more' || (q.kind === 'times' && q.max === null));
      const repeated = q !== null && q.kind !== 'optional';
      const seen = new Set<string>();
      for (const m of t.modifiers) {
        if (seen.has(m.kind)) this.error(m.pos, `'${m.kind}' is given twice`);
        seen.add(m.kind);
        if (negated) continue;
        switch (m.kind) {
          case 'until': {
            if (!looping) this.error(m.pos, `'until' needs a looping term (v+, v* or v{n,}), but '${t.variable.name}' is not one`);
            const info = vars.get(t.variable.name);
            const pattern: PatternScope | null = info === undefined ? null : { vars, current: info, inUntil: true, input };
            this.ex.condition(m.cond, { ...base, pattern, aggregates: 'pattern', where: "in 'until'" }, "'until'");
            break;
          }
          case 'greedy':
            if (!repeated) this.error(m.pos, `'greedy' needs a repeating term (v+, v*, v{n}, v{n,m}), but '${t.variable.name}' is not one`);
            else if (last) this.error(m.pos, "'greedy' cannot be used on the last term of a pattern (as in Flink); end with a plain or reluctant term");
            break;
          case 'consecutive':
          case 'any':
            if (!repeated) this.error(m.pos, `'${m.kind}' needs a repeating term (v+, v*, v{n}, v{n,m}), but '${t.variable.name}' is not one`);
            break;
          default:
            unreachable(m);
        }
      }
      if (seen.has('consecutive') && seen.has('any')) {
        const m = t.modifiers.find((x) => x.kind === 'any');
        if (m !== undefined) this.error(m.pos, "'any' and 'consecutive' exclude each other: a loop is either strict or takes any combination");
      }
    });
    const lastStep = steps[steps.length - 1];
    if (lastStep?.connector?.kind === 'not-followed-by' && decl.within === null) {
      this.error(lastStep.connector.pos, "a pattern that ends with 'not followed by' needs 'within': otherwise it could never complete");
    }
    // A pattern of optional terms only is accepted, as Flink accepts it (a match still needs an event); the
    // linter warns (lint/dubious.ts). The first term never has a connector, so it is never a 'not' term.
  }

  private counts(t: A.Term, q: { readonly min: number; readonly max: number | null; readonly pos: A.Pos }): void {
    const text = `${t.variable.name}{${q.min}${q.max === q.min ? '' : `,${q.max ?? ''}`}}`;
    if (!Number.isInteger(q.min) || (q.max !== null && !Number.isInteger(q.max))) {
      this.error(q.pos, `the counts in '${text}' must be whole numbers`);
    } else if (q.max !== null && q.max < q.min) {
      this.error(q.pos, `'${text}' can never match: the upper bound ${q.max} is below the lower bound ${q.min}`);
    } else if (q.max === 0) {
      this.error(q.pos, `'${text}' can never match an event; remove the term or use '${t.variable.name}?'`);
    } else if (Math.max(q.min, q.max ?? 0) > MAX_QUANTIFIER_COUNT) {
      this.error(q.pos, `the counts in '${text}' are too large: at most ${MAX_QUANTIFIER_COUNT} (each counted event is a state of the matcher)`);
    }
  }

  // ------------------------------------------------------------ expressions

  /** A clause whose value must be a duration known before the run (literals and parameters). */
  private duration(e: A.Expr, clause: string, sign: 'positive' | 'non-negative' | 'any', params: ReadonlyMap<string, ParamInfo>): void {
    const t = this.ex.expr(e, { ...constantScope(params), where: `in '${clause}'` });
    if (!assignable(t, 'duration')) {
      this.error(e.pos, `'${clause}' must be a duration such as 5m, got ${describeType(t)}`);
      return;
    }
    const value = constantValue(e, params);
    if (value === null) return;
    if (sign === 'positive' && !(value > 0)) this.error(e.pos, `'${clause}' must be a positive duration, got ${value}ms`);
    if (sign === 'non-negative' && !(value >= 0)) this.error(e.pos, `'${clause}' cannot be negative, got ${value}ms`);
    // An event time plus this must stay an exact integer (see MAX_EVENT_TIME); 2^52 ms is over 140,000 years.
    if (Math.abs(value) > MAX_DURATION_MS) this.error(e.pos, `'${clause}' is too long: ${value}ms (at most 2^52 ms, about 142,000 years)`);
  }
}

/** Makes a `switch` over a union fail to compile when a new kind is added and not handled. */
function unreachable(x: never): never {
  throw new Error(`unhandled node ${JSON.stringify(x)}`);
}
