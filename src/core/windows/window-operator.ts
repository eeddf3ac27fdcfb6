import { KeyedOperator, type KeyedOperatorOptions, type KeyedOperatorSnapshot } from '../keyed-operator.js';
import type { Key, Namespace } from '../keyed-state.js';
import { NumberMinHeap } from '../min-heap.js';
import type { Operator, OperatorContext } from '../operator.js';
import type { TimeDomain } from '../timers.js';
import type { AggregateFunction } from './aggregates.js';
import { type FixedWindows, type TimeWindow, type WindowAssigner, windowStart } from './assigners.js';
import { SessionWindowOperator } from './session-operator.js';

/** Everything a window result function learns about one firing. */
export interface WindowFiring<R> {
  readonly key: Key;
  readonly window: TimeWindow;
  readonly result: R;
  /** True when this window fired before: a late record within allowed lateness changed its result. */
  readonly update: boolean;
}

export type WindowResultFunction<R, OUT> = (firing: WindowFiring<R>) => OUT;

export interface WindowOperatorOptions<IN, ACC, R, OUT> extends KeyedOperatorOptions<IN> {
  readonly assigner: WindowAssigner;
  readonly aggregate: AggregateFunction<IN, ACC, R>;
  readonly result: WindowResultFunction<R, OUT>;
  /** Records may arrive this long after a window's end and still update it (re-firing it). Default 0. */
  readonly allowedLateness?: number;
}

/**
 * The window operator for an assigner: sessions merge and keep per-window timers; fixed windows (tumbling and
 * sliding) fire by window end. Sliding windows whose aggregate merges exactly keep one accumulator per slide.
 */
export function windowOperator<IN, ACC, R, OUT>(options: WindowOperatorOptions<IN, ACC, R, OUT>): Operator<IN, OUT> {
  const a = options.assigner;
  if (a.kind === 'session') return new SessionWindowOperator(options);
  if (a.kind === 'sliding' && a.size % a.slide === 0 && options.aggregate.exactMerge === true) return new PanedWindowOperator(options, a);
  return new WindowOperator(options, a);
}

/** One window of one key. `acc` is null where panes hold the records. */
class Win<A> {
  fired = false;
  constructor(
    readonly key: Key,
    readonly start: number,
    readonly end: number,
    public acc: A,
  ) {}
}

/**
 * The windows of one end, by key. A Map iterates in insertion order: the order keys opened their windows, in
 * which they fire together. Dropping the end drops them all at once, with no per-key bookkeeping.
 */
class EndBucket<W> {
  readonly byKey = new Map<Key, W>();
  constructor(public fired: boolean) {}
}

/** Snapshot of a fixed-window operator (its keyed state and timers stay empty): windows in firing order (end, then registration), and panes. */
interface FixedWindowSnapshot extends KeyedOperatorSnapshot {
  /** [key, start, fired, accumulator (null with panes)] */
  readonly windows: ReadonlyArray<readonly [Key, number, boolean, unknown]>;
  /** [key, pane start, accumulator] */
  readonly panes: ReadonlyArray<readonly [Key, number, unknown]>;
}

/**
 * Event-time fixed windows with incremental aggregation, Flink's WindowOperator with the default event-time trigger:
 * a window fires when the watermark passes its last timestamp (end - 1); a record that arrives later but within
 * allowed lateness updates the window and re-fires it at once; state is dropped at end - 1 + allowed lateness;
 * a record for which every window is already past that point goes to the late output.
 *
 * Instead of a timer per (key, window), windows are kept in one bucket per window end, in the order keys opened
 * them (the order per-key timers of one timestamp would fire in), and a heap holds each end once.
 */
abstract class FixedWindowOperator<IN, ACC, R, OUT, A> extends KeyedOperator<IN, OUT> {
  protected readonly size: number;
  protected readonly slide: number;
  protected readonly offset: number;
  protected readonly lateness: number;
  protected readonly aggregate: AggregateFunction<IN, ACC, R>;
  private readonly resultFn: WindowResultFunction<R, OUT>;
  private readonly buckets = new Map<number, EndBucket<Win<A>>>();
  /** The bucket used last: in-order records of every key share one or a few ends. */
  private lastEnd = Number.NaN;
  private lastBucket: EndBucket<Win<A>> | undefined = undefined;
  /** Ends whose windows have yet to fire. */
  private readonly fireEnds = new NumberMinHeap();
  /** Ends whose windows have yet to be dropped (only with allowed lateness; else they go as they fire). */
  private readonly dropEnds = new NumberMinHeap();
  /** Windows and panes held: the state-size gauge. */
  protected entries = 0;

  constructor(options: WindowOperatorOptions<IN, ACC, R, OUT>, assigner: FixedWindows) {
    super(options);
    this.size = assigner.size;
    this.slide = assigner.slide;
    this.offset = assigner.offset;
    this.aggregate = options.aggregate;
    this.resultFn = options.result;
    this.lateness = options.allowedLateness ?? 0;
    if (!(this.lateness >= 0)) throw new RangeError('allowed lateness must be >= 0 ms');
  }

  override open(ctx: OperatorContext<OUT>): void {
    super.open(ctx);
    ctx.metrics.gauge('vigil_window_state_entries', { operator: this.uid }, () => this.entries);
  }

  /** The windows ending at `end`; a new end not yet due fires when the watermark reaches end - 1. */
  protected bucket(end: number): EndBucket<Win<A>> {
    if (end === this.lastEnd) return this.lastBucket as EndBucket<Win<A>>;
    let b = this.buckets.get(end);
    if (b === undefined) {
      const due = end - 1 > this.currentWatermark;
      b = new EndBucket<Win<A>>(!due);
      this.buckets.set(end, b);
      if (due) this.fireEnds.push(end);
      if (this.lateness > 0) this.dropEnds.push(end);
    }
    this.lastEnd = end;
    this.lastBucket = b;
    return b;
  }

  protected override onWatermarkAdvanced(watermark: number): void {
    for (let end = this.fireEnds.peek(); end !== undefined && end - 1 <= watermark; end = this.fireEnds.peek()) {
      this.fireEnds.pop();
      const b = this.buckets.get(end) as EndBucket<Win<A>>;
      b.fired = true;
      for (const w of b.byKey.values()) this.fire(w);
      if (this.lateness === 0) this.dropBucket(end, b);
    }
    if (this.lateness === 0) return;
    for (let end = this.dropEnds.peek(); end !== undefined && end - 1 + this.lateness <= watermark; end = this.dropEnds.peek()) {
      this.dropEnds.pop();
      this.dropBucket(end, this.buckets.get(end) as EndBucket<Win<A>>);
    }
  }

  private dropBucket(end: number, b: EndBucket<Win<A>>): void {
    this.buckets.delete(end);
    if (end === this.lastEnd) {
      this.lastEnd = Number.NaN;
      this.lastBucket = undefined;
    }
    this.entries -= b.byKey.size;
    this.dropped(end);
  }

  /** The windows ending at `end` are gone: drop what only they used. */
  protected dropped(_end: number): void {}

  /** The window's aggregate result now. */
  protected abstract resultOf(w: Win<A>): R;

  protected fire(w: Win<A>): void {
    const out = this.resultFn({ key: w.key, window: { start: w.start, end: w.end }, result: this.resultOf(w), update: w.fired });
    w.fired = true;
    this.output.collect(out, w.end - 1);
  }

  /** Fixed windows keep no per-key timers. */
  onTimer(_domain: TimeDomain, _key: Key, _namespace: Namespace, _timestamp: number): void {}

  protected snapshotPanes(): Array<readonly [Key, number, unknown]> {
    return [];
  }

  protected restorePane(_key: Key, _start: number, _acc: unknown): void {
    throw new Error('internal: panes in the snapshot of a window operator that keeps none');
  }

  protected clearPanes(): void {}

  override snapshotState(): FixedWindowSnapshot {
    const windows: Array<readonly [Key, number, boolean, unknown]> = [];
    const ends = [...this.buckets.keys()].sort((x, y) => x - y);
    for (const end of ends) {
      for (const w of (this.buckets.get(end) as EndBucket<Win<A>>).byKey.values()) windows.push([w.key, w.start, w.fired, w.acc]);
    }
    return { ...super.snapshotState(), windows, panes: this.snapshotPanes() };
  }

  override restoreState(state: unknown): void {
    const s = state as FixedWindowSnapshot | null;
    if (s === null) return;
    super.restoreState(s);
    this.buckets.clear();
    this.lastEnd = Number.NaN;
    this.lastBucket = undefined;
    this.fireEnds.clear();
    this.dropEnds.clear();
    this.clearPanes();
    this.entries = 0;
    for (const [key, start, fired, acc] of s.windows) {
      const w = new Win<A>(key, start, start + this.size, acc as A);
      w.fired = fired;
      this.bucket(w.end).byKey.set(key, w);
      this.entries++;
    }
    for (const [key, start, acc] of s.panes) {
      this.restorePane(key, start, acc);
      this.entries++;
    }
  }
}

/** Tumbling windows, and sliding windows that add each record to each of its windows' accumulators. */
export class WindowOperator<IN, ACC, R, OUT> extends FixedWindowOperator<IN, ACC, R, OUT, ACC> {
  constructor(options: WindowOperatorOptions<IN, ACC, R, OUT>, assigner: FixedWindows) {
    super(options, assigner);
  }

  processElement(value: IN, timestamp: number): void {
    const key = this.keyOf(value);
    const wm = this.currentWatermark;
    const size = this.size;
    const slide = this.slide;
    let accepted = false;
    // Latest start first, as Flink's SlidingEventTimeWindows; a tumbling window is the one pass.
    for (let start = windowStart(timestamp, this.offset, slide); start > timestamp - size; start -= slide) {
      const end = start + size;
      if (end - 1 + this.lateness <= wm) continue;
      accepted = true;
      const b = this.bucket(end);
      let w = b.byKey.get(key);
      if (w === undefined) {
        w = new Win<ACC>(key, start, end, this.aggregate.create());
        b.byKey.set(key, w);
        this.entries++;
      }
      w.acc = this.aggregate.add(w.acc, value, timestamp);
      if (end - 1 <= wm) this.fire(w);
    }
    if (!accepted) this.emitLate(value, timestamp);
  }

  protected resultOf(w: Win<ACC>): R {
    return this.aggregate.result(w.acc);
  }
}

/**
 * Sliding windows as panes (one accumulator per key and slide, Flink SQL's slicing): a record updates one pane,
 * not size/slide windows, and a window's result merges its panes when it fires. Only for aggregates whose merge
 * is exact (counts, extremes, first/last by time), so results equal adding every record to every window.
 * Windows still exist per key, for their firing order and their `update` flag.
 */
class PanedWindowOperator<IN, ACC, R, OUT> extends FixedWindowOperator<IN, ACC, R, OUT, null> {
  /** Pane start -> key -> accumulator. */
  private readonly panes = new Map<number, Map<Key, ACC>>();
  private lastPane = Number.NaN;
  private lastPaneKeys: Map<Key, ACC> | undefined = undefined;

  constructor(options: WindowOperatorOptions<IN, ACC, R, OUT>, assigner: FixedWindows) {
    super(options, assigner);
  }

  /** The pane maps of the windows ending at `firingEnd` (all keys' windows of one end share them). */
  private firingEnd = Number.NaN;
  private firingPanes: Array<Map<Key, ACC> | undefined> = [];

  private paneKeys(start: number): Map<Key, ACC> {
    if (start === this.lastPane) return this.lastPaneKeys as Map<Key, ACC>;
    let m = this.panes.get(start);
    if (m === undefined) {
      m = new Map();
      this.panes.set(start, m);
      this.firingEnd = Number.NaN;
    }
    this.lastPane = start;
    this.lastPaneKeys = m;
    return m;
  }

  processElement(value: IN, timestamp: number): void {
    const key = this.keyOf(value);
    const wm = this.currentWatermark;
    const p = windowStart(timestamp, this.offset, this.slide);
    // The pane's latest window ends last: when even that one is past lateness, so is every other.
    if (p + this.size - 1 + this.lateness <= wm) {
      this.emitLate(value, timestamp);
      return;
    }
    const keys = this.paneKeys(p);
    const acc = keys.get(key);
    if (acc === undefined) {
      keys.set(key, this.aggregate.add(this.aggregate.create(), value, timestamp));
      this.entries++;
      this.openWindows(key, p, wm);
    } else {
      const added = this.aggregate.add(acc, value, timestamp);
      if (added !== acc) keys.set(key, added);
    }
    // Windows the watermark already passed (within lateness) fire at once, latest start first.
    if (p + this.slide - 1 <= wm) {
      for (let s = p; s > p - this.size; s -= this.slide) {
        const end = s + this.size;
        if (end - 1 + this.lateness <= wm) break;
        if (end - 1 <= wm) this.fire(this.bucket(end).byKey.get(key) as Win<null>);
      }
    }
  }

  /**
   * Opens the windows over a new pane that the key does not have yet, latest start first. When the key has the
   * pane before, every window over both is open already (or late, as it was then): only the one starting here is new.
   */
  private openWindows(key: Key, p: number, wm: number): void {
    const last = this.panes.get(p - this.slide)?.has(key) === true ? p - this.slide : p - this.size;
    for (let s = p; s > last; s -= this.slide) {
      const end = s + this.size;
      if (end - 1 + this.lateness <= wm) break;
      const b = this.bucket(end);
      if (b.byKey.has(key)) continue;
      b.byKey.set(key, new Win<null>(key, s, end, null));
      this.entries++;
    }
  }

  protected resultOf(w: Win<null>): R {
    if (w.end !== this.firingEnd) {
      this.firingEnd = w.end;
      this.firingPanes.length = 0;
      for (let p = w.start; p < w.end; p += this.slide) this.firingPanes.push(this.panes.get(p));
    }
    let acc = this.aggregate.create();
    const maps = this.firingPanes;
    for (let i = 0; i < maps.length; i++) {
      const a = maps[i]?.get(w.key);
      if (a !== undefined) acc = this.aggregate.merge(acc, a);
    }
    return this.aggregate.result(acc);
  }

  /** A window's start is also the start of the last pane no later window covers: that pane goes with it. */
  protected override dropped(end: number): void {
    const start = end - this.size;
    const m = this.panes.get(start);
    if (m === undefined) return;
    this.panes.delete(start);
    this.firingEnd = Number.NaN;
    this.entries -= m.size;
    if (start === this.lastPane) {
      this.lastPane = Number.NaN;
      this.lastPaneKeys = undefined;
    }
  }

  protected override snapshotPanes(): Array<readonly [Key, number, unknown]> {
    const out: Array<readonly [Key, number, unknown]> = [];
    for (const [start, m] of this.panes) for (const [key, acc] of m) out.push([key, start, acc]);
    return out;
  }

  protected override clearPanes(): void {
    this.panes.clear();
    this.firingEnd = Number.NaN;
    this.lastPane = Number.NaN;
    this.lastPaneKeys = undefined;
  }

  protected override restorePane(key: Key, start: number, acc: unknown): void {
    this.paneKeys(start).set(key, acc as ACC);
  }
}
