import {
  type AggregateFunction,
  avg,
  composite,
  count,
  first,
  type Getter,
  last,
  max,
  min,
  plainRecordFactory,
  stddev,
  sum,
  top,
  type WindowFiring,
} from '../../core/index.js';
import * as A from '../ast.js';
import type { AggregateBinding } from '../checked.js';
import { containsAggregate } from '../constants.js';
import type { Value } from '../functions.js';
import { compileExpr, type ExprContext } from './expr.js';
import { setIdentity, windowIdentity } from './identity.js';
import { type Evaluator, type Rec, RecordScope } from './scope.js';

/**
 * The hidden first aggregate: the window's earliest record by event time, against which plain (key) select items
 * are evaluated. When no item mixes aggregates with the record's fields, it keeps only the plain items' values on
 * that record, not the record: a window then holds a few values, not a whole record, until it is dropped.
 */
const FIRST_RECORD = '$first';

/**
 * A windowed `select` compiled to one composite incremental aggregate (one accumulator part per aggregate call in
 * the select list, plus the window's first record) and a function that builds the output record on firing:
 * the selected items, then window_start, window_end, and `update: true` on a re-firing. Each output record is
 * identified by its window (stream, key, start, end; see identity.ts), which alert ids use instead of its values.
 */
export interface CompiledWindowSelect {
  readonly aggregate: AggregateFunction<Rec, unknown[], Record<string, unknown>>;
  readonly result: (firing: WindowFiring<Record<string, unknown>>) => Rec;
}

export function compileWindowSelect(select: A.Select, cx: ExprContext, stream: string): CompiledWindowSelect {
  const parts: Record<string, AggregateFunction<Rec, unknown, unknown>> = {};
  // At firing, `results` holds the aggregate results; each aggregate evaluator reads its slot.
  let results: Record<string, unknown> = {};
  const scope = new RecordScope();
  /** Window results stay in the window's output for as long as readers hold them: fields inside the object. */
  const makeOut = plainRecordFactory();
  let n = 0;
  const windowAggregate = (node: A.Aggregate, b: Extract<AggregateBinding, { kind: 'window' }>): Evaluator => {
    const slot = `$${n++}`;
    parts[slot] = aggregateFor(b.fn, b.arg, cx, b.n ?? 1);
    void node;
    return () => (results[slot] ?? null) as Value;
  };
  const itemCx: ExprContext = { ...cx, windowAggregate };
  const names: string[] = [];
  const evals: Evaluator[] = [];
  const plain: boolean[] = [];
  for (let i = 0; i < select.items.length; i++) {
    const item = select.items[i] as A.SelectItem;
    names.push(A.selectItemName(item, i));
    evals.push(compileExpr(item.expr, itemCx));
    plain.push(!containsAggregate(item.expr));
  }
  const keepRecord = select.items.some((item, i) => !plain[i] && readsRecord(item.expr));
  // Plain items' values on the first record, in item order (undefined for aggregate items).
  const project = (r: Rec): Value[] => {
    scope.event = r;
    const values: Value[] = new Array(names.length).fill(null);
    for (let i = 0; i < names.length; i++) if (plain[i] === true) values[i] = (evals[i] as Evaluator)(scope);
    return values;
  };
  // The first record part goes first, as it always has (snapshots list parts in this order).
  const allParts: Record<string, AggregateFunction<Rec, unknown, unknown>> = {
    [FIRST_RECORD]: (keepRecord ? first<Rec>((r) => r) : firstProjected(project)) as AggregateFunction<Rec, unknown, unknown>,
    ...parts,
  };
  const aggregate = composite<Rec, Record<string, unknown>>(allParts as { [k: string]: AggregateFunction<Rec, unknown, unknown> });
  return {
    aggregate,
    result: (firing) => {
      results = firing.result;
      const out = makeOut() as Record<string, Value>;
      if (keepRecord) {
        scope.event = (results[FIRST_RECORD] ?? null) as Rec | null;
        for (let i = 0; i < names.length; i++) out[names[i] as string] = (evals[i] as Evaluator)(scope);
      } else {
        const values = (results[FIRST_RECORD] ?? null) as Value[] | null;
        scope.event = null;
        for (let i = 0; i < names.length; i++) {
          out[names[i] as string] = plain[i] === true ? (values === null ? null : (values[i] as Value)) : (evals[i] as Evaluator)(scope);
        }
      }
      out['window_start'] = firing.window.start;
      out['window_end'] = firing.window.end;
      if (firing.update) out['update'] = true;
      setIdentity(out, windowIdentity(stream, firing.key, firing.window.start, firing.window.end));
      return out;
    },
  };
}

interface ProjectedAcc {
  v: Value[] | null;
  t: number | null;
}

/**
 * first() by event time of a projection of the record (earliest arrival on ties, as first()), projecting only
 * when the record becomes the first: once per window for in-order records, not once per record.
 */
function firstProjected(project: (r: Rec) => Value[]): AggregateFunction<Rec, ProjectedAcc, Value[] | null> {
  return {
    create: () => ({ v: null, t: null }),
    add: (acc, r, ts) => {
      if (acc.t === null || ts < acc.t) {
        acc.v = project(r);
        acc.t = ts;
      }
      return acc;
    },
    merge: (a, b) => (b.t !== null && (a.t === null || b.t < a.t) ? { ...b } : { ...a }),
    result: (acc) => (acc.t === null ? null : acc.v),
    exactMerge: true,
  };
}

/** Whether an expression reads the record outside its aggregates' arguments (conservatively: any name). */
function readsRecord(e: A.Expr): boolean {
  const stack: A.Expr[] = [e];
  for (let x = stack.pop(); x !== undefined; x = stack.pop()) {
    if (x.kind === 'field' || x.kind === 'member') return true;
    if (x.kind === 'aggregate') continue;
    A.forEachChild(x, (child) => {
      stack.push(child);
      return undefined;
    });
  }
  return false;
}

function aggregateFor(fn: A.AggregateFn, arg: A.Expr | null, cx: ExprContext, n: number): AggregateFunction<Rec, unknown, unknown> {
  let get: Getter<Rec> | undefined;
  if (arg !== null) {
    const b = arg.kind === 'field' ? cx.program.bindings.get(arg) : undefined;
    if (b !== undefined && b.kind === 'field') {
      // A record field: read it directly (a missing field reads undefined, which every aggregate skips as null).
      const f = b.field;
      get = (r) => r[f];
    } else {
      const e = compileExpr(arg, cx);
      const scope = new RecordScope();
      get = (r) => {
        scope.event = r;
        return e(scope);
      };
    }
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
    case 'stddev':
      return stddev<Rec>(need()) as AggregateFunction<Rec, unknown, unknown>;
    case 'min':
      return min<Rec>(need()) as AggregateFunction<Rec, unknown, unknown>;
    case 'max':
      return max<Rec>(need()) as AggregateFunction<Rec, unknown, unknown>;
    case 'first':
      return first<Rec>(need()) as AggregateFunction<Rec, unknown, unknown>;
    case 'last':
      return last<Rec>(need()) as AggregateFunction<Rec, unknown, unknown>;
    case 'top':
      return top<Rec>(n, need()) as AggregateFunction<Rec, unknown, unknown>;
  }
}
