/**
 * Types and resolves expressions: every field, `v.f`, call and aggregate gets its type and binding recorded in
 * the shared tables; every problem becomes a DslError. Declarations are checked in checker.ts.
 */
import type * as A from './ast.js';
import type { AggregateBinding, Binding, ParamInfo, Schema, VariableInfo } from './checked.js';
import { type DslError, errorAt, type Located } from './errors.js';
import { type FunctionRegistry, type FunctionSignature, type LookupRegistry, type LookupSignature, paramType } from './functions.js';
import { isPrev } from './prev.js';
import { printExpr, printString } from './print.js';
import { didYouMean } from './suggest.js';
import type { LookupTable, TableValue } from './tables.js';
import { assignable, describeType, isNumeric, join, type Type } from './types.js';

export type AggregateMode = 'none' | 'window' | 'pattern';

export interface PatternScope {
  readonly vars: ReadonlyMap<string, VariableInfo>;
  /** The variable under test (define / until); null in emit and key by. */
  readonly current: VariableInfo | null;
  /** `until`: aggregates over the current variable do not include the event under test. */
  readonly inUntil: boolean;
  /** The pattern's event schema, for `v.f` (emit has no current record, but its events have fields). */
  readonly input: Schema;
}

export interface Scope {
  /** Fields of the record under evaluation; null where there is none (emit, constants). */
  readonly record: Schema | null;
  /** For messages: "records of 'passes'". */
  readonly recordOf: string;
  readonly params: ReadonlyMap<string, ParamInfo>;
  readonly pattern: PatternScope | null;
  readonly aggregates: AggregateMode;
  /** Object literals are allowed (the payload of `emit`). */
  readonly objects: boolean;
  /** Names the clause for messages, e.g. "in 'within'". */
  readonly where: string;
  /** A clause fixed before the run (`within`, window sizes, ...): only literals and parameters. */
  readonly constant: boolean;
  /** `prev(x)` may be used: the select of a stream without a window (the stream checks its `key by` and `keep`). */
  readonly prev?: boolean;
}

/** The checker's outputs, shared by the declaration and expression passes. */
export interface CheckTables {
  readonly errors: DslError[];
  readonly types: Map<A.Expr, Type>;
  readonly bindings: Map<A.FieldRef | A.MemberRef, Binding>;
  readonly aggregates: Map<A.Aggregate, AggregateBinding>;
  readonly calls: Map<A.Call, FunctionSignature>;
  /** Expressions already reported (a wrong use of a `let`): typed unknown and not checked again. */
  readonly silenced: Set<A.Expr>;
  /** `lookup(t, key)` calls and their table's Map. */
  readonly tableLookups: Map<A.Call, ReadonlyMap<string, TableValue>>;
}

export const NO_PARAMS: ReadonlyMap<string, ParamInfo> = new Map();

export class ExprChecker {
  constructor(
    private readonly out: CheckTables,
    private readonly functions: FunctionRegistry,
    private readonly lookups: LookupRegistry,
    /** Declared tables by name; null: declared but not built (its error is reported already). */
    private readonly lookupTables: ReadonlyMap<string, LookupTable | null> = new Map(),
  ) {}

  private error(at: Located, message: string): void {
    this.out.errors.push(errorAt(at, message));
  }

  condition(e: A.Expr, scope: Scope, what: string): void {
    const t = this.expr(e, scope);
    if (!assignable(t, 'boolean')) this.error(e.pos, `${what} must be true or false, got ${describeType(t)}`);
  }

  expr(e: A.Expr, scope: Scope): Type {
    const t = this.out.silenced.has(e) ? 'unknown' : this.infer(e, scope);
    this.out.types.set(e, t);
    return t;
  }

  private infer(e: A.Expr, scope: Scope): Type {
    switch (e.kind) {
      case 'number':
        // 1e400 lexes as Infinity: refused here so no parameter default or constant is non-finite.
        if (!Number.isFinite(e.value)) this.error(e.pos, 'this number is too large (not a finite number)');
        return 'number';
      case 'string':
        return 'string';
      case 'boolean':
        return 'boolean';
      case 'null':
        return 'null';
      case 'duration':
        if (!Number.isFinite(e.ms)) this.error(e.pos, 'this duration is too large (not a finite number of milliseconds)');
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
          if (keys.has(entry.key))
            this.error(entry.pos, `duplicate key ${/^[A-Za-z_][A-Za-z0-9_]*$/.test(entry.key) ? `'${entry.key}'` : printString(entry.key)}`);
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
      this.out.bindings.set(e, { kind: 'param', param: e.name, type: param.type });
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
    this.out.bindings.set(e, { kind: 'field', field: e.name, type });
    return type;
  }

  private someField(scope: Scope): string {
    return scope.record?.fields.keys().next().value ?? 'ts';
  }

  /** Checks that a variable may be used here; returns its info, or null after reporting why not. */
  variable(v: A.Name, scope: Scope): VariableInfo | null {
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
    this.out.bindings.set(e, binding);
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
        for (const [side, t] of [
          [e.left, l],
          [e.right, r],
        ] as const) {
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
    if (l === 'unknown' || r === 'unknown') return e.op === '+' && l === 'unknown' && r === 'unknown' ? 'unknown' : 'number';
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
    if (name === 'lookup' && !this.functions.has(name)) return this.tableLookup(e, scope);
    if (isPrev(e) && !this.functions.has(name)) return this.prev(e, scope);
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
    this.out.calls.set(e, sig);
    return typeof sig.returns === 'function' ? sig.returns(types) : sig.returns;
  }

  /** `prev(x)`: `x` on the key's previous record; its type is x's (null on a key's first record). */
  private prev(e: A.Call, scope: Scope): Type {
    if (scope.aggregates === 'window') {
      this.error(e.callee.pos, "'prev' cannot be used in a windowed select; it belongs in the select of a keyed stream with 'keep' and no window");
    } else if (scope.prev !== true) {
      this.error(e.callee.pos, `'prev' is not allowed ${scope.where}; it belongs in the select of a keyed stream with 'keep' and no window`);
    }
    if (e.args.length !== 1) this.error(e.pos, `'prev' takes 1 argument (the value on the key's previous record), got ${e.args.length}`);
    const inner: Scope = { ...scope, prev: false, where: "inside 'prev(...)'" };
    const types = e.args.map((arg) => this.expr(arg, inner));
    return e.args.length === 1 ? (types[0] as Type) : 'unknown';
  }

  /** `lookup(t, key)` / `lookup(t, key, default)`: the value of `key` in table `t`, else the default (null). */
  private tableLookup(e: A.Call, scope: Scope): Type {
    const [table, key, otherwise, ...extra] = e.args;
    if (table === undefined || key === undefined || extra.length > 0) {
      this.error(e.pos, `'lookup' takes 2 or 3 arguments (table, key[, default]), got ${e.args.length}`);
      for (const arg of e.args) if (arg !== table || arg.kind !== 'field') this.expr(arg, scope);
      return 'unknown';
    }
    if (scope.constant) this.error(e.pos, `'lookup' is not a constant; only literals and parameters may be used ${scope.where}`);
    let valueType: Type = 'unknown';
    if (table.kind !== 'field') {
      this.error(table.pos, `the first argument of 'lookup' must be the name of a table (declared with 'table name = ...')`);
      this.expr(table, scope);
    } else {
      this.out.types.set(table, 'unknown');
      const t = this.lookupTables.get(table.name);
      if (t === undefined) {
        this.error(table.pos, `unknown table '${table.name}'${didYouMean(table.name, [...this.lookupTables.keys()])}`);
      } else if (t !== null) {
        valueType = t.type;
        this.out.tableLookups.set(e, t.values);
      }
    }
    const k = this.expr(key, scope);
    if (!assignable(k, 'string') && !isNumeric(k)) this.error(key.pos, `the key of 'lookup' must be a string or a number, got ${describeType(k)}`);
    if (otherwise === undefined) return valueType;
    const d = this.expr(otherwise, scope);
    const j = join(valueType, d);
    if (j === null)
      this.error(otherwise.pos, `the default of 'lookup' is ${describeType(d)}, but the table's values are of another type (${describeType(valueType)})`);
    return j ?? 'unknown';
  }

  /** Checks arity and argument types against a signature; returns the argument types. */
  arguments(e: A.Call, sig: FunctionSignature | LookupSignature, scope: Scope): Type[] {
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
        // hours(ts) was once the way to the hour of the day; it is a count of hours since 1970.
        const hint =
          want === 'duration' && t === 'timestamp'
            ? ` (a time between two events, such as b.ts - a.ts, or since an instant: ts - timestamp("2026-03-02T00:00:00Z")); ` +
              `for the time of day use local_hour(${printExpr(arg)})`
            : '';
        this.error(arg.pos, `argument ${i + 1} of '${sig.name}' must be ${describeType(want)}, got ${describeType(t)}${hint}`);
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
    if (fn === 'top') return this.topAggregate(e, scope, inner);
    if (scope.aggregates === 'window') {
      const arg = e.args[0];
      if (e.args.length > 1 || (arg === undefined && fn !== 'count')) {
        this.error(e.pos, `'${fn}' takes ${fn === 'count' ? '0 or 1 argument' : '1 argument'}, got ${e.args.length}`);
      }
      const t = arg === undefined ? 'number' : this.expr(arg, inner);
      const type = this.aggregateType(e, t);
      this.out.aggregates.set(e, { kind: 'window', fn, arg: arg ?? null, type });
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
      this.out.types.set(arg, 'number');
      // count(v) of a single, mandatory variable is always 1: legal in Flink, so the linter warns (lint/dubious.ts).
      this.out.aggregates.set(e, this.variableAggregate(e, info, null, 'number', scope));
      return 'number';
    }
    if (arg.kind !== 'member') {
      this.error(arg.pos, `'${fn}' in a pattern ranges over a variable's events: write ${fn}(v.${arg.kind === 'field' ? arg.name : 'field'})`);
      return 'unknown';
    }
    const info = this.variable(arg.variable, scope);
    if (info === null) return 'unknown';
    const t = this.memberField(arg, scope);
    this.out.types.set(arg, t);
    // fn(v.f) of a variable that matches at most one event is v.f: legal in Flink, so the linter warns.
    const type = this.aggregateType(e, t);
    this.out.aggregates.set(e, this.variableAggregate(e, info, arg.field, type, scope));
    return type;
  }

  /** `top(n, e)`: a window aggregate only; n a whole constant from 1 to 1000. */
  private topAggregate(e: A.Aggregate, scope: Scope, inner: Scope): Type {
    if (scope.aggregates !== 'window') {
      this.error(e.pos, `'top' ranks a window's values: it belongs in the select of a windowed stream, not in a pattern`);
      return 'unknown';
    }
    const [count, arg] = e.args;
    if (e.args.length !== 2 || count === undefined || arg === undefined) {
      this.error(e.pos, `'top' takes 2 arguments (how many, and the value to rank), got ${e.args.length}`);
      return 'object';
    }
    const n = count.kind === 'number' ? count.value : Number.NaN;
    if (!(Number.isInteger(n) && n >= 1 && n <= MAX_TOP)) {
      this.error(count.pos, `the first argument of 'top' must be a whole number from 1 to ${MAX_TOP}`);
    }
    const t = this.expr(arg, inner);
    if (t === 'object') this.error(arg.pos, `'top' ranks numbers, strings or booleans, got ${describeType(t)}`);
    this.out.types.set(count, 'number');
    this.out.aggregates.set(e, { kind: 'window', fn: 'top', arg, type: 'object', n: Number.isInteger(n) ? n : 1 });
    return 'object';
  }

  private variableAggregate(e: A.Aggregate, info: VariableInfo, field: string | null, type: Type, scope: Scope): AggregateBinding {
    const includesCurrent = scope.pattern?.current === info && !scope.pattern.inUntil;
    return { kind: 'variable', fn: e.fn, variable: info.name, field, includesCurrent, type };
  }

  private aggregateType(e: A.Aggregate, t: Type): Type {
    switch (e.fn) {
      case 'count':
        return 'number';
      case 'stddev':
        if (!assignable(t, 'number')) {
          this.error(e.pos, `'stddev' needs numbers, got ${describeType(t)}`);
          return 'unknown';
        }
        return t === 'duration' ? 'duration' : t === 'unknown' ? 'unknown' : 'number';
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
      case 'top':
        return 'object';
    }
  }
}

/** The most entries `top(n, e)` keeps: the ranking is a window's output, read by a person or a dashboard. */
const MAX_TOP = 1000;

export function constantScope(params: ReadonlyMap<string, ParamInfo>): Scope {
  return {
    record: null,
    recordOf: '',
    params,
    pattern: null,
    aggregates: 'none',
    objects: false,
    where: '',
    constant: true,
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
