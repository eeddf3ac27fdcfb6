import { KeyedOperator } from '../keyed-operator.js';
import type { Key, Namespace, ValueState } from '../keyed-state.js';
import type { OperatorContext } from '../operator.js';
import type { TimeDomain } from '../timers.js';
import type { AggregateFunction } from './aggregates.js';
import type { WindowOperatorOptions, WindowResultFunction } from './window-operator.js';

/** The state of one session of one key, keyed by its start (the start of its state window). */
interface SessionSlot<ACC> {
  start: number;
  end: number;
  acc: ACC;
  fired: boolean;
}

/**
 * Event-time session windows with incremental aggregation (Flink's WindowOperator with merging windows and the
 * default event-time trigger), on keyed state and per-(key, session) timers: sessions merge, which moves and
 * deletes timers, so they keep the general machinery that fixed windows do without.
 */
export class SessionWindowOperator<IN, ACC, R, OUT> extends KeyedOperator<IN, OUT> {
  private readonly gap: number;
  private readonly aggregate: AggregateFunction<IN, ACC, R>;
  private readonly resultFn: WindowResultFunction<R, OUT>;
  private readonly lateness: number;
  private readonly windows: ValueState<SessionSlot<ACC>>;

  constructor(options: WindowOperatorOptions<IN, ACC, R, OUT>) {
    super(options);
    if (options.assigner.kind !== 'session') throw new Error('internal: SessionWindowOperator needs a session assigner');
    this.gap = options.assigner.gap;
    this.aggregate = options.aggregate;
    this.resultFn = options.result;
    this.lateness = options.allowedLateness ?? 0;
    if (!(this.lateness >= 0)) throw new RangeError('allowed lateness must be >= 0 ms');
    this.windows = this.backend.value<SessionSlot<ACC>>('windows');
  }

  override open(ctx: OperatorContext<OUT>): void {
    super.open(ctx);
    ctx.metrics.gauge('vigil_window_state_entries', { operator: this.uid }, () => this.backend.entryCount());
  }

  /** A window is late once the watermark reached its last timestamp plus the allowed lateness. */
  private isLate(end: number): boolean {
    return end - 1 + this.lateness <= this.currentWatermark;
  }

  processElement(value: IN, timestamp: number): void {
    const key = this.enterKey(value);
    if (!this.addToSession(key, value, timestamp)) this.emitLate(value, timestamp);
  }

  /**
   * Session windows merge in place: the new record's window [ts, ts + gap) absorbs every window it touches,
   * keeping the earliest one's state slot (Flink's state window) so state is merged, never re-keyed.
   */
  private addToSession(key: Key, value: IN, timestamp: number): boolean {
    let start = timestamp;
    let end = timestamp + this.gap;
    let keep: SessionSlot<ACC> | undefined;
    let absorbed: SessionSlot<ACC>[] | undefined;
    for (const ns of this.windows.namespaces()) {
      const w = this.windows.get(ns) as SessionSlot<ACC>;
      if (w.start > end || w.end < start) continue; // Flink's intersects: touching windows merge too
      if (keep === undefined || w.start < keep.start) {
        if (keep !== undefined) (absorbed ??= []).push(keep);
        keep = w;
      } else {
        (absorbed ??= []).push(w);
      }
    }
    if (keep === undefined) {
      if (this.isLate(end)) return false;
      const slot: SessionSlot<ACC> = { start, end, acc: this.aggregate.create(), fired: false };
      this.windows.update(slot, start);
      this.registerTimers(key, start, end);
      slot.acc = this.aggregate.add(slot.acc, value, timestamp);
      if (end - 1 <= this.currentWatermark) this.fire(key, slot);
      return true;
    }
    // The merged window spans the new record and everything it touched.
    if (keep.start < start) start = keep.start;
    if (keep.end > end) end = keep.end;
    this.deleteTimers(key, keep.start, keep.end);
    if (absorbed !== undefined) {
      for (const w of absorbed) {
        if (w.start < start) start = w.start;
        if (w.end > end) end = w.end;
        keep.acc = this.aggregate.merge(keep.acc, w.acc);
        keep.fired ||= w.fired;
        this.deleteTimers(key, w.start, w.end);
        this.windows.clear(w.start);
      }
    }
    // A slot is keyed by its window's start: when the merge moves the start earlier, move the slot with it.
    const stateStart = keep.start;
    keep.end = end;
    keep.start = start;
    if (stateStart !== start) {
      this.windows.clear(stateStart);
      this.windows.update(keep, start);
    }
    this.registerTimers(key, start, end);
    keep.acc = this.aggregate.add(keep.acc, value, timestamp);
    if (end - 1 <= this.currentWatermark) this.fire(key, keep);
    return true;
  }

  /** The firing timer only while the window is still ahead of the watermark (else a record fires it at once). */
  private registerTimers(key: Key, start: number, end: number): void {
    if (end - 1 > this.currentWatermark) this.timers.registerEventTimer(key, start, end - 1);
    if (this.lateness > 0) this.timers.registerEventTimer(key, start, end - 1 + this.lateness);
  }

  private deleteTimers(key: Key, start: number, end: number): void {
    this.timers.deleteEventTimer(key, start, end - 1);
    if (this.lateness > 0) this.timers.deleteEventTimer(key, start, end - 1 + this.lateness);
  }

  onTimer(domain: TimeDomain, key: Key, namespace: Namespace, timestamp: number): void {
    if (domain !== 'event') return;
    const slot = this.windows.get(namespace);
    if (slot === undefined) return;
    if (timestamp === slot.end - 1) this.fire(key, slot);
    if (timestamp >= slot.end - 1 + this.lateness) this.windows.clear(namespace);
  }

  private fire(key: Key, slot: SessionSlot<ACC>): void {
    const out = this.resultFn({
      key,
      window: { start: slot.start, end: slot.end },
      result: this.aggregate.result(slot.acc),
      update: slot.fired,
    });
    slot.fired = true;
    this.output.collect(out, slot.end - 1);
  }
}
