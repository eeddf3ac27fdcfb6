/**
 * Appends the alerts a job emits to its history stream (see alert-history.ts), in batches, off the pipeline's path.
 *
 * Alerts are at-least-once: after a crash the partition's next owner replays from its checkpoint and emits the
 * same alerts with the same ids. The history drops them when they are written, not when they are read: one Lua
 * script per batch adds each id to a sorted set of recent ids (ZADD NX) and appends (XADD MAXLEN ~) only the ids
 * that were new. Done at write time, every reader (pages, cursors, the live stream with its resume) sees each
 * alert once without scanning around it, and the script is atomic, so two processes replaying the same partition
 * during a rebalance cannot both append. The set keeps as many ids as the stream keeps entries, and at least
 * 10 000: a replay reaches back one checkpoint interval, far fewer alerts than that.
 *
 * Redis must not slow the job down (a BufferedRedisWriter): `write` only buffers and `flush` (called after every batch of input) starts a
 * send without waiting for it, one send in flight at a time. `drain` waits, bounded, for what is buffered: the
 * service calls it before each checkpoint so the alerts a checkpoint covers are in the history, as they are in
 * Kafka. A failed send is retried at the next flush; while Redis is away the buffer keeps the newest `maxBuffered`
 * alerts and counts what it had to drop (the alerts themselves still reach their Kafka routes).
 */
import type { Redis } from 'ioredis';
import type { Counter, Logger, MetricRegistry, Sink } from '../../core/index.js';
import { silentLogger } from '../../core/index.js';
import type { Alert } from '../../dsl/index.js';
import { type AlertHistoryKeys, DEFAULT_ALERT_HISTORY, entryFields } from './alert-history.js';
import { BufferedRedisWriter } from './buffered-writer.js';

/**
 * KEYS: stream, seen set. ARGV: the stream's cap, the seen set's, now (ms), then 7 fields per alert (its id first).
 * Appends the alerts whose id the seen set lacked; trims the set back to its cap once it is 10% over. Returns how
 * many were new.
 */
const APPEND_SCRIPT = `
local cap = tonumber(ARGV[1])
local seen = tonumber(ARGV[2])
local added = 0
for i = 4, #ARGV, 7 do
  if redis.call('ZADD', KEYS[2], 'NX', ARGV[3], ARGV[i]) == 1 then
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', cap, '*',
      'id', ARGV[i], 'rule', ARGV[i + 1], 'severity', ARGV[i + 2], 'key', ARGV[i + 3],
      'event_time', ARGV[i + 4], 'detected_at', ARGV[i + 5], 'alert', ARGV[i + 6])
    added = added + 1
  end
end
local n = redis.call('ZCARD', KEYS[2])
if n > seen + math.floor(seen / 10) then redis.call('ZREMRANGEBYRANK', KEYS[2], 0, n - seen - 1) end
return added
`;

/**
 * Ids the seen set keeps at least, however short the history: a replay reaches back one checkpoint interval, and
 * its alerts must be recognised even when a small history no longer shows them (about 130 bytes of Redis each).
 */
const MIN_SEEN_IDS = 10_000;

type AppendCommand = (stream: string, seen: string, ...args: string[]) => Promise<number>;

export interface AlertHistorySinkOptions {
  readonly redis: Redis;
  readonly keys: AlertHistoryKeys;
  /** Entries the stream keeps (approximately: MAXLEN ~). */
  readonly maxLen?: number;
  /** Alerts per script call. Default 200. */
  readonly batch?: number;
  /** Alerts kept while Redis is away; older ones are dropped past this. Default 50 000. */
  readonly maxBuffered?: number;
  readonly metrics?: MetricRegistry;
  readonly log?: Logger;
  /** Wait after a failed send before the next try. Default 1000 ms. */
  readonly retryAfterMs?: number;
}

export class AlertHistorySink implements Sink<Alert> {
  private readonly writer: BufferedRedisWriter<Alert>;
  private readonly append: AppendCommand;
  private readonly maxLen: number;
  private readonly seenCap: number;
  private readonly appended: Counter;
  private readonly duplicates: Counter;

  constructor(private readonly options: AlertHistorySinkOptions) {
    this.maxLen = Math.max(1, Math.floor(options.maxLen ?? DEFAULT_ALERT_HISTORY));
    this.seenCap = Math.max(this.maxLen, MIN_SEEN_IDS);
    const name = 'vigilAppendAlerts';
    const redis = options.redis as Redis & { [name]?: AppendCommand };
    if (redis[name] === undefined) redis.defineCommand(name, { numberOfKeys: 2, lua: APPEND_SCRIPT });
    this.append = (redis[name] as AppendCommand).bind(redis);
    const metrics = options.metrics;
    const counter = (n: string): Counter => metrics?.counter(n, {}) ?? { value: 0 };
    this.appended = counter('vigil_alert_history_appended_total');
    this.duplicates = counter('vigil_alert_history_duplicates_total');
    this.writer = new BufferedRedisWriter({
      send: (part) => this.send(part),
      batch: options.batch ?? 200,
      maxBuffered: options.maxBuffered ?? 50_000,
      retryAfterMs: options.retryAfterMs ?? 1000,
      metricPrefix: 'vigil_alert_history',
      metrics,
      log: options.log ?? silentLogger,
      notWritten: 'alert history not written',
    });
  }

  write(alert: Alert): void {
    this.writer.push(alert);
  }

  /** Alerts written and not yet in Redis. */
  get buffered(): number {
    return this.writer.buffered;
  }

  /** Starts sending what is buffered, unless a send is under way or a failed one waits to be retried; never waits. */
  flush(): Promise<void> {
    this.writer.flush();
    return Promise.resolve();
  }

  /** One script call per batch; throws when it failed (the batch is then retried: the script drops repeated ids). */
  private async send(part: Alert[]): Promise<void> {
    const args: string[] = [String(this.maxLen), String(this.seenCap), String(Date.now())];
    for (const alert of part) args.push(...entryFields(alert));
    const added = Number(await this.append(this.options.keys.stream, this.options.keys.seen, ...args));
    this.appended.value += added;
    this.duplicates.value += part.length - added;
  }

  /**
   * Sends everything buffered, waiting at most `timeoutMs`. True when nothing is left; false when Redis failed or
   * was too slow (what is left stays buffered for the next flush).
   */
  drain(timeoutMs: number): Promise<boolean> {
    return this.writer.drain(timeoutMs);
  }

  async close(): Promise<void> {
    await this.drain(5000);
  }
}
