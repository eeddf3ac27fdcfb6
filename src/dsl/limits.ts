/**
 * Limits of the language, refused with a positioned error instead of exhausting the stack or the heap. The
 * checker and the compiler walk expressions recursively, and an NFA has a state per counted repetition.
 */
import { type Expr, forEachChild } from './ast.js';

/** Nesting of expressions (operators, calls, `not`): far beyond what a person writes, well inside the stack. */
export const MAX_EXPRESSION_DEPTH = 256;

/** `v{n}` / `v{n,m}` / `v{n,}`: each counted repetition is an NFA state, copied into every partial match. */
export const MAX_QUANTIFIER_COUNT = 1000;

/**
 * The longest duration (`within`, window sizes, lateness): 2^52 ms. An event time (at most 2^52 ms, see the core's
 * MAX_EVENT_TIME) plus a duration must stay an exact integer, or a timer due at `ts + within` never gets past `ts`.
 */
export const MAX_DURATION_MS = 2 ** 52;

/** The first node (in source order) nested deeper than MAX_EXPRESSION_DEPTH in `e`, or null. Iterative. */
export function tooDeep(e: Expr, depth = 1): Expr | null {
  const stack: [Expr, number][] = [[e, depth]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [x, d] = top;
    if (d > MAX_EXPRESSION_DEPTH) return x;
    const children: Expr[] = [];
    forEachChild(x, (c) => {
      children.push(c);
      return undefined;
    });
    for (let i = children.length - 1; i >= 0; i--) {
      const c = children[i] as Expr;
      // A leaf at an allowed depth cannot be too deep: skipping it keeps long literal lists cheap.
      if (d + 1 <= MAX_EXPRESSION_DEPTH && isLeaf(c)) continue;
      stack.push([c, d + 1]);
    }
  }
  return null;
}

export function tooDeepMessage(at: Expr): string {
  const hint = at.kind === 'binary' && at.op === 'or' ? "; for a list of values use 'x in [a, b, ...]'" : '';
  return `this expression is nested too deeply (more than ${MAX_EXPRESSION_DEPTH} levels of operators and calls)${hint}`;
}

function isLeaf(e: Expr): boolean {
  return (
    e.kind === 'number' ||
    e.kind === 'string' ||
    e.kind === 'boolean' ||
    e.kind === 'null' ||
    e.kind === 'duration' ||
    e.kind === 'field' ||
    e.kind === 'member'
  );
}
