/** Where results leave the job. `write` is synchronous and buffers; `flush` makes what was written durable. */
export interface Sink<T> {
  write(value: T, timestamp: number): void;
  flush?(): Promise<void>;
  close?(): Promise<void>;
}

/** Keeps everything in memory: for tests and the embedded dashboard. */
export class CollectSink<T> implements Sink<T> {
  readonly values: T[] = [];
  readonly timestamps: number[] = [];
  write(value: T, timestamp: number): void {
    this.values.push(value);
    this.timestamps.push(timestamp);
  }
}

/** A record the job could not read: it is kept with the reason, never dropped. */
export interface DeadLetter {
  readonly reason: string;
  readonly source: string;
  readonly partition: number;
  readonly offset: number;
  readonly raw: unknown;
}

/** A record an operator refused because it arrived behind that operator's watermark. */
export interface LateRecord {
  readonly operator: string;
  readonly timestamp: number;
  readonly record: unknown;
}
