/** Constant values and structural helpers over expressions, shared by the checker and the compiler. */
import type * as A from './ast.js';
import { someExpr } from './ast.js';
import type { ParamInfo } from './checked.js';
import type { Value } from './functions.js';

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
        case '+':
          return a + b;
        case '-':
          return a - b;
        case '*':
          return a * b;
        case '/':
          return b === 0 ? null : a / b;
        default:
          return null;
      }
    }
    default:
      return null;
  }
}

export function containsAggregate(e: A.Expr): boolean {
  return someExpr(e, (x) => x.kind === 'aggregate');
}

/** Structural equality of expressions, ignoring positions (for "is this select item a key?"). */
export function sameExpr(a: A.Expr, b: A.Expr): boolean {
  return JSON.stringify(a, dropPositions) === JSON.stringify(b, dropPositions);
}

function dropPositions(key: string, value: unknown): unknown {
  return key === 'pos' || key === 'opPos' ? undefined : value;
}
