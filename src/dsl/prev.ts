/**
 * `prev(x)`: the value of `x` on the key's previous record in event-time order (Flink SQL's LAG(x) OVER (PARTITION
 * BY key ORDER BY rowtime)); null on a key's first record, and once the previous record is older than `keep`.
 */
import type * as A from './ast.js';
import { forEachChild } from './ast.js';

/** The name of the built-in; a registered function of that name would take its place. */
export const PREV = 'prev';

export function isPrev(e: A.Call): boolean {
  return e.callee.name === PREV;
}

/** Every `prev(...)` call in the expressions, outermost first, in text order (the slots the operator remembers). */
export function prevCalls(exprs: readonly A.Expr[]): A.Call[] {
  const out: A.Call[] = [];
  const visit = (e: A.Expr): void => {
    if (e.kind === 'call' && isPrev(e)) out.push(e);
    forEachChild(e, visit);
  };
  for (const e of exprs) visit(e);
  return out;
}

/** The names of the fields the expressions read (bare names: a table's name in `lookup` counts too, harmlessly). */
export function fieldsRead(exprs: readonly A.Expr[]): Set<string> {
  const out = new Set<string>();
  const visit = (e: A.Expr): void => {
    if (e.kind === 'field') out.add(e.name);
    forEachChild(e, visit);
  };
  for (const e of exprs) visit(e);
  return out;
}
