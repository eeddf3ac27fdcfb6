import type { Clock } from './clock.js';
import type { Logger } from './logger.js';
import type { MetricRegistry } from './metrics.js';

/** Names a side output; `T` is the type of what flows on it. */
export class OutputTag<T> {
  declare private readonly _type: T;
  constructor(readonly id: string) {}
}

/** Every operator's refused (late) records go here; the job routes it to the run's late output. */
export const LATE = new OutputTag<unknown>('late');

/** Where an operator sends results. Elements carry their event time beside them, never wrapped per record. */
export interface Output<T> {
  collect(value: T, timestamp: number): void;
  side<S>(tag: OutputTag<S>, value: S, timestamp: number): void;
  emitWatermark(watermark: number): void;
}

export interface OperatorContext<OUT> {
  readonly output: Output<OUT>;
  readonly clock: Clock;
  readonly metrics: MetricRegistry;
  readonly log: Logger;
}

/**
 * A stream operator, run by one single-threaded task. The task calls processElement for each input record,
 * processWatermark when event time advances (the operator fires what is due, then forwards the watermark),
 * and snapshotState between batches. State snapshots are plain JSON-able data addressed by `uid`.
 */
export interface Operator<IN, OUT> {
  readonly uid: string;
  open(ctx: OperatorContext<OUT>): void;
  processElement(value: IN, timestamp: number): void;
  processWatermark(watermark: number): void;
  /** Processing time moved to `now`: fire processing-time timers. */
  processProcessingTime?(now: number): void;
  snapshotState(): unknown;
  restoreState(state: unknown): void;
  close?(): void;
}

/** Stateless one-in, zero-or-more-out operators share this: map, filter, flatMap. */
export abstract class StatelessOperator<IN, OUT> implements Operator<IN, OUT> {
  protected output!: Output<OUT>;
  constructor(readonly uid: string) {}
  open(ctx: OperatorContext<OUT>): void {
    this.output = ctx.output;
  }
  abstract processElement(value: IN, timestamp: number): void;
  processWatermark(watermark: number): void {
    this.output.emitWatermark(watermark);
  }
  snapshotState(): unknown {
    return null;
  }
  restoreState(): void {}
}

export class MapOperator<IN, OUT> extends StatelessOperator<IN, OUT> {
  constructor(
    uid: string,
    private readonly fn: (value: IN, timestamp: number) => OUT,
  ) {
    super(uid);
  }
  processElement(value: IN, timestamp: number): void {
    this.output.collect(this.fn(value, timestamp), timestamp);
  }
}

export class FilterOperator<T> extends StatelessOperator<T, T> {
  constructor(
    uid: string,
    private readonly predicate: (value: T, timestamp: number) => boolean,
  ) {
    super(uid);
  }
  processElement(value: T, timestamp: number): void {
    if (this.predicate(value, timestamp)) this.output.collect(value, timestamp);
  }
}

/** Emits any number of results per record through `out`; the function may also use side outputs. */
export class FlatMapOperator<IN, OUT> extends StatelessOperator<IN, OUT> {
  constructor(
    uid: string,
    private readonly fn: (value: IN, timestamp: number, out: Output<OUT>) => void,
  ) {
    super(uid);
  }
  processElement(value: IN, timestamp: number): void {
    this.fn(value, timestamp, this.output);
  }
}
