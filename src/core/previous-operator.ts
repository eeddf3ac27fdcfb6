import type { TieOrder } from './event-time-stage.js';
import type { KeySelector } from './keyed-operator.js';
import type { Key } from './keyed-state.js';
import type { Counter } from './metrics.js';
import { MinHeap } from './min-heap.js';
import { LATE, type Operator, type OperatorContext, type Output, type OutputTag } from './operator.js';
import { MIN_WATERMARK } from './time.js';

export interface PreviousOptions<IN, S, OUT> {
  readonly uid: string;
  readonly key: KeySelector<IN>;
  /** Orders records of equal event time (the job's: record ids); 0 leaves them in arrival order. */
  readonly tie: TieOrder;
  /** A key's previous record is remembered this long (event time) after it; older, it is no previous record. */
  readonly keepMs: number;
  /** What of a record the next one of its key may read. */
  readonly remember: (value: IN) => S;
  /** The output record of `value`, given what its key's previous record left (null for none). */
  readonly emit: (value: IN, previous: S | null) => OUT;
  /** A named side output that also receives the late records (`late into x`). */
  readonly lateTag?: OutputTag<IN>;
}

interface Held<IN> {
  readonly ts: number;
  readonly seq: number;
  readonly value: IN;
}

interface Last<S> {
  ts: number;
  remembered: S;
}

interface Expiry {
  readonly at: number;
  readonly key: Key;
}

export interface PreviousSnapshot {
  readonly watermark: number;
  readonly held: ReadonlyArray<readonly [number, unknown]>;
  readonly last: ReadonlyArray<readonly [Key, number, unknown]>;
}

/**
 * Each record with what its key's previous record in event-time order left (Flink SQL's LAG over an event-time
 * ordered partition). Records wait for the watermark and are released in (event time, tie order, arrival) order, so
 * the previous record does not depend on arrival; a record at or behind the watermark is late: it goes to the late
 * output and changes nothing. State per key is its last record's remembered values, dropped once the watermark is
 * `keepMs` past that record (no later record could read it): bounded by the keys seen within `keepMs`.
 */
export class PreviousOperator<IN, S, OUT> implements Operator<IN, OUT> {
  readonly uid: string;
  private output!: Output<OUT>;
  private lateCounter: Counter = { value: 0 };
  private watermark = MIN_WATERMARK;
  private seq = 0;
  /** Release order: event time, then the tie order, then arrival. */
  private readonly before: (a: Held<IN>, b: Held<IN>) => boolean;
  private readonly held: MinHeap<Held<IN>>;
  private readonly last = new Map<Key, Last<S>>();
  /** One entry per remembered key (re-queued when its record changed since). */
  private readonly expiries = new MinHeap<Expiry>((a, b) => a.at < b.at);

  constructor(private readonly options: PreviousOptions<IN, S, OUT>) {
    this.uid = options.uid;
    const tie = options.tie;
    this.before = (a, b) => {
      if (a.ts !== b.ts) return a.ts < b.ts;
      const c = tie(a.value, b.value);
      return c < 0 || (c === 0 && a.seq < b.seq);
    };
    this.held = new MinHeap<Held<IN>>(this.before);
  }

  open(ctx: OperatorContext<OUT>): void {
    this.output = ctx.output;
    this.lateCounter = ctx.metrics.counter('vigil_late_records_total', { operator: this.uid });
  }

  /** Keys remembered, and records waiting for the watermark. */
  get size(): { keys: number; held: number } {
    return { keys: this.last.size, held: this.held.size };
  }

  processElement(value: IN, timestamp: number): void {
    if (timestamp <= this.watermark) {
      this.lateCounter.value++;
      this.output.side(LATE, value, timestamp);
      if (this.options.lateTag !== undefined) this.output.side(this.options.lateTag, value, timestamp);
      return;
    }
    this.held.push({ ts: timestamp, seq: this.seq++, value });
  }

  processWatermark(watermark: number): void {
    if (watermark <= this.watermark) return;
    for (let h = this.held.peek(); h !== undefined && h.ts <= watermark; h = this.held.peek()) {
      this.held.pop();
      this.release(h);
    }
    this.watermark = watermark;
    this.expire(watermark);
    this.output.emitWatermark(watermark);
  }

  private release(h: Held<IN>): void {
    const { keepMs, emit, remember } = this.options;
    const key = this.options.key(h.value);
    const last = this.last.get(key);
    const previous = last !== undefined && h.ts - last.ts <= keepMs ? last.remembered : null;
    this.output.collect(emit(h.value, previous), h.ts);
    if (last === undefined) {
      this.last.set(key, { ts: h.ts, remembered: remember(h.value) });
      this.expiries.push({ at: h.ts + keepMs, key });
    } else {
      last.ts = h.ts;
      last.remembered = remember(h.value);
    }
  }

  /** Forgets keys whose last record is `keepMs` behind the watermark: every later record is further. */
  private expire(watermark: number): void {
    const keepMs = this.options.keepMs;
    for (let e = this.expiries.peek(); e !== undefined && e.at <= watermark; e = this.expiries.peek()) {
      this.expiries.pop();
      const last = this.last.get(e.key);
      if (last === undefined) continue;
      if (last.ts + keepMs <= watermark) this.last.delete(e.key);
      else this.expiries.push({ at: last.ts + keepMs, key: e.key });
    }
  }

  snapshotState(): PreviousSnapshot {
    const held = this.held
      .toArray()
      .sort((a, b) => (this.before(a, b) ? -1 : 1))
      .map((h) => [h.ts, h.value as unknown] as const);
    const last = [...this.last].map(([key, l]) => [key, l.ts, l.remembered as unknown] as const);
    return { watermark: this.watermark, held, last };
  }

  restoreState(state: unknown): void {
    const s = state as PreviousSnapshot | null;
    if (s === null || s === undefined) return;
    this.held.clear();
    this.last.clear();
    this.expiries.clear();
    this.seq = 0;
    this.watermark = s.watermark;
    for (const [ts, value] of s.held) this.held.push({ ts, seq: this.seq++, value: value as IN });
    for (const [key, ts, remembered] of s.last) {
      this.last.set(key, { ts, remembered: remembered as S });
      this.expiries.push({ at: ts + this.options.keepMs, key });
    }
  }
}
