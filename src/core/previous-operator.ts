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
  /**
   * A record up to this far behind the watermark is still taken (default 0: none): put among its key's records, it is
   * emitted with the one before it, and the one after it is emitted again (an update) with it as its previous record.
   */
  readonly allowedLatenessMs?: number;
  /** Records kept for late ones (all keys); past it the oldest are let go and cover no late record. Default 1,000,000. */
  readonly maxKept?: number;
  /** What of a record the next one of its key may read. */
  readonly remember: (value: IN) => S;
  /** What of a record is kept for late ones (default: all of it): enough for `key`, `tie` and `emit`. */
  readonly keepValue?: (value: IN) => IN;
  /** The output record of `value`, given what its key's previous record left (null for none); `update` on a re-emission. */
  readonly emit: (value: IN, previous: S | null, update: boolean) => OUT;
  /** A named side output that also receives the late records (`late into x`). */
  readonly lateTag?: OutputTag<IN>;
}

interface Entry<IN, S> {
  readonly ts: number;
  readonly seq: number;
  readonly value: IN;
  readonly remembered: S;
}

/** A key's state: the newest record let go (`ts`, `remembered`), and the records kept for late ones after it. */
interface KeyState<IN, S> {
  ts: number;
  remembered: S | null;
  recent: Entry<IN, S>[];
}

interface Expiry {
  readonly at: number;
  readonly key: Key;
}

export interface PreviousSnapshot {
  readonly watermark: number;
  readonly held: ReadonlyArray<readonly [number, unknown]>;
  /** [key, ts, remembered, recent records as [ts, value]]. */
  readonly last: ReadonlyArray<readonly [Key, number, unknown, (ReadonlyArray<readonly [number, unknown]> | undefined)?]>;
}

const NONE = Number.NEGATIVE_INFINITY;

/**
 * Each record with what its key's previous record in event-time order left (Flink SQL's LAG over an event-time
 * ordered partition). Records wait for the watermark and are released in (event time, tie order, arrival) order, so
 * the previous record does not depend on arrival. A record at or behind the watermark is late: it goes to the late
 * output and changes nothing, unless it is within the allowed lateness (then see `allowedLatenessMs`). State per key
 * is its last record's remembered values (and, with allowed lateness, its records of that span), dropped once the
 * watermark is `keepMs` (plus the allowed lateness) past its last record, when no later record could read it.
 */
export class PreviousOperator<IN, S, OUT> implements Operator<IN, OUT> {
  readonly uid: string;
  private output!: Output<OUT>;
  private lateCounter: Counter = { value: 0 };
  private watermark = MIN_WATERMARK;
  private seq = 0;
  private readonly lateness: number;
  private readonly maxKept: number;
  /** Release order: event time, then the tie order, then arrival. */
  private readonly before: (a: { ts: number; seq: number; value: IN }, b: { ts: number; seq: number; value: IN }) => boolean;
  private readonly held: MinHeap<Entry<IN, null>>;
  private readonly keys = new Map<Key, KeyState<IN, S>>();
  /** One entry per key (re-queued when its record changed since). */
  private readonly expiries = new MinHeap<Expiry>((a, b) => a.at < b.at);
  /** Keys with kept records, in the order they were kept (a key once per record): what the budget lets go first. */
  private readonly keptOrder: Key[] = [];
  private keptHead = 0;
  private kept = 0;

  constructor(private readonly options: PreviousOptions<IN, S, OUT>) {
    this.uid = options.uid;
    this.lateness = options.allowedLatenessMs ?? 0;
    this.maxKept = options.maxKept ?? 1_000_000;
    const tie = options.tie;
    this.before = (a, b) => {
      if (a.ts !== b.ts) return a.ts < b.ts;
      const c = tie(a.value, b.value);
      return c < 0 || (c === 0 && a.seq < b.seq);
    };
    this.held = new MinHeap<Entry<IN, null>>(this.before);
  }

  open(ctx: OperatorContext<OUT>): void {
    this.output = ctx.output;
    this.lateCounter = ctx.metrics.counter('vigil_late_records_total', { operator: this.uid });
  }

  /** Keys remembered, records waiting for the watermark, records kept for late ones. */
  get size(): { keys: number; held: number; kept: number } {
    return { keys: this.keys.size, held: this.held.size, kept: this.kept };
  }

  processElement(value: IN, timestamp: number): void {
    if (timestamp > this.watermark) {
      this.held.push({ ts: timestamp, seq: this.seq++, value, remembered: null });
      return;
    }
    if (this.lateness > 0 && timestamp > this.watermark - this.lateness && this.insertLate(value, timestamp)) return;
    this.lateCounter.value++;
    this.output.side(LATE, value, timestamp);
    if (this.options.lateTag !== undefined) this.output.side(this.options.lateTag, value, timestamp);
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

  private previousOf(state: KeyState<IN, S> | undefined, i: number, ts: number): S | null {
    if (state === undefined) return null;
    const p = i > 0 ? state.recent[i - 1] : undefined;
    const [pts, remembered] = p === undefined ? [state.ts, state.remembered] : [p.ts, p.remembered];
    return pts !== NONE && ts - pts <= this.options.keepMs ? remembered : null;
  }

  private stateOf(key: Key, ts: number): KeyState<IN, S> {
    let state = this.keys.get(key);
    if (state === undefined) {
      state = { ts: NONE, remembered: null, recent: [] };
      this.keys.set(key, state);
      this.expiries.push({ at: ts + this.options.keepMs + this.lateness, key });
    }
    return state;
  }

  /** An on-time record: the newest of its key. */
  private release(h: Entry<IN, null>): void {
    const { emit, remember } = this.options;
    const key = this.options.key(h.value);
    const state = this.keys.get(key);
    this.output.collect(emit(h.value, this.previousOf(state, state?.recent.length ?? 0, h.ts), false), h.ts);
    const s = state ?? this.stateOf(key, h.ts);
    const remembered = remember(h.value);
    if (this.lateness === 0) {
      s.ts = h.ts;
      s.remembered = remembered;
    } else this.keep(key, s, s.recent.length, { ts: h.ts, seq: h.seq, value: this.options.keepValue?.(h.value) ?? h.value, remembered });
  }

  /**
   * A record behind the watermark but within the allowed lateness: emitted now, and its successor again. False when
   * it goes before a record the budget let go (its place is no longer known): it is late.
   */
  private insertLate(value: IN, ts: number): boolean {
    const key = this.options.key(value);
    const known = this.keys.get(key);
    if (known !== undefined && known.ts !== NONE && ts <= known.ts) return false;
    const e: Entry<IN, S> = { ts, seq: this.seq++, value: this.options.keepValue?.(value) ?? value, remembered: this.options.remember(value) };
    const state = known ?? this.stateOf(key, e.ts);
    const recent = state.recent;
    let i = recent.length;
    while (i > 0 && this.before(e, recent[i - 1] as Entry<IN, S>)) i--;
    this.output.collect(this.options.emit(e.value, this.previousOf(state, i, e.ts), false), e.ts);
    const next = recent[i];
    if (next !== undefined) {
      const previous = next.ts - e.ts <= this.options.keepMs ? e.remembered : null;
      this.output.collect(this.options.emit(next.value, previous, true), next.ts);
    }
    this.keep(key, state, i, e);
    return true;
  }

  private keep(key: Key, state: KeyState<IN, S>, at: number, e: Entry<IN, S>): void {
    state.recent.splice(at, 0, e);
    this.keptOrder.push(key);
    this.kept++;
    while (this.kept > this.maxKept && this.keptHead < this.keptOrder.length) {
      const oldest = this.keptOrder[this.keptHead++] as Key;
      const s = this.keys.get(oldest);
      if (s !== undefined && s.recent.length > 0) this.letGo(s, 1);
    }
    this.compactOrder();
  }

  /** Lets a key's `n` oldest kept records go: the newest of them is its previous record from then on. */
  private letGo(state: KeyState<IN, S>, n: number): void {
    const gone = state.recent.splice(0, n);
    const last = gone[gone.length - 1];
    if (last === undefined) return;
    state.ts = last.ts;
    state.remembered = last.remembered;
    this.kept -= gone.length;
  }

  /** Lets kept records past the allowed lateness go, and forgets keys no later record can read. */
  private expire(watermark: number): void {
    const span = this.options.keepMs + this.lateness;
    for (let e = this.expiries.peek(); e !== undefined && e.at <= watermark; e = this.expiries.peek()) {
      this.expiries.pop();
      const state = this.keys.get(e.key);
      if (state === undefined) continue;
      const newest = state.recent[state.recent.length - 1]?.ts ?? state.ts;
      if (newest + span <= watermark) {
        this.kept -= state.recent.length;
        this.keys.delete(e.key);
      } else this.expiries.push({ at: newest + span, key: e.key });
    }
    if (this.lateness === 0) return;
    // Kept records only need to outlive the allowed lateness: a late record after it is refused. They are let go in
    // the order they were kept (event-time order but for late ones, which go a little after their time).
    const horizon = watermark - this.lateness;
    const order = this.keptOrder;
    while (this.keptHead < order.length) {
      const state = this.keys.get(order[this.keptHead] as Key);
      const oldest = state?.recent[0];
      if (state !== undefined && oldest !== undefined) {
        if (oldest.ts > horizon) break;
        this.letGo(state, 1);
      }
      this.keptHead++;
    }
    this.compactOrder();
  }

  private compactOrder(): void {
    if (this.keptHead > 1024 && this.keptHead * 2 > this.keptOrder.length) {
      this.keptOrder.splice(0, this.keptHead);
      this.keptHead = 0;
    }
  }

  snapshotState(): PreviousSnapshot {
    const held = this.held
      .toArray()
      .sort((a, b) => (this.before(a, b) ? -1 : 1))
      .map((h) => [h.ts, h.value as unknown] as const);
    const last = [...this.keys].map(([key, s]) => [key, s.ts, s.remembered as unknown, s.recent.map((e) => [e.ts, e.value as unknown] as const)] as const);
    return { watermark: this.watermark, held, last };
  }

  restoreState(state: unknown): void {
    const s = state as PreviousSnapshot | null;
    if (s === null || s === undefined) return;
    this.held.clear();
    this.keys.clear();
    this.expiries.clear();
    this.keptOrder.length = 0;
    this.keptHead = 0;
    this.kept = 0;
    this.seq = 0;
    this.watermark = s.watermark;
    for (const [ts, value] of s.held) this.held.push({ ts, seq: this.seq++, value: value as IN, remembered: null });
    for (const [key, ts, remembered, recent] of s.last) {
      const entries = (recent ?? []).map(([t, v]) => ({ ts: t, seq: this.seq++, value: v as IN, remembered: this.options.remember(v as IN) }));
      this.keys.set(key, { ts: ts ?? NONE, remembered: (remembered ?? null) as S | null, recent: entries });
      for (let i = 0; i < entries.length; i++) this.keptOrder.push(key);
      this.kept += entries.length;
      const newest = entries[entries.length - 1]?.ts ?? ts ?? NONE;
      this.expiries.push({ at: newest + this.options.keepMs + this.lateness, key });
    }
  }
}
