import { type Key, KeyedStateBackend, type KeyedStateSnapshot, type Namespace } from './keyed-state.js';
import type { Counter } from './metrics.js';
import type { Operator, OperatorContext, Output } from './operator.js';
import { LATE, type OutputTag } from './operator.js';
import { MIN_WATERMARK } from './time.js';
import { type TimeDomain, TimerService, type TimerSnapshot, type TimerTarget } from './timers.js';

export type KeySelector<T> = (value: T) => Key;

export interface KeyedOperatorSnapshot {
  readonly state: KeyedStateSnapshot;
  readonly timers: TimerSnapshot;
  readonly watermark: number;
}

export interface KeyedOperatorOptions<IN> {
  readonly uid: string;
  readonly key: KeySelector<IN>;
  /** A named side output that also receives this operator's late records (`late into x`). */
  readonly lateTag?: OutputTag<IN>;
}

/**
 * The frame every keyed operator shares: a keyed state backend, timers that fire as the watermark passes,
 * late-record routing, and snapshots of state + timers. Subclasses implement the per-record logic and onTimer.
 */
export abstract class KeyedOperator<IN, OUT> implements Operator<IN, OUT>, TimerTarget {
  readonly uid: string;
  protected readonly keyOf: KeySelector<IN>;
  protected readonly backend = new KeyedStateBackend();
  protected readonly timers = new TimerService((key) => this.backend.setCurrentKey(key));
  protected output!: Output<OUT>;
  protected ctx!: OperatorContext<OUT>;
  private readonly lateTag: OutputTag<IN> | undefined;
  private lateCounter: Counter = { value: 0 };

  constructor(options: KeyedOperatorOptions<IN>) {
    this.uid = options.uid;
    this.keyOf = options.key;
    this.lateTag = options.lateTag;
  }

  open(ctx: OperatorContext<OUT>): void {
    this.ctx = ctx;
    this.output = ctx.output;
    this.lateCounter = ctx.metrics.counter('vigil_late_records_total', { operator: this.uid });
  }

  get currentWatermark(): number {
    return this.timers.currentWatermark;
  }

  /** Sets the current key from the record and returns it. */
  protected enterKey(value: IN): Key {
    const key = this.keyOf(value);
    this.backend.setCurrentKey(key);
    return key;
  }

  abstract processElement(value: IN, timestamp: number): void;

  abstract onTimer(domain: TimeDomain, key: Key, namespace: Namespace, timestamp: number): void;

  processWatermark(watermark: number): void {
    if (watermark <= this.timers.currentWatermark) return;
    this.timers.advanceWatermark(watermark, this);
    this.onWatermarkAdvanced(watermark);
    this.output.emitWatermark(watermark);
  }

  /** Hook after timers at or below the watermark fired, before the watermark goes downstream. */
  protected onWatermarkAdvanced(_watermark: number): void {}

  processProcessingTime(now: number): void {
    this.timers.advanceProcessingTime(now, this);
  }

  /** Sends a record this operator refuses for lateness to the run's late output and its own `late into` stream. */
  protected emitLate(value: IN, timestamp: number): void {
    this.lateCounter.value++;
    this.output.side(LATE, value, timestamp);
    if (this.lateTag !== undefined) this.output.side(this.lateTag, value, timestamp);
  }

  snapshotState(): KeyedOperatorSnapshot {
    return { state: this.backend.snapshot(), timers: this.timers.snapshot(), watermark: this.timers.currentWatermark };
  }

  restoreState(state: unknown): void {
    const s = state as KeyedOperatorSnapshot | null;
    if (s === null) return;
    this.backend.restore(s.state);
    this.timers.restore(s.timers, s.watermark ?? MIN_WATERMARK);
  }
}
