import { plainRecordFactory } from '../../core/index.js';
import type * as A from '../ast.js';
import type { AggregateBinding, Binding, CheckedProgram } from '../checked.js';
import { literalValue } from '../constants.js';
import type { Value } from '../functions.js';
import { isPrev } from '../prev.js';
import type { Evaluator, Rec, Scope } from './scope.js';

/**
 * Compiles checked expressions to closures (no eval, no Function on user text). Semantics:
 * - null propagates through arithmetic and functions; any comparison with null is false (DSL.md);
 *   `and`/`or`/`not` treat null as false; a non-finite arithmetic result (0/0) is null, ±Infinity stays.
 * - Parameters are constants bound at compile time (rule overrides first, then defaults).
 */
export interface ExprContext {
  readonly program: CheckedProgram;
  readonly params: Readonly<Record<string, Value>>;
  /** Compiles window aggregates (only inside a windowed select); returns the evaluator of the aggregate's result. */
  readonly windowAggregate?: (node: A.Aggregate, binding: Extract<AggregateBinding, { kind: 'window' }>) => Evaluator;
  /** Compiles `prev(x)` (only in the select of a stream with `keep`): the evaluator of x's value on the previous record. */
  readonly prevValue?: (node: A.Call) => Evaluator;
}

export function compileExpr(node: A.Expr, cx: ExprContext): Evaluator {
  switch (node.kind) {
    case 'number':
    case 'string':
    case 'boolean': {
      const v = node.value;
      return () => v;
    }
    case 'null':
      return () => null;
    case 'duration': {
      const v = node.ms;
      return () => v;
    }
    case 'field':
    case 'member':
      return compileRef(node, cx);
    case 'unary': {
      const operand = compileExpr(node.operand, cx);
      if (node.op === 'not') return (s) => operand(s) !== true;
      return (s) => {
        const v = operand(s);
        return typeof v === 'number' ? -v : null;
      };
    }
    case 'binary':
      return compileBinary(node, cx);
    case 'in': {
      const value = compileExpr(node.value, cx);
      const negated = node.negated;
      if (node.items.length > 8 && node.items.every(isLiteral)) {
        // A watchlist: one hash lookup per record instead of a scan (null never matches, as in the scan).
        const set = new Set(node.items.map((i) => literalValue(i)));
        set.delete(null);
        return (s) => {
          const v = value(s);
          if (v === null || v === undefined) return false;
          return set.has(v) !== negated;
        };
      }
      const items = node.items.map((i) => compileExpr(i, cx));
      return (s) => {
        const v = value(s);
        if (v === null || v === undefined) return false;
        for (let i = 0; i < items.length; i++) if ((items[i] as Evaluator)(s) === v) return !negated;
        return negated;
      };
    }
    case 'between': {
      const value = compileExpr(node.value, cx);
      const low = compileExpr(node.low, cx);
      const high = compileExpr(node.high, cx);
      const negated = node.negated;
      return (s) => {
        const v = value(s);
        const lo = low(s);
        const hi = high(s);
        if (!comparable(v, lo) || !comparable(v, hi)) return false;
        const inside = (lo as number) <= (v as number) && (v as number) <= (hi as number);
        return negated ? !inside : inside;
      };
    }
    case 'call':
      return compileCall(node, cx);
    case 'aggregate':
      return compileAggregate(node, cx);
    case 'if': {
      const c = compileExpr(node.cond, cx);
      const t = compileExpr(node.then, cx);
      const e = compileExpr(node.else, cx);
      return (s) => (c(s) === true ? t(s) : e(s));
    }
    case 'coalesce': {
      const args = node.args.map((a) => compileExpr(a, cx));
      return (s) => {
        for (let i = 0; i < args.length; i++) {
          const v = (args[i] as Evaluator)(s);
          if (v !== null && v !== undefined) return v;
        }
        return null;
      };
    }
    case 'object': {
      const keys = node.entries.map((e) => e.key);
      const values = node.entries.map((e) => compileExpr(e.value, cx));
      const plain = plainRecordFactory();
      return (s) => {
        const out = plain() as Record<string, Value>;
        for (let i = 0; i < keys.length; i++) out[keys[i] as string] = (values[i] as Evaluator)(s);
        return out;
      };
    }
  }
}

/** `lookup(t, key[, default])`: one Map.get per record; a number key reads the entry of its decimal spelling. */
function compileTableLookup(node: A.Call, table: ReadonlyMap<string, Value>, cx: ExprContext): Evaluator {
  const key = compileExpr(node.args[1] as A.Expr, cx);
  const otherwise = node.args[2] === undefined ? () => null : compileExpr(node.args[2], cx);
  return (s) => {
    const k = key(s);
    const v = typeof k === 'string' ? table.get(k) : typeof k === 'number' ? table.get(String(k)) : undefined;
    return v === undefined ? otherwise(s) : v;
  };
}

/** A condition: true only for the boolean true (null and non-booleans are false). */
export function compileCondition(node: A.Expr, cx: ExprContext): (s: Scope) => boolean {
  const e = compileExpr(node, cx);
  return (s) => e(s) === true;
}

function norm(v: Value | undefined): Value {
  return v === undefined ? null : v;
}

function comparable(a: Value | undefined, b: Value | undefined): boolean {
  return a !== null && a !== undefined && b !== null && b !== undefined && typeof a === typeof b && typeof a !== 'object';
}

function binding(node: A.FieldRef | A.MemberRef, cx: ExprContext): Binding {
  const b = cx.program.bindings.get(node);
  if (b === undefined)
    throw new Error(
      `internal: no binding for '${node.kind === 'field' ? node.name : `${node.variable.name}.${node.field}`}' at ${node.pos.file}:${node.pos.line}:${node.pos.col}`,
    );
  return b;
}

function compileRef(node: A.FieldRef | A.MemberRef, cx: ExprContext): Evaluator {
  const b = binding(node, cx);
  switch (b.kind) {
    case 'field':
    case 'current': {
      const f = b.field;
      return (s) => (s.event === null ? null : norm(s.event[f]));
    }
    case 'param': {
      const v = norm(cx.params[b.param]);
      return () => v;
    }
    case 'last': {
      const variable = b.variable;
      const f = b.field;
      return (s) => {
        const last = s.last(variable);
        return last === undefined ? null : norm(last[f]);
      };
    }
  }
}

function arith(op: A.ArithmeticOp, a: number, b: number): Value {
  let r: number;
  switch (op) {
    case '+':
      r = a + b;
      break;
    case '-':
      r = a - b;
      break;
    case '*':
      r = a * b;
      break;
    case '/':
      r = a / b;
      break;
    case '%':
      r = a % b;
      break;
  }
  return Number.isNaN(r) ? null : r;
}

function compileBinary(node: A.Binary, cx: ExprContext): Evaluator {
  const l = compileExpr(node.left, cx);
  const r = compileExpr(node.right, cx);
  const op = node.op;
  switch (op) {
    case 'and':
      return (s) => l(s) === true && r(s) === true;
    case 'or':
      return (s) => l(s) === true || r(s) === true;
    case '==':
      return (s) => {
        const a = l(s);
        const b = r(s);
        return a !== null && a !== undefined && b !== null && b !== undefined && a === b;
      };
    case '!=':
      return (s) => {
        const a = l(s);
        const b = r(s);
        return a !== null && a !== undefined && b !== null && b !== undefined && a !== b;
      };
    case '<':
      return (s) => {
        const a = l(s);
        const b = r(s);
        return comparable(a, b) && (a as number) < (b as number);
      };
    case '<=':
      return (s) => {
        const a = l(s);
        const b = r(s);
        return comparable(a, b) && (a as number) <= (b as number);
      };
    case '>':
      return (s) => {
        const a = l(s);
        const b = r(s);
        return comparable(a, b) && (a as number) > (b as number);
      };
    case '>=':
      return (s) => {
        const a = l(s);
        const b = r(s);
        return comparable(a, b) && (a as number) >= (b as number);
      };
    case '+':
      // `+` joins strings too when the checker typed both sides as strings.
      return (s) => {
        const a = l(s);
        const b = r(s);
        if (typeof a === 'number' && typeof b === 'number') return arith('+', a, b);
        if (typeof a === 'string' && typeof b === 'string') return a + b;
        return null;
      };
    default:
      return (s) => {
        const a = l(s);
        const b = r(s);
        return typeof a === 'number' && typeof b === 'number' ? arith(op, a, b) : null;
      };
  }
}

function compileCall(node: A.Call, cx: ExprContext): Evaluator {
  const table = cx.program.tableLookups.get(node);
  if (table !== undefined) return compileTableLookup(node, table, cx);
  const sig = cx.program.calls.get(node);
  if (sig === undefined && isPrev(node) && cx.prevValue !== undefined) return cx.prevValue(node);
  if (sig === undefined) throw new Error(`internal: unresolved call '${node.callee.name}'`);
  const impl = sig.impl;
  const args = node.args.map((a) => compileExpr(a, cx));
  // Fixed arities call the implementation directly: no argument array per call.
  switch (args.length) {
    case 0:
      return () => norm(impl());
    case 1: {
      const [a] = args as [Evaluator];
      return (s) => norm(impl(a(s)));
    }
    case 2: {
      const [a, b] = args as [Evaluator, Evaluator];
      return (s) => norm(impl(a(s), b(s)));
    }
    case 3: {
      const [a, b, c] = args as [Evaluator, Evaluator, Evaluator];
      return (s) => norm(impl(a(s), b(s), c(s)));
    }
    default:
      return (s) => norm(impl(...args.map((a) => a(s))));
  }
}

function compileAggregate(node: A.Aggregate, cx: ExprContext): Evaluator {
  const b = cx.program.aggregates.get(node);
  if (b === undefined) throw new Error(`internal: unresolved aggregate '${node.fn}'`);
  if (b.kind === 'window') {
    if (cx.windowAggregate === undefined) throw new Error(`internal: window aggregate '${node.fn}' outside a windowed select`);
    return cx.windowAggregate(node, b);
  }
  const { variable, field, includesCurrent, fn } = b;
  const pick = (e: Rec): Value => (field === null ? true : norm(e[field]));
  return (s) => {
    const evs = s.events(variable);
    const current = includesCurrent ? s.event : null;
    return aggregateOver(fn, evs, current, pick);
  };
}

/** An aggregate over the events matched to a variable so far (plus the event under test when it counts). */
function aggregateOver(fn: A.AggregateFn, evs: readonly Rec[], current: Rec | null, pick: (e: Rec) => Value): Value {
  const n = evs.length + (current === null ? 0 : 1);
  const at = (i: number): Rec => (i < evs.length ? (evs[i] as Rec) : (current as Rec));
  switch (fn) {
    case 'count': {
      let c = 0;
      for (let i = 0; i < n; i++) {
        const v = pick(at(i));
        if (v !== null) c++;
      }
      return c;
    }
    case 'first':
      for (let i = 0; i < n; i++) {
        const v = pick(at(i));
        if (v !== null) return v;
      }
      return null;
    case 'last':
      for (let i = n - 1; i >= 0; i--) {
        const v = pick(at(i));
        if (v !== null) return v;
      }
      return null;
    case 'sum':
    case 'avg':
    case 'min':
    case 'max': {
      let acc: number | null = null;
      let k = 0;
      for (let i = 0; i < n; i++) {
        const v = pick(at(i));
        if (typeof v !== 'number') continue;
        k++;
        if (acc === null) acc = v;
        else if (fn === 'min') acc = v < acc ? v : acc;
        else if (fn === 'max') acc = v > acc ? v : acc;
        else acc += v;
      }
      if (fn === 'avg') return acc === null ? null : acc / k;
      return acc;
    }
    case 'stddev': {
      // Welford's update: one pass, no cancellation between a large sum of squares and the squared mean.
      let k = 0;
      let mean = 0;
      let m2 = 0;
      for (let i = 0; i < n; i++) {
        const v = pick(at(i));
        if (typeof v !== 'number') continue;
        k++;
        const d = v - mean;
        mean += d / k;
        m2 += d * (v - mean);
      }
      return k < 2 ? null : Math.sqrt(m2 / (k - 1));
    }
    case 'top':
      throw new Error('internal: top() is a window aggregate; the checker refuses it in a pattern');
  }
}

function isLiteral(e: A.Expr): e is A.Literal {
  return e.kind === 'number' || e.kind === 'string' || e.kind === 'boolean' || e.kind === 'null' || e.kind === 'duration';
}
