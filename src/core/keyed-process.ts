import { KeyedOperator, type KeyedOperatorOptions } from './keyed-operator.js';
import type { Key, KeyedStateBackend, Namespace } from './keyed-state.js';
import type { Output } from './operator.js';
import type { TimeDomain, TimerService } from './timers.js';

/** What a keyed process function sees: the current key, its state, timers and the output (Flink's KeyedProcessFunction context). */
export interface KeyedProcessContext<OUT> {
  readonly key: Key;
  readonly state: KeyedStateBackend;
  readonly timers: TimerService;
  readonly output: Output<OUT>;
  readonly watermark: number;
}

export interface KeyedProcessFunction<IN, OUT> {
  /** Declares state handles once, before any record. */
  open?(state: KeyedStateBackend): void;
  processElement(value: IN, timestamp: number, ctx: KeyedProcessContext<OUT>): void;
  onTimer?(domain: TimeDomain, timestamp: number, namespace: Namespace, ctx: KeyedProcessContext<OUT>): void;
}

/** Runs a keyed process function with keyed state and timers, both part of checkpoints. */
export class KeyedProcessOperator<IN, OUT> extends KeyedOperator<IN, OUT> {
  private readonly context: { key: Key; state: KeyedStateBackend; timers: TimerService; output: Output<OUT>; watermark: number };

  constructor(
    options: KeyedOperatorOptions<IN>,
    private readonly fn: KeyedProcessFunction<IN, OUT>,
  ) {
    super(options);
    this.context = { key: '', state: this.backend, timers: this.timers, output: undefined as unknown as Output<OUT>, watermark: 0 };
    fn.open?.(this.backend);
  }

  override open(ctx: Parameters<KeyedOperator<IN, OUT>['open']>[0]): void {
    super.open(ctx);
    this.context.output = ctx.output;
  }

  processElement(value: IN, timestamp: number): void {
    const c = this.context;
    c.key = this.enterKey(value);
    c.watermark = this.currentWatermark;
    this.fn.processElement(value, timestamp, c);
  }

  onTimer(domain: TimeDomain, key: Key, namespace: Namespace, timestamp: number): void {
    const c = this.context;
    c.key = key;
    c.watermark = this.currentWatermark;
    this.fn.onTimer?.(domain, timestamp, namespace, c);
  }
}
