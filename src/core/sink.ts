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
  /** The record as it came, or only its first {@link DEAD_LETTER_RAW_LIMIT} bytes when `original` is set. */
  readonly raw: unknown;
  /** Set when `raw` is a prefix: the original's length in bytes and its SHA-256 (hex), to find it in the source. */
  readonly original?: { readonly bytes: number; readonly sha256: string };
}

/**
 * The most bytes of a raw line a dead letter keeps: a 30 MB line whole would not fit a Kafka message (1 MB by
 * default) nor be read by anyone; the prefix, the length and the hash identify it.
 */
export const DEAD_LETTER_RAW_LIMIT = 64 * 1024;

/** A record an operator refused because it arrived behind that operator's watermark. */
export interface LateRecord {
  readonly operator: string;
  readonly timestamp: number;
  readonly record: unknown;
}
