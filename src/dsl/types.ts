/**
 * The static types of the pattern language. Durations and timestamps are numbers of milliseconds: they are
 * accepted wherever a number is, and a plain number is accepted where a duration or timestamp is.
 * `unknown` is the type of a field no schema describes; it fits anything. `null` is the type of the literal.
 */
export type Type = 'number' | 'string' | 'boolean' | 'duration' | 'timestamp' | 'null' | 'object' | 'unknown';

export function isNumeric(t: Type): boolean {
  return t === 'number' || t === 'duration' || t === 'timestamp';
}

/** Whether a value of type `actual` may stand where `expected` is required. */
export function assignable(actual: Type, expected: Type): boolean {
  if (expected === 'unknown' || actual === 'unknown' || actual === 'null') return true;
  if (actual === expected) return true;
  if (expected === 'number') return isNumeric(actual);
  if (expected === 'duration' || expected === 'timestamp') return actual === 'number';
  return false;
}

/** The common type of two branches (`if`, `coalesce`, `in` lists), or null if they cannot mix. */
export function join(a: Type, b: Type): Type | null {
  if (a === b) return a;
  if (a === 'unknown' || a === 'null') return b;
  if (b === 'unknown' || b === 'null') return a;
  if (isNumeric(a) && isNumeric(b)) return 'number';
  return null;
}

/** For messages: `a number`, `a string`, ... */
export function describeType(t: Type): string {
  switch (t) {
    case 'number':
      return 'a number';
    case 'string':
      return 'a string';
    case 'boolean':
      return 'a boolean';
    case 'duration':
      return 'a duration';
    case 'timestamp':
      return 'a timestamp';
    case 'null':
      return 'null';
    case 'object':
      return 'an object';
    case 'unknown':
      return 'a value of unknown type';
  }
}
