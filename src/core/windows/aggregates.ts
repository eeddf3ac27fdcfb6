/**
 * Incremental aggregates, as Flink's AggregateFunction with the record's event time passed to `add`
 * (first/last are by event time). Accumulators are small mutable plain objects: one per key and window,
 * updated in place per record, and JSON-able for checkpoints.
 */
export interface AggregateFunction<IN, ACC, OUT> {
  create(): ACC;
  add(acc: ACC, value: IN, timestamp: number): ACC;
  merge(a: ACC, b: ACC): ACC;
  result(acc: ACC): OUT;
  /**
   * True when merging the accumulators of disjoint time ranges gives exactly what adding their records one by one
   * would (counts, extremes, first/last by time; not float sums, whose rounding depends on the order of addition).
   * Sliding windows then keep one accumulator per slide and merge them as a window fires.
   */
  readonly exactMerge?: boolean;
}

/** Reads the aggregated value from a record. null/undefined/NaN are skipped, as SQL aggregates skip NULL. */
export type Getter<IN> = (value: IN) => unknown;

function numeric(v: unknown): number | undefined {
  return typeof v === 'number' && !Number.isNaN(v) ? v : undefined;
}

interface CountAcc {
  n: number;
}
/** count(): every record; count(getter): records whose value is not null. */
export function count<IN>(get?: Getter<IN>): AggregateFunction<IN, CountAcc, number> {
  return {
    create: () => ({ n: 0 }),
    add:
      get === undefined
        ? (acc) => {
            acc.n++;
            return acc;
          }
        : (acc, v) => {
            const x = get(v);
            if (x !== null && x !== undefined) acc.n++;
            return acc;
          },
    merge: (a, b) => ({ n: a.n + b.n }),
    result: (acc) => acc.n,
    exactMerge: true,
  };
}

interface SumAcc {
  s: number;
  n: number;
}
export function sum<IN>(get: Getter<IN>): AggregateFunction<IN, SumAcc, number | null> {
  return {
    create: () => ({ s: 0, n: 0 }),
    add: (acc, v) => {
      const x = numeric(get(v));
      if (x !== undefined) {
        acc.s += x;
        acc.n++;
      }
      return acc;
    },
    merge: (a, b) => ({ s: a.s + b.s, n: a.n + b.n }),
    result: (acc) => (acc.n === 0 ? null : acc.s),
  };
}

export function avg<IN>(get: Getter<IN>): AggregateFunction<IN, SumAcc, number | null> {
  const s = sum(get);
  return { ...s, result: (acc) => (acc.n === 0 ? null : acc.s / acc.n) };
}

interface MomentsAcc {
  n: number;
  mean: number;
  /** Sum of squared deviations from the mean (Welford), so a long window adds no cancellation error. */
  m2: number;
}
/** The sample standard deviation (n - 1); null below two values. */
export function stddev<IN>(get: Getter<IN>): AggregateFunction<IN, MomentsAcc, number | null> {
  return {
    create: () => ({ n: 0, mean: 0, m2: 0 }),
    add: (acc, v) => {
      const x = numeric(get(v));
      if (x !== undefined) {
        acc.n++;
        const d = x - acc.mean;
        acc.mean += d / acc.n;
        acc.m2 += d * (x - acc.mean);
      }
      return acc;
    },
    merge: (a, b) => {
      const n = a.n + b.n;
      if (n === 0) return { n: 0, mean: 0, m2: 0 };
      const d = b.mean - a.mean;
      return { n, mean: a.mean + (d * b.n) / n, m2: a.m2 + b.m2 + (d * d * a.n * b.n) / n };
    },
    result: (acc) => (acc.n < 2 ? null : Math.sqrt(acc.m2 / (acc.n - 1))),
  };
}

interface ExtremeAcc {
  v: number | null;
}
function extreme<IN>(get: Getter<IN>, better: (x: number, y: number) => boolean): AggregateFunction<IN, ExtremeAcc, number | null> {
  const pick = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : better(b, a) ? b : a);
  return {
    create: () => ({ v: null }),
    add: (acc, v) => {
      const x = numeric(get(v));
      if (x !== undefined && (acc.v === null || better(x, acc.v))) acc.v = x;
      return acc;
    },
    merge: (a, b) => ({ v: pick(a.v, b.v) }),
    result: (acc) => acc.v,
    exactMerge: true,
  };
}
export const min = <IN>(get: Getter<IN>): AggregateFunction<IN, ExtremeAcc, number | null> => extreme(get, (x, y) => x < y);
export const max = <IN>(get: Getter<IN>): AggregateFunction<IN, ExtremeAcc, number | null> => extreme(get, (x, y) => x > y);

interface PickAcc {
  v: unknown;
  t: number | null;
}
/**
 * first/last by event time, so the result does not depend on arrival order within the out-of-orderness bound.
 * Equal timestamps keep the earliest arrival for first and the latest arrival for last.
 */
function byTime<IN>(get: Getter<IN>, later: boolean): AggregateFunction<IN, PickAcc, unknown> {
  const wins = (t: number, cur: number | null): boolean => cur === null || (later ? t >= cur : t < cur);
  return {
    create: () => ({ v: null, t: null }),
    add: (acc, v, ts) => {
      const x = get(v);
      if (x !== null && x !== undefined && wins(ts, acc.t)) {
        acc.v = x;
        acc.t = ts;
      }
      return acc;
    },
    merge: (a, b) => (b.t !== null && wins(b.t, a.t) ? { ...b } : { ...a }),
    result: (acc) => (acc.t === null ? null : acc.v),
    exactMerge: true,
  };
}
export const first = <IN>(get: Getter<IN>): AggregateFunction<IN, PickAcc, unknown> => byTime(get, false);
export const last = <IN>(get: Getter<IN>): AggregateFunction<IN, PickAcc, unknown> => byTime(get, true);

interface TopAcc {
  /** Count per value, keyed by the value's JSON (string keys keep a checkpoint's JSON plain). */
  c: Record<string, number>;
  /** Non-null values seen. */
  n: number;
}

/** One entry of a top-N result: a value, how often it came, and its share of the window's non-null values. */
export interface TopEntry {
  readonly value: unknown;
  readonly count: number;
  readonly share: number;
}

/**
 * The `n` most frequent values (ties: the smaller value's JSON first), each with its count and share. Each record
 * costs one counter update; the ranking is made when the window fires, with a bounded heap of `n` entries over the
 * distinct values (O(d log n)), never a sort per record. Counts merge exactly, so sliding windows merge panes.
 */
export function top<IN>(n: number, get: Getter<IN>): AggregateFunction<IN, TopAcc, TopEntry[]> {
  // a before b in the ranking: more frequent, then the smaller key.
  const before = (ka: string, ca: number, kb: string, cb: number): boolean => ca > cb || (ca === cb && ka < kb);
  return {
    create: () => ({ c: {}, n: 0 }),
    add: (acc, v) => {
      const x = get(v);
      if (x === null || x === undefined || (typeof x === 'number' && Number.isNaN(x))) return acc;
      const k = JSON.stringify(x);
      acc.c[k] = (acc.c[k] ?? 0) + 1;
      acc.n++;
      return acc;
    },
    merge: (a, b) => {
      const c: Record<string, number> = { ...a.c };
      for (const [k, v] of Object.entries(b.c)) c[k] = (c[k] ?? 0) + v;
      return { c, n: a.n + b.n };
    },
    result: (acc) => {
      // A heap whose root is the worst of the best n so far.
      const heap: Array<[string, number]> = [];
      const worse = (i: number, j: number): boolean => {
        const [ki, ci] = heap[i] as [string, number];
        const [kj, cj] = heap[j] as [string, number];
        return before(kj, cj, ki, ci);
      };
      const swap = (i: number, j: number): void => {
        const t = heap[i] as [string, number];
        heap[i] = heap[j] as [string, number];
        heap[j] = t;
      };
      const down = (i: number): void => {
        for (;;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let w = i;
          if (l < heap.length && worse(l, w)) w = l;
          if (r < heap.length && worse(r, w)) w = r;
          if (w === i) return;
          swap(i, w);
          i = w;
        }
      };
      for (const k in acc.c) {
        const count = acc.c[k] as number;
        if (heap.length < n) {
          heap.push([k, count]);
          for (let i = heap.length - 1; i > 0; ) {
            const p = (i - 1) >> 1;
            if (!worse(i, p)) break;
            swap(i, p);
            i = p;
          }
        } else if (n > 0) {
          const [rk, rc] = heap[0] as [string, number];
          if (before(k, count, rk, rc)) {
            heap[0] = [k, count];
            down(0);
          }
        }
      }
      heap.sort(([ka, ca], [kb, cb]) => (before(ka, ca, kb, cb) ? -1 : 1));
      return heap.map(([k, count]) => ({ value: JSON.parse(k) as unknown, count, share: count / acc.n }));
    },
    exactMerge: true,
  };
}

/** Keeps every record: for whole-window functions that need them all. */
export function collect<IN>(): AggregateFunction<IN, IN[], IN[]> {
  return {
    create: () => [],
    add: (acc, v) => {
      acc.push(v);
      return acc;
    },
    merge: (a, b) => a.concat(b),
    result: (acc) => acc,
  };
}

// Each part's accumulator type is erased inside a composite; the parts' own functions keep them consistent.
type AnyAggregate<IN> = AggregateFunction<IN, unknown, unknown>;

/** Several named aggregates over one window, e.g. { flow: count(), avg_speed: avg(r => r.speed) }. */
export function composite<IN, R extends Record<string, unknown>>(
  parts: { readonly [K in keyof R]: AggregateFunction<IN, unknown, R[K]> },
): AggregateFunction<IN, unknown[], R> {
  const names = Object.keys(parts) as Array<keyof R & string>;
  const fns = names.map((n) => parts[n] as unknown as AnyAggregate<IN>);
  const k = fns.length;
  return {
    create: () => fns.map((f) => f.create()),
    add: (acc, v, ts) => {
      for (let i = 0; i < k; i++) acc[i] = (fns[i] as AnyAggregate<IN>).add(acc[i], v, ts);
      return acc;
    },
    merge: (a, b) => fns.map((f, i) => f.merge(a[i], b[i])),
    result: (acc) => {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < k; i++) out[names[i] as string] = (fns[i] as AnyAggregate<IN>).result(acc[i]);
      return out as R;
    },
    exactMerge: fns.every((f) => f.exactMerge === true),
  };
}
