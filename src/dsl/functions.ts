/**
 * Functions callable from the pattern language. Built-ins from docs/language.md are registered by
 * `builtinFunctions()`; domain modules (traffic) register theirs on the same registry before checking.
 * `enrich` lookups are a separate, asynchronous kind: the checker needs only their signatures; the
 * implementation is bound by whoever runs the job (in memory or Redis).
 */
import { type LocalTime, localTime } from './local-time.js';
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
    name,
    params: ['number'],
    minArgs: 1,
    maxArgs: 1,
    returns,
    impl: (x) => (typeof x === 'number' ? f(x) : null),
  };
}

function str1(name: string, f: (s: string) => Value, returns: Type): FunctionSignature {
  return {
    name,
    params: ['string'],
    minArgs: 1,
    maxArgs: 1,
    returns,
    impl: (s) => (typeof s === 'string' ? f(s) : null),
  };
}

function str2(name: string, f: (s: string, t: string) => boolean): FunctionSignature {
  return {
    name,
    params: ['string', 'string'],
    minArgs: 2,
    maxArgs: 2,
    returns: 'boolean',
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
    name,
    params: ['number', 'number'],
    rest: 'number',
    minArgs: 2,
    maxArgs: Infinity,
    returns: sameNumeric,
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
  name: 'round',
  params: ['number', 'number'],
  minArgs: 1,
  maxArgs: 2,
  returns: (args) => sameNumeric(args.slice(0, 1)),
  impl: (x, digits) => {
    if (typeof x !== 'number') return null;
    const d = digits === undefined ? 0 : digits;
    if (typeof d !== 'number') return null;
    const f = 10 ** Math.trunc(d);
    return (Math.sign(x) * Math.round(Math.abs(x) * f)) / f;
  },
};

/**
 * `substr(s, start, length?)` in code points (a plate's province character is one, as `length` counts), from 0;
 * a start or length past the end gives what there is, a negative start or length null.
 */
const substr: FunctionSignature = {
  name: 'substr',
  params: ['string', 'number', 'number'],
  minArgs: 2,
  maxArgs: 3,
  returns: 'string',
  impl: (s, start, length) => {
    if (typeof s !== 'string' || typeof start !== 'number') return null;
    const len = length === undefined ? Number.POSITIVE_INFINITY : length;
    if (typeof len !== 'number' || start < 0 || len < 0 || !Number.isInteger(start)) return null;
    let out = '';
    let i = 0;
    const end = start + Math.floor(len);
    for (const ch of s) {
      if (i >= end) break;
      if (i >= start) out += ch;
      i++;
    }
    return out;
  },
};

/**
 * `sqrt(x)`, null for a negative or null x. Counts are judged by it: a Poisson count's standard deviation is the
 * square root of its mean.
 */
const sqrt: FunctionSignature = {
  name: 'sqrt',
  params: ['number'],
  minArgs: 1,
  maxArgs: 1,
  returns: 'number',
  impl: (x) => (typeof x === 'number' && x >= 0 ? Math.sqrt(x) : null),
};

/** Durations to a number of hours, minutes, seconds: a timestamp is refused by the checker (use local_hour). */
function durationIn(name: string, ms: number): FunctionSignature {
  return { ...num1(name, (x) => x / ms), params: ['duration'] };
}

/** `local_hour(ts)` and its kind, in the configured zone; null for a null or non-finite time. */
function local(name: string, f: (t: LocalTime, ts: number) => Value, returns: Type, zone: LocalTime): FunctionSignature {
  return {
    name,
    params: ['timestamp'],
    minArgs: 1,
    maxArgs: 1,
    returns,
    impl: (ts) => (typeof ts === 'number' && Number.isFinite(ts) ? f(zone, ts) : null),
  };
}

/** ISO-8601 with a zone (`Z` or `+08:00`), or a date alone (UTC midnight, as JavaScript reads it). */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/**
 * `timestamp("2026-03-02T00:00:00+08:00")` or `timestamp(epoch_ms)`: a point in time, so `ts - timestamp(...)`
 * is a duration (a plain number would shift `ts` and leave a timestamp). Null for text that is no such instant.
 */
const timestamp: FunctionSignature = {
  name: 'timestamp',
  params: ['unknown'],
  minArgs: 1,
  maxArgs: 1,
  returns: 'timestamp',
  impl: (x) => {
    if (typeof x === 'number') return Number.isFinite(x) ? x : null;
    if (typeof x !== 'string' || !ISO_INSTANT.test(x)) return null;
    const ms = Date.parse(x);
    return Number.isFinite(ms) ? ms : null;
  },
};

export interface BuiltinOptions {
  /** The IANA zone of `local_hour`, `local_minute`, `local_weekday`, `local_date` (default UTC). */
  readonly timeZone?: string;
}

/** Throws a RangeError for a time zone Intl does not know. */
export function builtinFunctions(options: BuiltinOptions = {}): FunctionRegistry {
  const zone = localTime(options.timeZone ?? 'UTC');
  return new FunctionRegistry()
    .register(num1('abs', Math.abs, sameNumeric))
    .register(round)
    .register(num1('floor', Math.floor, sameNumeric))
    .register(num1('ceil', Math.ceil, sameNumeric))
    .register(sqrt)
    .register(extreme('min'))
    .register(extreme('max'))
    .register(str1('lower', (s) => s.toLowerCase(), 'string'))
    .register(str1('upper', (s) => s.toUpperCase(), 'string'))
    .register(str1('length', (s) => [...s].length, 'number'))
    .register(substr)
    .register(str2('contains', (s, p) => s.includes(p)))
    .register(str2('starts_with', (s, p) => s.startsWith(p)))
    .register(str2('ends_with', (s, p) => s.endsWith(p)))
    .register(durationIn('hours', 3_600_000))
    .register(durationIn('minutes', 60_000))
    .register(durationIn('seconds', 1000))
    .register(timestamp)
    .register(local('local_hour', (t, ts) => t.hour(ts), 'number', zone))
    .register(local('local_minute', (t, ts) => t.minute(ts), 'number', zone))
    .register(local('local_weekday', (t, ts) => t.weekday(ts), 'number', zone))
    .register(local('local_date', (t, ts) => t.date(ts), 'string', zone));
}

/**
 * The language has no lookups of its own: whoever runs the job registers the ones it can bind to a store
 * (the app's `first_seen`) on this empty registry.
 */
export function builtinLookups(): LookupRegistry {
  return new LookupRegistry();
}
