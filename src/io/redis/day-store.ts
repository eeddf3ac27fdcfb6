/**
 * What the service keeps per day of the city's calendar in Redis, beside the alert history: the day's alerts by id
 * (every one, however many: the history is capped, and the next-morning re-run must know each alert raised live to
 * say which it adds and withdraws), the live flow per checkpoint (every window result of one stream, so the re-run
 * can say what it corrected), each vehicle's sightings (its trajectory, queried by plate), and the re-run's final
 * results, which replace the live ones for that day in the API and the dashboard.
 *
 * Keys sit under `vigil:day:{GROUP}` (the group as a hash tag, as the alert history's: one job's keys share a
 * Redis Cluster slot). Writes are idempotent so a replay after a crash rewrites what it wrote: a window's flow is
 * a hash field per window (a re-fired window overwrites its older figure), an alert a hash field per id (a replayed
 * alert has the same id), a sighting is a sorted-set member (the same sighting is one member; a sighting written
 * again with another gap, an update of trajectory_steps after a backlog, replaces its member). Everything of a day
 * expires a while after the day ends.
 */
import type { ChainableCommander, Redis } from 'ioredis';
import { type Logger, type MetricRegistry, silentLogger } from '../../core/index.js';
import { BufferedRedisWriter } from './buffered-writer.js';

export interface DayKeys {
  /** Hash: alert id -> the alert's summary (DayAlert JSON), for every alert whose event time is in the day. */
  alerts(day: string): string;
  /** Hash: `window_start|checkpoint` -> flow of that window (the live figure, last fired). */
  flow(day: string): string;
  /** Sorted set of a plate's sightings that day (score: event time; member: the sighting's JSON). */
  trajectory(day: string, plate: string): string;
  /** String: the re-run's final results of the day (JSON). */
  final(day: string): string;
  /** Sorted set of the days with final results (score: the day's first instant). */
  readonly finalDays: string;
}

export function dayKeys(group: string): DayKeys {
  const base = `vigil:day:{${group}}`;
  return {
    alerts: (day) => `${base}:alerts:${day}`,
    flow: (day) => `${base}:flow:${day}`,
    trajectory: (day, plate) => `${base}:trajectory:${day}:${plate}`,
    final: (day) => `${base}:final:${day}`,
    finalDays: `${base}:final-days`,
  };
}

/** What the day's alert index keeps of an alert: enough to compare by id and to name it in the re-run's report. */
export interface DayAlert {
  readonly id: string;
  readonly rule: string;
  readonly severity: string;
  readonly key: string;
  readonly event_time: number;
}

/** One sighting of a vehicle, as its trajectory keeps it. */
export interface TrajectoryPoint {
  readonly id: string | null;
  readonly checkpoint: string;
  readonly ts: number;
  readonly plate_color: string | null;
  readonly direction: string | null;
  readonly speed: number | null;
  readonly lane: number | null;
  /** Since the vehicle's previous capture that day (ms), as trajectory_steps computed it; null for its first. */
  readonly gap: number | null;
}

/**
 * Adds a sighting (KEYS[1]; ARGV: score, the capture's member prefix, member) and removes the other members of the
 * same capture: members at that score starting with the prefix (its id, checkpoint and time).
 */
const SIGHTING_LUA = `
local key, ts, prefix, member = KEYS[1], ARGV[1], ARGV[2], ARGV[3]
for _, m in ipairs(redis.call('ZRANGEBYSCORE', key, ts, ts)) do
  if m ~= member and string.sub(m, 1, #prefix) == prefix then redis.call('ZREM', key, m) end
end
return redis.call('ZADD', key, ts, member)
`;

/** The pipeline with the sighting command defined on the connection. */
type SightingPipeline = ChainableCommander & {
  vigilSighting(key: string, ts: number, prefix: string, member: string): ChainableCommander;
};

/** Sightings a vehicle keeps per day by default: its latest ones past this (a taxi passes ~300 cameras a day). */
export const DEFAULT_TRAJECTORY_LENGTH = 1000;
/** How long after its end a day's keys last by default: the next morning's re-run and lookups still find them. */
export const DEFAULT_DAY_KEEP_MS = 3 * 86_400_000;

type Op =
  | { readonly kind: 'alert'; readonly key: string; readonly field: string; readonly value: string; readonly expireAt: number }
  | { readonly kind: 'flow'; readonly key: string; readonly field: string; readonly flow: number; readonly expireAt: number }
  | {
      readonly kind: 'sighting';
      readonly key: string;
      readonly ts: number;
      readonly prefix: string;
      readonly member: string;
      readonly expireAt: number;
    };

export interface DayWriterOptions {
  readonly redis: Redis;
  readonly keys: DayKeys;
  readonly maxPerVehicle?: number;
  /** Writes kept while Redis is away; the oldest are dropped past this. Default 200 000. */
  readonly maxBuffered?: number;
  /** Commands per pipeline. Default 2000 writes. */
  readonly batch?: number;
  readonly metrics?: MetricRegistry;
  readonly log?: Logger;
}

/**
 * The service's writes of live day data, buffered and sent in pipelines off the pipeline's path (a
 * BufferedRedisWriter, as the alert history's: `flush` starts a send, `drain` waits bounded before a checkpoint, a
 * failed send is retried).
 */
export class DayWriter {
  private readonly writer: BufferedRedisWriter<Op>;
  private readonly maxPerVehicle: number;

  constructor(private readonly options: DayWriterOptions) {
    this.maxPerVehicle = options.maxPerVehicle ?? DEFAULT_TRAJECTORY_LENGTH;
    options.redis.defineCommand('vigilSighting', { numberOfKeys: 1, lua: SIGHTING_LUA });
    this.writer = new BufferedRedisWriter({
      send: (part) => this.send(part),
      batch: options.batch ?? 2000,
      maxBuffered: options.maxBuffered ?? 200_000,
      retryAfterMs: 1000,
      metricPrefix: 'vigil_day_store',
      metrics: options.metrics,
      log: options.log ?? silentLogger,
      notWritten: 'day data not written to Redis',
    });
  }

  /** An alert of the day (by its event time), whatever the alert history keeps; `expireAt` as for flow. */
  alert(day: string, alert: DayAlert, expireAt: number): void {
    // Fields in one order: a replayed alert writes the same value.
    const value = JSON.stringify({ id: alert.id, rule: alert.rule, severity: alert.severity, key: alert.key, event_time: alert.event_time });
    this.writer.push({ kind: 'alert', key: this.options.keys.alerts(day), field: alert.id, value, expireAt });
  }

  /** A window's live flow at a checkpoint; `expireAt` is when the day's keys go (epoch ms). */
  flow(day: string, checkpoint: string, windowStart: number, flow: number, expireAt: number): void {
    this.writer.push({ kind: 'flow', key: this.options.keys.flow(day), field: `${windowStart}|${checkpoint}`, flow, expireAt });
  }

  sighting(day: string, plate: string, point: TrajectoryPoint, expireAt: number): void {
    // Fields in one order: a replayed sighting is the same member, and the capture (id, checkpoint, time) its prefix.
    const capture = JSON.stringify({ id: point.id, checkpoint: point.checkpoint, ts: point.ts });
    const member = JSON.stringify({
      id: point.id,
      checkpoint: point.checkpoint,
      ts: point.ts,
      plate_color: point.plate_color,
      direction: point.direction,
      speed: point.speed,
      lane: point.lane,
      gap: point.gap,
    });
    const prefix = `${capture.slice(0, -1)},`;
    this.writer.push({ kind: 'sighting', key: this.options.keys.trajectory(day, plate), ts: point.ts, prefix, member, expireAt });
  }

  get buffered(): number {
    return this.writer.buffered;
  }

  flush(): void {
    this.writer.flush();
  }

  /** One pipeline per batch; throws when a command failed (the batch is then retried whole: its writes are idempotent). */
  private async send(part: Op[]): Promise<void> {
    const pipeline = this.options.redis.pipeline();
    // Trim and expiry once per key and batch, after its writes.
    const touched = new Map<string, Op>();
    for (const op of part) {
      if (op.kind === 'alert') pipeline.hset(op.key, op.field, op.value);
      else if (op.kind === 'flow') pipeline.hset(op.key, op.field, String(op.flow));
      else (pipeline as SightingPipeline).vigilSighting(op.key, op.ts, op.prefix, op.member);
      touched.set(op.key, op);
    }
    for (const [key, op] of touched) {
      if (op.kind === 'sighting') pipeline.zremrangebyrank(key, 0, -(this.maxPerVehicle + 1));
      pipeline.pexpireat(key, op.expireAt);
    }
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error !== null);
    if (failed !== undefined) throw failed[0] as Error;
  }

  /** Sends everything buffered, waiting at most `timeoutMs`; true when nothing is left. */
  drain(timeoutMs: number): Promise<boolean> {
    return this.writer.drain(timeoutMs);
  }
}

/** The read side, and the re-run's publication of final results. */
export class DayStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: DayKeys,
  ) {}

  /**
   * Every alert the service raised for the day, by its alert index; null when it recorded none (a day without
   * alerts, or one it ran for without the index: then only the capped alert history tells).
   */
  async liveAlerts(day: string): Promise<DayAlert[] | null> {
    const fields = await this.redis.hgetall(this.keys.alerts(day));
    const ids = Object.keys(fields);
    if (ids.length === 0) return null;
    const alerts: DayAlert[] = [];
    for (const id of ids) {
      try {
        const a = JSON.parse(fields[id] as string) as DayAlert;
        alerts.push({ id, rule: String(a.rule), severity: String(a.severity), key: String(a.key), event_time: Number(a.event_time) });
      } catch {
        // A foreign field: skipped.
      }
    }
    return alerts;
  }

  /** The live flow of the day per checkpoint (the sum of its windows); null when the service recorded none. */
  async liveFlow(day: string): Promise<Map<string, number> | null> {
    const fields = await this.redis.hgetall(this.keys.flow(day));
    const names = Object.keys(fields);
    if (names.length === 0) return null;
    const flow = new Map<string, number>();
    for (const name of names) {
      const bar = name.indexOf('|');
      const checkpoint = name.slice(bar + 1);
      flow.set(checkpoint, (flow.get(checkpoint) ?? 0) + Number(fields[name]));
    }
    return flow;
  }

  /** A plate's sightings of the day, oldest first. */
  async trajectory(day: string, plate: string): Promise<TrajectoryPoint[]> {
    const members = await this.redis.zrange(this.keys.trajectory(day, plate), 0, -1);
    const points: TrajectoryPoint[] = [];
    for (const m of members) {
      try {
        points.push(JSON.parse(m) as TrajectoryPoint);
      } catch {
        // A foreign member: skipped.
      }
    }
    return points;
  }

  /** Stores a day's final results (JSON) and lists the day, atomically. They do not expire: they are the day's record. */
  async publishFinal(day: string, from: number, json: string): Promise<void> {
    const results = await this.redis.multi().set(this.keys.final(day), json).zadd(this.keys.finalDays, from, day).exec();
    const failed = (results ?? []).find(([error]) => error !== null);
    if (failed !== undefined) throw failed[0] as Error;
  }

  /** The final results of a day (JSON), null when no re-run published any. */
  async final(day: string): Promise<string | null> {
    return this.redis.get(this.keys.final(day));
  }

  /** Days with final results, newest first. */
  async finalDays(limit = 366): Promise<string[]> {
    return this.redis.zrevrange(this.keys.finalDays, 0, limit - 1);
  }
}
