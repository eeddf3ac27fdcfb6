/**
 * The alert path's side of a webhook route: `write` keeps the alert, `flush` enqueues what was written in one round
 * trip to Redis. The service flushes its sinks before every checkpoint, so an alert is in the queue before the input
 * that produced it is committed; after a crash it is produced again with the same id, and the queue drops it.
 */
import type { Sink } from '../../core/index.js';
import type { Identified } from './route.js';

export interface Enqueuer {
  enqueue(alerts: readonly Identified[]): Promise<void>;
}

export class WebhookSink<T extends Identified> implements Sink<T> {
  private pending: T[] = [];

  constructor(private readonly route: Enqueuer) {}

  write(value: T): void {
    this.pending.push(value);
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    try {
      await this.route.enqueue(batch);
    } catch (error) {
      // Kept for the next flush: an alert is never dropped because Redis blinked.
      this.pending = batch.concat(this.pending);
      throw error;
    }
  }
}
