/**
 * The checker: one pass over all declarations that reports every error it finds (sorted by place) and,
 * when there are none, returns the checked program the compiler works from.
 */
import type * as A from './ast.js';
import type {
  AggregateBinding, Binding, CheckedPattern, CheckedProgram, CheckedSource, CheckedStream, LateStream, ParamInfo,
  RecordSchema, Schema, VariableInfo,
} from './checked.js';
import { DslError, type Located, errorAt, sortErrors } from './errors.js';
import {
  type FunctionRegistry, type FunctionSignature, type LookupRegistry, type LookupSignature, type Value,
  builtinFunctions, builtinLookups, paramType,
} from './functions.js';
import { printExpr, printString } from './print.js';
import { didYouMean } from './suggest.js';
import { type Type, assignable, describeType, isNumeric, join } from './types.js';

export interface CheckOptions {
  /** Defaults to the built-ins; domain modules register theirs on a registry and pass it here. */
  readonly functions?: FunctionRegistry;
  readonly lookups?: LookupRegistry;
  /** Record schema of every source that has no entry in `sourceSchemas`. Without one, fields are `unknown`. */
  readonly schema?: RecordSchema;
  readonly sourceSchemas?: Readonly<Record<string, RecordSchema>>;
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
  const errors = sortErrors(checker.errors);
  return { errors, program: errors.length === 0 ? checker.result() : null };
}

function isProgramList(p: A.Program | readonly A.Program[]): p is readonly A.Program[] {
  return Array.isArray(p);
}

type AggregateMode = 'none' | 'window' | 'pattern';

interface PatternScope {
  readonly vars: ReadonlyMap<string, VariableInfo>;
  /** The variable under test (define / until); null in emit and key by. */
  readonly current: VariableInfo | null;
  /** `until`: aggregates over the current variable do not include the event under test. */
  readonly inUntil: boolean;
  readonly inEmit: boolean;
  /** The pattern's event schema, for `v.f` (emit has no current record, but its events have fields). */
  readonly input: Schema;
}

interface Scope {
  /** Fields of the record under evaluation; null where there is none (emit, constants). */
  readonly record: Schema | null;
  /** For messages: "records of 'passes'". */
  readonly recordOf: string;
  readonly params: ReadonlyMap<string, ParamInfo>;
  readonly pattern: PatternScope | null;
  readonly aggregates: AggregateMode;
  readonly objects: boolean;
  /** Names the clause for messages, e.g. "in 'within'". */
  readonly where: string;
  /** Inside `emit` a bare name must be a parameter. */
  readonly constant: boolean;
}

const NO_PARAMS: ReadonlyMap<string, ParamInfo> = new Map();
const OPEN_EMPTY: Schema = { open: true, fields: new Map() };

type Declared = A.SourceDecl | A.StreamDecl | A.PatternDecl;

class Checker {
  readonly errors: DslError[] = [];
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
  private readonly types = new Map<A.Expr, Type>();
  private readonly bindings = new Map<A.FieldRef | A.MemberRef, Binding>();
  private readonly aggregateBindings = new Map<A.Aggregate, AggregateBinding>();
  private readonly calls = new Map<A.Call, FunctionSignature>();

  constructor(private readonly programs: readonly A.Program[], private readonly options: CheckOptions) {
    this.functions = options.functions ?? builtinFunctions();
    this.lookups = options.lookups ?? builtinLookups();
  }

  private error(at: Located, message: string): void {
    this.errors.push(errorAt(at, message));
  }

  run(): void {
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
    const late = new Map<string, LateStream>();
    for (const [name, producers] of this.lateProducers) {
      late.set(name, { name, producers: producers.map((p) => p.producer), schema: this.schemaOf(name) ?? OPEN_EMPTY });
    }
    return {
      programs: this.programs, sources: this.sources, streams: this.streams, patterns: this.patterns, lateStreams: late,
      types: this.types, bindings: this.bindings, aggregates: this.aggregateBindings, calls: this.calls,
      functions: this.functions, lookups: this.lookups,
    };
  }

  // ------------------------------------------------------------ names

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
      if (late !== undefined) this.schemas.set(name, this.schemaOf(late.producer.from.name) ?? OPEN_EMPTY);
    } else if (decl.kind !== 'pattern') {
      this.checkDecl(decl);
    }
    this.resolving.delete(name);
    return this.schemas.get(name) ?? null;
  }

  private sourceSchema(decl: A.SourceDecl): Schema {
    const given = this.options.sourceSchemas?.[decl.name.name] ?? this.options.schema;
    const fields = new Map<string, Type>(given === undefined ? [] : Object.entries(given));
    // The source parses the event time (epoch ms or ISO-8601) into ms, so the DSL sees a timestamp.
    fields.set(decl.eventTime.name, 'timestamp');
    return { open: given === undefined, fields };
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
      if (name !== null) out.set(name, this.types.get(item.expr) ?? 'unknown');
    }
    if (decl.window !== null) {
      out.set('window_start', 'timestamp');
      out.set('window_end', 'timestamp');
    }
    return { open: select.star && input.open, fields: out };
  }

  /** Resolves a `from`: must be a source, a stream or a late stream, and not lead back to itself. */
  private input(from: A.Name, reader: string, self: Declared): Schema {
    const decl = this.decls.get(from.name);
    if (decl?.kind === 'pattern') {
      this.error(from.pos, `'${from.name}' is a pattern; 'from' takes a source or a stream`);
      return OPEN_EMPTY;
    }
    if (decl === undefined && !this.lateProducers.has(from.name)) {
      const inputs = [...[...this.decls.values()].filter((d) => d.kind !== 'pattern').map((d) => d.name.name), ...this.lateProducers.keys()];
      this.error(from.pos, `unknown source or stream '${from.name}'${didYouMean(from.name, inputs)}`);
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
    if (decl !== undefined) return decl.kind === 'stream' && this.readsFrom(decl.from.name, target, seen);
    return (this.lateProducers.get(name) ?? []).some((p) => this.readsFrom(p.producer.name.name, target, seen));
  }

  // ------------------------------------------------------------ sources

  private checkSource(decl: A.SourceDecl): void {
    const given = this.options.sourceSchemas?.[decl.name.name] ?? this.options.schema;
    if (given !== undefined && !(decl.eventTime.name in given)) {
      this.error(decl.eventTime.pos, `the event time field '${decl.eventTime.name}' is not a field of the records of '${decl.name.name}'`);
    }
    if (decl.watermark !== null) this.duration(decl.watermark, 'watermark', 'non-negative', NO_PARAMS);
    if (decl.idleAfter !== null) this.duration(decl.idleAfter, 'idle after', 'positive', NO_PARAMS);
    const schema = this.sourceSchema(decl);
    if (this.decls.get(decl.name.name) === decl) this.schemas.set(decl.name.name, schema);
    this.sources.set(decl.name.name, { decl, schema });
  }

  // ------------------------------------------------------------ streams

  private checkStream(decl: A.StreamDecl): void {
    const name = decl.name.name;
    const input = this.input(decl.from, name, decl);
    const fields = new Map(input.fields);
    const recordOf = `records of '${decl.from.name}'`;
    const record = (): Scope => ({
      record: { open: input.open, fields }, recordOf, params: NO_PARAMS, pattern: null, aggregates: 'none',
      objects: false, where: '', constant: false,
    });
    if (decl.where !== null) this.condition(decl.where, { ...record(), where: "in 'where'" }, "'where'");
    const lookups = new Map<A.Enrich, LookupSignature>();
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
    if (decl.allowedLateness !== null) {
      if (window === null) this.error(decl.allowedLateness.pos, "'allowed lateness' needs a window: without one a stream refuses no record");
      this.duration(decl.allowedLateness, 'allowed lateness', 'non-negative', NO_PARAMS);
    }
    if (decl.lateInto !== null && window === null) {
      this.error(decl.lateInto.pos, "'late into' needs a window: without one a stream refuses no record");
    }
    const select = decl.select;
    if (select === null) {
      if (window !== null) this.error(decl.window?.pos ?? decl.pos, `the windowed stream '${name}' needs a 'select' with its keys and aggregates`);
    } else {
      this.checkSelect(decl, select, { ...record(), aggregates: window === null ? 'none' : 'window', where: "in 'select'" });
    }
    const output = this.streamOutput(decl, input);
    if (this.decls.get(name) === decl) this.schemas.set(name, output);
    this.streams.set(name, { decl, input, output, lookups });
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
      for (const arg of e.call.args) this.expr(arg, scope);
      return null;
    }
    this.arguments(e.call, sig, scope);
    return sig;
  }

  private checkSelect(decl: A.StreamDecl, select: A.Select, scope: Scope): void {
    if (select.star && decl.window !== null) {
      this.error(select.pos, "'select *' cannot be used with a window; select the keys and aggregates");
    }
    const names = new Map<string, A.Pos>();
    for (const item of select.items) {
      this.expr(item.expr, scope);
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
    const t = this.expr(e, scope);
    if (t === 'object') this.error(e.pos, 'a key must be a plain value, not an object');
  }

  // ------------------------------------------------------------ patterns

  private checkPattern(decl: A.PatternDecl): void {
    const name = decl.name.name;
    const params = this.params(decl.params);
    const input = this.input(decl.from, name, decl);
    const vars = this.variables(decl);
    const recordOf = `records of '${decl.from.name}'`;
    const base: Scope = {
      record: input, recordOf, params, pattern: null, aggregates: 'none', objects: false, where: '', constant: false,
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
        const pattern: PatternScope = { vars, current: null, inUntil: false, inEmit: false, input };
        this.condition(d.cond, { ...base, pattern, aggregates: 'pattern', where: `in 'define ${v}'` }, `the condition of '${v}'`);
        continue;
      }
      const pattern: PatternScope = { vars, current: info, inUntil: false, inEmit: false, input };
      this.condition(d.cond, { ...base, pattern, aggregates: 'pattern', where: `in 'define ${v}'` }, `the condition of '${v}'`);
    }

    this.checkMatch(decl, vars, base, input);
    if (decl.within !== null) this.duration(decl.within, 'within', 'positive', params);

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
      record: null, recordOf, params, pattern: { vars, current: null, inUntil: false, inEmit: true, input },
      aggregates: 'pattern', objects: true, where: "in 'emit'", constant: false,
    };
    if (decl.emit !== null) this.expr(decl.emit, emitScope);
    if (decl.onTimeout !== null) {
      if (decl.within === null) this.error(decl.onTimeout.pos, "'on timeout emit' needs 'within': only 'within' makes a partial match time out");
      this.expr(decl.onTimeout, { ...emitScope, where: "in 'on timeout emit'" });
    }

    const variables = [...vars.values()].map((v) => ({ ...v, condition: defined.get(v.name)?.cond ?? null }));
    this.patterns.set(name, { decl, input, params: [...params.values()], variables });
  }

  private params(list: readonly A.Param[]): Map<string, ParamInfo> {
    const params = new Map<string, ParamInfo>();
    for (const p of list) {
      if (params.has(p.name.name)) {
        this.error(p.name.pos, `duplicate parameter '${p.name.name}'`);
        continue;
      }
      const type = this.expr(p.default, { ...constantScope(NO_PARAMS), where: 'in a parameter default' });
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
        this.error(step.connector.pos, `a 'not' term cannot follow the optional term '${previous.name}' (as in Flink); write two patterns, one with '${previous.name}' and one without`);
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
            const pattern: PatternScope | null = info === undefined ? null : { vars, current: info, inUntil: true, inEmit: false, input };
            this.condition(m.cond, { ...base, pattern, aggregates: 'pattern', where: "in 'until'" }, "'until'");
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
    if (steps.every((s) => vars.get(s.term.variable.name)?.optional === true || vars.get(s.term.variable.name)?.negated === true)) {
      const first = steps[0];
      if (first !== undefined) this.error(first.term.pos, 'every term of this pattern is optional, so it could match no event at all');
    }
  }

  private counts(t: A.Term, q: { readonly min: number; readonly max: number | null; readonly pos: A.Pos }): void {
    const text = `${t.variable.name}{${q.min}${q.max === q.min ? '' : `,${q.max ?? ''}`}}`;
    if (!Number.isInteger(q.min) || (q.max !== null && !Number.isInteger(q.max))) {
      this.error(q.pos, `the counts in '${text}' must be whole numbers`);
    } else if (q.max !== null && q.max < q.min) {
      this.error(q.pos, `'${text}' can never match: the upper bound ${q.max} is below the lower bound ${q.min}`);
    } else if (q.max === 0) {
      this.error(q.pos, `'${text}' can never match an event; remove the term or use '${t.variable.name}?'`);
    }
  }

  // ------------------------------------------------------------ expressions

  /** A clause whose value must be a duration known before the run (literals and parameters). */
  private duration(e: A.Expr, clause: string, sign: 'positive' | 'non-negative' | 'any', params: ReadonlyMap<string, ParamInfo>): void {
    const t = this.expr(e, { ...constantScope(params), where: `in '${clause}'` });
    if (!assignable(t, 'duration')) {
      this.error(e.pos, `'${clause}' must be a duration such as 5m, got ${describeType(t)}`);
      return;
    }
    const value = constantValue(e, params);
    if (value === null) return;
    if (sign === 'positive' && !(value > 0)) this.error(e.pos, `'${clause}' must be a positive duration, got ${value}ms`);
    if (sign === 'non-negative' && !(value >= 0)) this.error(e.pos, `'${clause}' cannot be negative, got ${value}ms`);
  }

  private condition(e: A.Expr, scope: Scope, what: string): void {
    const t = this.expr(e, scope);
    if (!assignable(t, 'boolean')) this.error(e.pos, `${what} must be true or false, got ${describeType(t)}`);
  }

  private expr(e: A.Expr, scope: Scope): Type {
    const t = this.infer(e, scope);
    this.types.set(e, t);
    return t;
  }

  private infer(e: A.Expr, scope: Scope): Type {
    switch (e.kind) {
      case 'number':
        return 'number';
      case 'string':
        return 'string';
      case 'boolean':
        return 'boolean';
      case 'null':
        return 'null';
      case 'duration':
        return 'duration';
      case 'field':
        return this.field(e, scope);
      case 'member':
        return this.member(e, scope);
      case 'unary':
        return this.unary(e, scope);
      case 'binary':
        return this.binary(e, scope);
      case 'in': {
        let t = this.expr(e.value, scope);
        for (const item of e.items) {
          const it = this.expr(item, scope);
          const j = join(t, it);
          if (j === null) this.error(item.pos, `this list item is ${describeType(it)}, but the value tested is ${describeType(t)}`);
          else t = j;
        }
        return 'boolean';
      }
      case 'between': {
        const v = this.expr(e.value, scope);
        for (const bound of [e.low, e.high]) {
          const b = this.expr(bound, scope);
          if (!ordered(v, b)) this.error(bound.pos, `'between' compares ${describeType(v)} with ${describeType(b)}`);
        }
        return 'boolean';
      }
      case 'call':
        return this.call(e, scope);
      case 'aggregate':
        return this.aggregate(e, scope);
      case 'if': {
        this.condition(e.cond, scope, "the condition of 'if'");
        const a = this.expr(e.then, scope);
        const b = this.expr(e.else, scope);
        const j = join(a, b);
        if (j === null) this.error(e.else.pos, `the branches of 'if' differ: ${describeType(a)} and ${describeType(b)}`);
        return j ?? 'unknown';
      }
      case 'coalesce': {
        if (e.args.length === 0) this.error(e.pos, "'coalesce' needs at least 1 argument");
        let t: Type = 'null';
        for (const arg of e.args) {
          const a = this.expr(arg, scope);
          const j = join(t, a);
          if (j === null) this.error(arg.pos, `the arguments of 'coalesce' differ: ${describeType(t)} and ${describeType(a)}`);
          else t = j;
        }
        return t;
      }
      case 'object': {
        if (!scope.objects) this.error(e.pos, `an object is only allowed as the payload of 'emit'`);
        const keys = new Set<string>();
        for (const entry of e.entries) {
          if (keys.has(entry.key)) this.error(entry.pos, `duplicate key ${/^[A-Za-z_][A-Za-z0-9_]*$/.test(entry.key) ? `'${entry.key}'` : printString(entry.key)}`);
          keys.add(entry.key);
          this.expr(entry.value, scope);
        }
        return 'object';
      }
    }
  }

  private field(e: A.FieldRef, scope: Scope): Type {
    const param = scope.params.get(e.name);
    if (param !== undefined) {
      this.bindings.set(e, { kind: 'param', param: e.name, type: param.type });
      return param.type;
    }
    const pattern = scope.pattern;
    const isVariable = pattern?.vars.has(e.name) === true;
    if (scope.record === null) {
      if (scope.constant) this.error(e.pos, `'${e.name}' is not a constant; only literals and parameters may be used ${scope.where}`);
      else if (isVariable) this.error(e.pos, `'${e.name}' is a pattern variable; use one of its fields, e.g. ${e.name}.${this.someField(scope)}`);
      else this.error(e.pos, `'${e.name}' is not a parameter; a field ${scope.where} must name its variable, e.g. v.${e.name}`);
      return 'unknown';
    }
    const known = scope.record.fields.get(e.name);
    if (known === undefined && isVariable) {
      this.error(e.pos, `'${e.name}' is a pattern variable; use one of its fields, e.g. ${e.name}.${this.someField(scope)}, or count(${e.name})`);
      return 'unknown';
    }
    if (known === undefined && !scope.record.open) {
      this.error(e.pos, `unknown field '${e.name}' in the ${scope.recordOf}${didYouMean(e.name, scope.record.fields.keys())}`);
      return 'unknown';
    }
    const type = known ?? 'unknown';
    this.bindings.set(e, { kind: 'field', field: e.name, type });
    return type;
  }

  private someField(scope: Scope): string {
    return scope.record?.fields.keys().next().value ?? 'ts';
  }

  /** Checks that a variable may be used here; returns its info, or null after reporting why not. */
  private variable(v: A.Name, scope: Scope): VariableInfo | null {
    const pattern = scope.pattern;
    if (pattern === null) {
      this.error(v.pos, `'${v.name}.' refers to a pattern variable, but there are none ${scope.where}`);
      return null;
    }
    const info = pattern.vars.get(v.name);
    if (info === undefined) {
      this.error(v.pos, `unknown pattern variable '${v.name}': it does not appear in 'match'${didYouMean(v.name, pattern.vars.keys())}`);
      return null;
    }
    const current = pattern.current;
    if (info.negated && info !== current) {
      this.error(v.pos, `'${v.name}' is a 'not' term and never matches an event, so it cannot be used ${scope.where}`);
      return null;
    }
    if (current !== null && info.index > current.index) {
      this.error(v.pos, `'${v.name}' is not matched yet when '${current.name}' is tested; a condition may use only earlier variables or its own`);
      return null;
    }
    return info;
  }

  private member(e: A.MemberRef, scope: Scope): Type {
    const info = this.variable(e.variable, scope);
    if (info === null) return 'unknown';
    const type = this.memberField(e, scope);
    const current = scope.pattern?.current === info;
    const binding: Binding = current
      ? { kind: 'current', variable: info.name, field: e.field, type }
      : { kind: 'last', variable: info.name, field: e.field, type };
    this.bindings.set(e, binding);
    return type;
  }

  private memberField(e: A.MemberRef, scope: Scope): Type {
    const record = scope.pattern?.input ?? null;
    const known = record?.fields.get(e.field);
    if (known === undefined && record !== null && !record.open) {
      this.error(e.pos, `unknown field '${e.field}' in the ${scope.recordOf}${didYouMean(e.field, record.fields.keys())}`);
      return 'unknown';
    }
    return known ?? 'unknown';
  }

  private unary(e: A.Unary, scope: Scope): Type {
    const t = this.expr(e.operand, scope);
    if (e.op === 'not') {
      if (!assignable(t, 'boolean')) this.error(e.pos, `'not' needs true or false, got ${describeType(t)}`);
      return 'boolean';
    }
    if (!assignable(t, 'number')) this.error(e.pos, `'-' needs a number, got ${describeType(t)}`);
    return t === 'duration' ? 'duration' : t === 'unknown' ? 'unknown' : 'number';
  }

  private binary(e: A.Binary, scope: Scope): Type {
    const l = this.expr(e.left, scope);
    const r = this.expr(e.right, scope);
    const op = e.op;
    switch (op) {
      case 'and':
      case 'or':
        for (const [side, t] of [[e.left, l], [e.right, r]] as const) {
          if (!assignable(t, 'boolean')) this.error(side.pos, `'${op}' needs true or false on both sides, got ${describeType(t)}`);
        }
        return 'boolean';
      case '==':
      case '!=':
        if (e.left.kind === 'null' || e.right.kind === 'null') {
          this.error(e.opPos, `a comparison with null is always false; use coalesce(x, fallback) to replace a missing value`);
        } else if (join(l, r) === null) {
          this.error(e.opPos, `cannot compare ${describeType(l)} with ${describeType(r)}`);
        }
        return 'boolean';
      case '<':
      case '<=':
      case '>':
      case '>=':
        if (!ordered(l, r)) this.error(e.opPos, `cannot order ${describeType(l)} and ${describeType(r)} with '${op}'`);
        return 'boolean';
      case '+':
        if ((l === 'string' || r === 'string') && assignable(l, 'string') && assignable(r, 'string')) return 'string';
        return this.arithmetic(e, l, r);
      case '-':
      case '*':
      case '/':
      case '%':
        return this.arithmetic(e, l, r);
    }
  }

  private arithmetic(e: A.Binary, l: Type, r: Type): Type {
    if (!assignable(l, 'number') || !assignable(r, 'number')) {
      this.error(e.opPos, `cannot apply '${e.op}' to ${describeType(l)} and ${describeType(r)}`);
      return 'unknown';
    }
    if (l === 'unknown' || r === 'unknown') return e.op === '+' && (l === 'unknown' && r === 'unknown') ? 'unknown' : 'number';
    const ts = (t: Type): boolean => t === 'timestamp';
    const dur = (t: Type): boolean => t === 'duration';
    switch (e.op) {
      case '+':
        if (ts(l) !== ts(r)) return 'timestamp';
        return dur(l) || dur(r) ? 'duration' : 'number';
      case '-':
        if (ts(l) && ts(r)) return 'duration';
        if (ts(l)) return 'timestamp';
        return dur(l) ? 'duration' : 'number';
      case '*':
        return dur(l) !== dur(r) ? 'duration' : 'number';
      case '/':
        return dur(l) && !dur(r) ? 'duration' : 'number';
      default:
        return dur(l) && dur(r) ? 'duration' : 'number';
    }
  }

  private call(e: A.Call, scope: Scope): Type {
    const name = e.callee.name;
    const sig = this.functions.get(name);
    if (sig === undefined) {
      if (name === 'if') {
        this.error(e.pos, `'if' takes 3 arguments (condition, then, else), got ${e.args.length}`);
      } else if (this.lookups.has(name)) {
        this.error(e.callee.pos, `'${name}' is a lookup; use it as 'enrich <name> = ${name}(...)' in a stream`);
      } else {
        this.error(e.callee.pos, `unknown function '${name}'${didYouMean(name, this.functions.names())}`);
      }
      for (const arg of e.args) this.expr(arg, scope);
      return 'unknown';
    }
    const types = this.arguments(e, sig, scope);
    this.calls.set(e, sig);
    return typeof sig.returns === 'function' ? sig.returns(types) : sig.returns;
  }

  /** Checks arity and argument types against a signature; returns the argument types. */
  private arguments(e: A.Call, sig: FunctionSignature | LookupSignature, scope: Scope): Type[] {
    const types = e.args.map((arg) => this.expr(arg, scope));
    const n = e.args.length;
    if (n < sig.minArgs || n > sig.maxArgs) {
      this.error(e.pos, `'${sig.name}' takes ${arity(sig)}, got ${n}`);
      return types;
    }
    types.forEach((t, i) => {
      const want = paramType(sig, i);
      if (!assignable(t, want)) {
        const arg = e.args[i] as A.Expr;
        this.error(arg.pos, `argument ${i + 1} of '${sig.name}' must be ${describeType(want)}, got ${describeType(t)}`);
      }
    });
    return types;
  }

  private aggregate(e: A.Aggregate, scope: Scope): Type {
    const fn = e.fn;
    if (scope.aggregates === 'none') {
      this.error(e.pos, `the aggregate '${fn}' is not allowed ${scope.where}; aggregates belong in the select of a windowed stream or in a pattern`);
      for (const arg of e.args) this.expr(arg, { ...scope, aggregates: 'none' });
      return 'unknown';
    }
    const inner: Scope = { ...scope, aggregates: 'none', where: `inside '${fn}(...)'` };
    if (scope.aggregates === 'window') {
      const arg = e.args[0];
      if (e.args.length > 1 || (arg === undefined && fn !== 'count')) {
        this.error(e.pos, `'${fn}' takes ${fn === 'count' ? '0 or 1 argument' : '1 argument'}, got ${e.args.length}`);
      }
      const t = arg === undefined ? 'number' : this.expr(arg, inner);
      const type = this.aggregateType(e, t);
      this.aggregateBindings.set(e, { kind: 'window', fn, arg: arg ?? null, type });
      return type;
    }
    // In a pattern: count(w) or fn(w.f).
    const arg = e.args[0];
    if (e.args.length !== 1 || arg === undefined) {
      const shape = fn === 'count' ? 'count(v)' : `${fn}(v.field)`;
      this.error(e.pos, `'${fn}' in a pattern takes one variable: ${shape}`);
      return 'unknown';
    }
    if (fn === 'count') {
      if (arg.kind !== 'field') {
        this.error(arg.pos, `'count' in a pattern takes a variable, as in count(v)`);
        return 'number';
      }
      const info = this.variable({ kind: 'name', name: arg.name, pos: arg.pos }, scope);
      if (info === null) return 'number';
      this.types.set(arg, 'number');
      if (!info.repeating && !info.optional) {
        this.error(e.pos, `count(${info.name}) is always 1: '${info.name}' matches exactly one event`);
      }
      this.aggregateBindings.set(e, this.variableAggregate(e, info, null, 'number', scope));
      return 'number';
    }
    if (arg.kind !== 'member') {
      this.error(arg.pos, `'${fn}' in a pattern ranges over a variable's events: write ${fn}(v.${arg.kind === 'field' ? arg.name : 'field'})`);
      return 'unknown';
    }
    const info = this.variable(arg.variable, scope);
    if (info === null) return 'unknown';
    const t = this.memberField(arg, scope);
    this.types.set(arg, t);
    if (!info.repeating) {
      this.error(e.pos, `'${fn}(${info.name}.${arg.field})' is pointless: '${info.name}' matches at most one event; use ${info.name}.${arg.field}`);
    }
    const type = this.aggregateType(e, t);
    this.aggregateBindings.set(e, this.variableAggregate(e, info, arg.field, type, scope));
    return type;
  }

  private variableAggregate(e: A.Aggregate, info: VariableInfo, field: string | null, type: Type, scope: Scope): AggregateBinding {
    const includesCurrent = scope.pattern?.current === info && !scope.pattern.inUntil;
    return { kind: 'variable', fn: e.fn, variable: info.name, field, includesCurrent, type };
  }

  private aggregateType(e: A.Aggregate, t: Type): Type {
    switch (e.fn) {
      case 'count':
        return 'number';
      case 'sum':
      case 'avg':
        if (!assignable(t, 'number')) {
          this.error(e.pos, `'${e.fn}' needs numbers, got ${describeType(t)}`);
          return 'unknown';
        }
        return t === 'duration' ? 'duration' : t === 'unknown' ? 'unknown' : 'number';
      case 'min':
      case 'max':
        if (!ordered(t, t)) this.error(e.pos, `'${e.fn}' needs numbers or strings, got ${describeType(t)}`);
        return t;
      case 'first':
      case 'last':
        return t;
    }
  }
}

/** Makes a `switch` over a union fail to compile when a new kind is added and not handled. */
function unreachable(x: never): never {
  throw new Error(`unhandled node ${JSON.stringify(x)}`);
}

function constantScope(params: ReadonlyMap<string, ParamInfo>): Scope {
  return {
    record: null, recordOf: '', params, pattern: null, aggregates: 'none', objects: false, where: '', constant: true,
  };
}

/** Whether `<`/`between` may compare the two types: numbers with numbers, strings with strings. */
function ordered(a: Type, b: Type): boolean {
  if (a === 'unknown' || b === 'unknown') return a !== 'object' && b !== 'object' && a !== 'boolean' && b !== 'boolean';
  if (isNumeric(a) && isNumeric(b)) return true;
  return a === 'string' && b === 'string';
}

function arity(sig: FunctionSignature | LookupSignature): string {
  const plural = (n: number): string => `${n} argument${n === 1 ? '' : 's'}`;
  if (sig.minArgs === sig.maxArgs) return plural(sig.minArgs);
  if (sig.maxArgs === Infinity) return `at least ${plural(sig.minArgs)}`;
  return `${sig.minArgs} to ${sig.maxArgs} arguments`;
}

export function literalValue(l: A.Literal): Value {
  switch (l.kind) {
    case 'number':
      return l.value;
    case 'string':
      return l.value;
    case 'boolean':
      return l.value;
    case 'null':
      return null;
    case 'duration':
      return l.ms;
  }
}

/** The value of a constant numeric expression (literals, parameters, arithmetic), or null if not that simple. */
export function constantValue(e: A.Expr, params: ReadonlyMap<string, ParamInfo>): number | null {
  switch (e.kind) {
    case 'number':
      return e.value;
    case 'duration':
      return e.ms;
    case 'field': {
      const v = params.get(e.name)?.default;
      return typeof v === 'number' ? v : null;
    }
    case 'unary': {
      const v = e.op === '-' ? constantValue(e.operand, params) : null;
      return v === null ? null : -v;
    }
    case 'binary': {
      const a = constantValue(e.left, params);
      const b = constantValue(e.right, params);
      if (a === null || b === null) return null;
      switch (e.op) {
        case '+': return a + b;
        case '-': return a - b;
        case '*': return a * b;
        case '/': return b === 0 ? null : a / b;
        default: return null;
      }
    }
    default:
      return null;
  }
}

function containsAggregate(e: A.Expr): boolean {
  switch (e.kind) {
    case 'aggregate':
      return true;
    case 'number': case 'string': case 'boolean': case 'null': case 'duration': case 'field': case 'member':
      return false;
    case 'unary':
      return containsAggregate(e.operand);
    case 'binary':
      return containsAggregate(e.left) || containsAggregate(e.right);
    case 'in':
      return containsAggregate(e.value) || e.items.some(containsAggregate);
    case 'between':
      return [e.value, e.low, e.high].some(containsAggregate);
    case 'call':
    case 'coalesce':
      return e.args.some(containsAggregate);
    case 'if':
      return [e.cond, e.then, e.else].some(containsAggregate);
    case 'object':
      return e.entries.some((x) => containsAggregate(x.value));
  }
}

/** Structural equality of expressions, ignoring positions (for "is this select item a key?"). */
export function sameExpr(a: A.Expr, b: A.Expr): boolean {
  return JSON.stringify(a, dropPositions) === JSON.stringify(b, dropPositions);
}

function dropPositions(key: string, value: unknown): unknown {
  return key === 'pos' || key === 'opPos' ? undefined : value;
}

