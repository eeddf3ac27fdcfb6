/**
 * The alert history of the embedded service (`vigil demo`): the AlertHistory the HTTP server reads, kept in memory
 * instead of a Redis stream. Entry ids look like stream ids (`N-0`), so cursors and SSE resume work as on Redis;
 * each alert id is kept once, as the Redis history does.
 */
import type { Sink } from '../../core/index.js';
import type { Alert } from '../../dsl/index.js';
import {
  type AlertEntry,
  type AlertFilter,
  type AlertFollower,
  type AlertHistory,
  type AlertPage,
  DEFAULT_ALERT_HISTORY,
} from '../../io/redis/alert-history.js';

function matches(alert: Alert, f: AlertFilter): boolean {
  return (
    (f.rule === undefined || alert.rule === f.rule) &&
    (f.severity === undefined || alert.severity === f.severity) &&
    (f.key === undefined || alert.key === f.key) &&
    (f.eventFrom === undefined || alert.event_time >= f.eventFrom) &&
    (f.eventTo === undefined || alert.event_time <= f.eventTo) &&
    (f.detectedFrom === undefined || alert.detected_at >= f.detectedFrom) &&
    (f.detectedTo === undefined || alert.detected_at <= f.detectedTo)
  );
}

const seqOf = (id: string): number => Number(id.slice(0, id.indexOf('-')));

export class MemoryAlertHistory implements AlertHistory, Sink<Alert> {
  /** Oldest first; entry i has seq first + i. */
  private readonly entries: AlertEntry[] = [];
  private first = 1;
  private readonly seen = new Set<string>();
  private readonly followers = new Set<{ filter: AlertFilter; onEntry: (entry: AlertEntry) => void }>();

  constructor(private readonly capacity = DEFAULT_ALERT_HISTORY) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`an alert history keeps at least one alert, got ${capacity}`);
  }

  write(alert: Alert): void {
    if (this.seen.has(alert.id)) return;
    this.seen.add(alert.id);
    const entry: AlertEntry = { id: `${this.first + this.entries.length}-0`, alert };
    this.entries.push(entry);
    if (this.entries.length > this.capacity) {
      const dropped = this.entries.shift() as AlertEntry;
      this.seen.delete(dropped.alert.id);
      this.first++;
    }
    for (const f of this.followers) if (matches(alert, f.filter)) f.onEntry(entry);
  }

  get size(): number {
    return this.entries.length;
  }

  async page(filter: AlertFilter, options: { readonly before?: string; readonly limit: number }): Promise<AlertPage> {
    const end = options.before === undefined ? this.entries.length : Math.min(this.entries.length, seqOf(options.before) - this.first);
    const alerts: AlertEntry[] = [];
    let i = end - 1;
    for (; i >= 0 && alerts.length < options.limit; i--) {
      const entry = this.entries[i] as AlertEntry;
      if (matches(entry.alert, filter)) alerts.push(entry);
    }
    const last = alerts.at(-1);
    return { alerts, next: i >= 0 && last !== undefined ? last.id : null };
  }

  follow(after: string | undefined, filter: AlertFilter, onEntry: (entry: AlertEntry) => void): AlertFollower {
    if (after !== undefined) {
      for (let i = Math.max(0, seqOf(after) + 1 - this.first); i < this.entries.length; i++) {
        const entry = this.entries[i] as AlertEntry;
        if (matches(entry.alert, filter)) onEntry(entry);
      }
    }
    const follower = { filter, onEntry };
    this.followers.add(follower);
    return { ready: Promise.resolve(), stop: () => this.followers.delete(follower) };
  }

  async close(): Promise<void> {
    this.followers.clear();
  }
}
