/**
 * Functions callable from the pattern language. Built-ins from docs/language.md are registered by
 * `builtinFunctions()`; domain modules (traffic) register theirs on the same registry before checking.
 * `enrich` lookups are a separate, asynchronous kind: the checker needs only their signatures; the
 * implementation is bound by whoever runs the job (in memory or Redis).
 */
import type { Type } from './types.js';

/** A run-time value of the language. Objects are emit payloads. */
export type Value = null | boolean | number | string | ValueObject;
export interface ValueObject {
  readonly [key: string]: Value;
}

/** The return type of a call, fixed or computed from the argument types (for `abs`, `min`, ...). */
export type ResultType = Type | ((args: readonly Type[]) => Type);

export interface FunctionSignature {
  readonly name: string;
  /** Types of the positional parameters; arguments past the end have type `rest`. */
  readonly params: readonly Type[];
  readonly rest?: Type;
  readonly minArgs: number;
  /** `Infinity` for variadic functions. */
  readonly maxArgs: number;
  readonly returns: ResultType;
  /** Must be pure and deterministic: replays depend on it. */
  readonly impl: (...args: Value[]) => Value;
}

export interface LookupSignature {
  readonly name: string;
  readonly params: readonly Type[];
  readonly rest?: Type;
  readonly minArgs: number;
  readonly maxArgs: number;
  readonly returns: Type;
  /** State the lookup keeps by design (e.g. every key, forever): the linter notes each use. */
  readonly note?: string;
}

interface Named {
  readonly name: string;
}

class Registry<S extends Named> {
  private readonly entries = new Map<string, S>();
  constructor(private readonly what: string) {}

  /** Registers a signature; a second registration of the same name is a programming error. */
  register(signature: S): this {
    if (this.entries.has(signature.name)) throw new Error(`${this.what} '${signature.name}' is already registered`);
    this.entries.set(signature.name, signature);
    return this;
  }
  get(name: string): S | undefined {
    return this.entries.get(name);
  }
  has(name: string): boolean {
    return this.entries.has(name);
  }
  names(): string[] {
    return [...this.entries.keys()].sort();
  }
}

export class FunctionRegistry extends Registry<FunctionSignature> {
  constructor() {
    super('function');
  }
}

export class LookupRegistry extends Registry<LookupSignature> {
  constructor() {
    super('lookup');
  }
}

/** The argument type at position i, for arity-checked calls. */
export function paramType(sig: FunctionSignature | LookupSignature, i: number): Type {
  return sig.params[i] ?? sig.rest ?? 'unknown';
}

/** Numeric built-ins return null for a null argument, as SQL functions do. */
function num1(name: string, f: (x: number) => number, returns: ResultType = 'number'): FunctionSignature {
  return {
    name, params: ['number'], minArgs: 1, maxArgs: 1, returns,
    impl: (x) => (typeof x === 'number' ? f(x) : null),
  };
}

function str1(name: string, f: (s: string) => Value, returns: Type): FunctionSignature {
  return {
    name, params: ['string'], minArgs: 1, maxArgs: 1, returns,
    impl: (s) => (typeof s === 'string' ? f(s) : null),
  };
}

function str2(name: string, f: (s: string, t: string) => boolean): FunctionSignature {
  return {
    name, params: ['string', 'string'], minArgs: 2, maxArgs: 2, returns: 'boolean',
    impl: (s, t) => (typeof s === 'string' && typeof t === 'string' ? f(s, t) : null),
  };
}

/** Keeps `duration` / `timestamp` when every argument has it, else `number`. */
function sameNumeric(args: readonly Type[]): Type {
  const first = args[0];
  if (first !== undefined && (first === 'duration' || first === 'timestamp') && args.every((a) => a === first)) return first;
  return 'number';
}

function extreme(name: 'min' | 'max'): FunctionSignature {
  return {
    name, params: ['number', 'number'], rest: 'number', minArgs: 2, maxArgs: Infinity, returns: sameNumeric,
    impl: (...xs) => {
      let best: number | null = null;
      for (const x of xs) {
        if (typeof x !== 'number') return null;
        if (best === null || (name === 'min' ? x < best : x > best)) best = x;
      }
      return best;
    },
  };
}

/** `round(x)` and `round(x, digits)`; half away from zero, as SQL ROUND. */
const round: FunctionSignature = {
  name: 'round', params: ['number', 'number'], minArgs: 1, maxArgs: 2,
  returns: (args) => sameNumeric(args.slice(0, 1)),
  impl: (x, digits) => {
    if (typeof x !== 'number') return null;
    const d = digits === undefined ? 0 : digits;
    if (typeof d !== 'number') return null;
    const f = 10 ** Math.trunc(d);
    return (Math.sign(x) * Math.round(Math.abs(x) * f)) / f;
  },
};

export function builtinFunctions(): FunctionRegistry {
  return new FunctionRegistry()
    .register(num1('abs', Math.abs, sameNumeric))
    .register(round)
    .register(num1('floor', Math.floor, sameNumeric))
    .register(num1('ceil', Math.ceil, sameNumeric))
    .register(extreme('min'))
    .register(extreme('max'))
    .register(str1('lower', (s) => s.toLowerCase(), 'string'))
    .register(str1('upper', (s) => s.toUpperCase(), 'string'))
    .register(str1('length', (s) => [...s].length, 'number'))
    .register(str2('contains', (s, p) => s.includes(p)))
    .register(str2('starts_with', (s, p) => s.startsWith(p)))
    .register(str2('ends_with', (s, p) => s.endsWith(p)))
    .register(num1('hours', (ms) => ms / 3_600_000))
    .register(num1('minutes', (ms) => ms / 60_000))
    .register(num1('seconds', (ms) => ms / 1000));
}

/**
 * The language has no lookups of its own: whoever runs the job registers the ones it can bind to a store
 * (the app's `first_seen`) on this empty registry.
 */
export function builtinLookups(): LookupRegistry {
  return new LookupRegistry();
}
