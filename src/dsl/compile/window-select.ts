import {
  avg,
  composite,
  count,
  first,
  last,
  max,
  min,
  sum,
  type AggregateFunction,
  type Getter,
  type WindowFiring,
} from '../../core/index.js';
import type * as A from '../ast.js';
import type { AggregateBinding } from '../checked.js';
import type { Value } from '../functions.js';
import { compileExpr, type ExprContext } from './expr.js';
import { RecordScope, type Evaluator, type Rec } from './scope.js';

/** The hidden first aggregate: the window's earliest record, against which plain (key) select items are evaluated. */
const FIRST_RECORD = '$first';

/**
 * A windowed `select` compiled to one composite incremental aggregate (one accumulator part per aggregate call in
 * the select list, plus the window's first record) and a function that builds the output record on firing:
 * the selected items, then window_start, window_end, and `update: true` on a re-firing.
 */
export interface CompiledWindowSelect {
  readonly aggregate: AggregateFunction<Rec, unknown[], Record<string, unknown>>;
  readonly result: (firing: WindowFiring<Record<string, unknown>>) => Rec;
}

export function compileWindowSelect(select: A.Select, cx: ExprContext): CompiledWindowSelect {
  const parts: Record<string, AggregateFunction<Rec, unknown, unknown>> = {
    [FIRST_RECORD]: first<Rec>((r) => r) as AggregateFunction<Rec, unknown, unknown>,
  };
  // At firing, `results` holds the aggregate results; each aggregate evaluator reads its slot.
  let results: Record<string, unknown> = {};
  const scope = new RecordScope();
  let n = 0;
  const windowAggregate = (node: A.Aggregate, b: Extract<AggregateBinding, { kind: 'window' }>): Evaluator => {
    const slot = `$${n++}`;
    parts[slot] = aggregateFor(b.fn, b.arg, cx);
    void node;
    return () => (results[slot] ?? null) as Value;
  };
  const itemCx: ExprContext = { ...cx, windowAggregate };
  const names: string[] = [];
  const evals: Evaluator[] = [];
  select.items.forEach((item, i) => {
    names.push(selectName(item, i));
    evals.push(compileExpr(item.expr, itemCx));
  });
  const aggregate = composite<Rec, Record<string, unknown>>(parts as { [k: string]: AggregateFunction<Rec, unknown, unknown> });
  return {
    aggregate,
    result: (firing) => {
      results = firing.result;
      scope.event = (results[FIRST_RECORD] ?? null) as Rec | null;
      const out: Record<string, Value> = {};
      for (let i = 0; i < names.length; i++) out[names[i] as string] = (evals[i] as Evaluator)(scope);
      out['window_start'] = firing.window.start;
      out['window_end'] = firing.window.end;
      if (firing.update) out['update'] = true;
      return out;
    },
  };
}

/** The output field name of a select item: its alias, a bare field's name, or the aggregate's name. */
export function selectName(item: A.SelectItem, index: number): string {
  if (item.alias !== null) return item.alias.name;
  const e = item.expr;
  if (e.kind === 'field') return e.name;
  if (e.kind === 'member') return e.field;
  if (e.kind === 'aggregate') return e.fn;
  if (e.kind === 'call') return e.callee.name;
  return `expr_${index + 1}`;
}

function aggregateFor(fn: A.AggregateFn, arg: A.Expr | null, cx: ExprContext): AggregateFunction<Rec, unknown, unknown> {
  let get: Getter<Rec> | undefined;
  if (arg !== null) {
    const e = compileExpr(arg, cx);
    const scope = new RecordScope();
    get = (r) => {
      scope.event = r;
      return e(scope);
    };
  }
  const need = (): Getter<Rec> => {
    if (get === undefined) throw new Error(`internal: ${fn}() needs an argument`);
    return get;
  };
  switch (fn) {
    case 'count':
      return count<Rec>(get) as AggregateFunction<Rec, unknown, unknown>;
    case 'sum':
      return sum<Rec>(need()) as AggregateFunction<Rec, unknown, unknown>;
    case 'avg':
      return avg<Rec>(need()) as AggregateFunction<Rec, unknown, unknown>;
    case 'min':
      return min<Rec>(need()) as AggregateFunction<Rec, unknown, unknown>;
    case 'max':
      return max<Rec>(need()) as AggregateFunction<Rec, unknown, unknown>;
    case 'first':
      return first<Rec>(need()) as AggregateFunction<Rec, unknown, unknown>;
    case 'last':
      return last<Rec>(need()) as AggregateFunction<Rec, unknown, unknown>;
  }
}
