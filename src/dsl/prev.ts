/**
 * `prev(x)`: the value of `x` on the key's previous record in event-time order (Flink SQL's LAG(x) OVER (PARTITION
 * BY key ORDER BY rowtime)); null on a key's first record, and once the previous record is older than `keep`.
 */
import type * as A from './ast.js';

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
    for (const child of childrenOf(e)) visit(child);
  };
  for (const e of exprs) visit(e);
  return out;
}

/** The names of the fields the expressions read (bare names: a table's name in `lookup` counts too, harmlessly). */
export function fieldsRead(exprs: readonly A.Expr[]): Set<string> {
  const out = new Set<string>();
  const visit = (e: A.Expr): void => {
    if (e.kind === 'field') out.add(e.name);
    for (const child of childrenOf(e)) visit(child);
  };
  for (const e of exprs) visit(e);
  return out;
}

/** The direct subexpressions of `e`. */
function childrenOf(e: A.Expr): readonly A.Expr[] {
  switch (e.kind) {
    case 'number':
    case 'string':
    case 'boolean':
    case 'null':
    case 'duration':
    case 'field':
    case 'member':
      return [];
    case 'unary':
      return [e.operand];
    case 'binary':
      return [e.left, e.right];
    case 'in':
      return [e.value, ...e.items];
    case 'between':
      return [e.value, e.low, e.high];
    case 'call':
    case 'aggregate':
    case 'coalesce':
      return e.args;
    case 'if':
      return [e.cond, e.then, e.else];
    case 'object':
      return e.entries.map((entry) => entry.value);
  }
}
