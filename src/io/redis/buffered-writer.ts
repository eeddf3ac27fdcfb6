/**
 * The buffer in front of a Redis write that must not slow the job down (the alert history, the day data): `push`
 * only buffers; `flush` (after every batch of input) starts a send of up to `batch` items without waiting for it,
 * one send in flight at a time; `drain` waits, bounded, for what is buffered (before a checkpoint). A failed send
 * goes back to the front of the buffer and is retried at a flush `retryAfterMs` later; while Redis is away the
 * buffer keeps the newest `maxBuffered` items and counts what it had to drop.
 */
import type { Counter, Logger, MetricRegistry } from '../../core/index.js';

export interface BufferedRedisWriterOptions<T> {
  /** Writes one batch to Redis; throws when it failed (the whole batch is then retried). */
  readonly send: (part: T[]) => Promise<void>;
  /** Items per send. */
  readonly batch: number;
  /** Items kept while Redis is away; the oldest are dropped past this. */
  readonly maxBuffered: number;
  /** Wait after a failed send before the next try. */
  readonly retryAfterMs: number;
  /** Metrics `PREFIX_dropped_total`, `PREFIX_failures_total` and the gauge `PREFIX_buffered`. */
  readonly metricPrefix: string;
  readonly metrics: MetricRegistry | undefined;
  readonly log: Logger;
  /** The warning when a send fails: `vigil serve: NOT_WRITTEN (retrying): error`. */
  readonly notWritten: string;
}

export class BufferedRedisWriter<T> {
  private pending: T[] = [];
  private inFlight: Promise<void> | undefined;
  private retryAt = 0;
  private lastError = '';
  private readonly dropped: Counter;
  private readonly failures: Counter;

  constructor(private readonly options: BufferedRedisWriterOptions<T>) {
    const counter = (n: string): Counter => options.metrics?.counter(n, {}) ?? { value: 0 };
    this.dropped = counter(`${options.metricPrefix}_dropped_total`);
    this.failures = counter(`${options.metricPrefix}_failures_total`);
    options.metrics?.gauge(`${options.metricPrefix}_buffered`, {}, () => this.pending.length);
  }

  push(item: T): void {
    if (this.pending.length >= this.options.maxBuffered) {
      this.pending.shift();
      this.dropped.value++;
    }
    this.pending.push(item);
  }

  /** Items pushed and not yet in Redis. */
  get buffered(): number {
    return this.pending.length;
  }

  /** Starts sending what is buffered, unless a send is under way or a failed one waits to be retried; never waits. */
  flush(): void {
    if (this.inFlight !== undefined || this.pending.length === 0 || Date.now() < this.retryAt) return;
    const part = this.pending.splice(0, this.options.batch);
    this.inFlight = this.send(part).finally(() => {
      this.inFlight = undefined;
    });
  }

  private async send(part: T[]): Promise<void> {
    try {
      await this.options.send(part);
      this.lastError = '';
    } catch (error) {
      this.failures.value++;
      this.retryAt = Date.now() + this.options.retryAfterMs;
      // Back to the front, in order; past the cap the oldest go.
      this.pending = part.concat(this.pending);
      const over = this.pending.length - this.options.maxBuffered;
      if (over > 0) {
        this.pending.splice(0, over);
        this.dropped.value += over;
      }
      const message = (error as Error).message;
      if (message !== this.lastError) this.options.log.warn(`vigil serve: ${this.options.notWritten} (retrying): ${message}`);
      this.lastError = message;
    }
  }

  /**
   * Sends everything buffered, waiting at most `timeoutMs`. True when nothing is left; false when Redis failed or
   * was too slow (what is left stays buffered for the next flush).
   */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    this.retryAt = 0;
    while (Date.now() < deadline) {
      this.flush();
      const flight = this.inFlight;
      if (flight === undefined) return this.pending.length === 0;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        flight.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), Math.max(0, deadline - Date.now()));
        }),
      ]);
      clearTimeout(timer);
      if (timedOut || this.retryAt > 0) return false;
    }
    return this.pending.length === 0 && this.inFlight === undefined;
  }
}
