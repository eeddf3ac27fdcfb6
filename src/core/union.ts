import type { Operator, OperatorContext, Output } from './operator.js';
import { MIN_WATERMARK } from './time.js';

/** What one input of a multi-input operator looks like to its upstream. */
export interface InputPort {
  processElement(value: unknown, timestamp: number): void;
  processWatermark(watermark: number): void;
}

interface UnionSnapshot {
  readonly inputs: readonly number[];
  readonly current: number;
}

/**
 * Merges several streams into one, as Flink's union: records pass through as they come; the watermark is the
 * minimum over the inputs, so no input's records can turn up behind it.
 */
export class UnionOperator implements Operator<unknown, unknown> {
  private output!: Output<unknown>;
  private readonly watermarks: number[];
  private current = MIN_WATERMARK;

  constructor(
    readonly uid: string,
    inputs: number,
  ) {
    this.watermarks = new Array<number>(inputs).fill(MIN_WATERMARK);
  }

  open(ctx: OperatorContext<unknown>): void {
    this.output = ctx.output;
  }

  input(index: number): InputPort {
    return {
      processElement: (value, timestamp) => this.output.collect(value, timestamp),
      processWatermark: (watermark) => this.watermarkFrom(index, watermark),
    };
  }

  processElement(value: unknown, timestamp: number): void {
    this.output.collect(value, timestamp);
  }

  /** As an operator with one input; a union is fed through input(i). */
  processWatermark(watermark: number): void {
    this.watermarkFrom(0, watermark);
  }

  private watermarkFrom(index: number, watermark: number): void {
    if (watermark > (this.watermarks[index] as number)) this.watermarks[index] = watermark;
    let min = Number.POSITIVE_INFINITY;
    for (const w of this.watermarks) if (w < min) min = w;
    if (min > this.current) {
      this.current = min;
      this.output.emitWatermark(min);
    }
  }

  snapshotState(): UnionSnapshot {
    return { inputs: [...this.watermarks], current: this.current };
  }

  restoreState(state: unknown): void {
    const s = state as UnionSnapshot | null;
    if (s === null) return;
    s.inputs.forEach((w, i) => {
      this.watermarks[i] = w;
    });
    this.current = s.current;
  }
}
