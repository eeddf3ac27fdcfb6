/**
 * The alert history on the real Redis: the sink appends in batches and drops replayed ids, the stream stays
 * capped, pages filter and go back with a cursor, followers resume from an id and go on live, and a slow or
 * absent Redis neither blocks flush() nor loses what is buffered.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricRegistry } from '../../../src/core/index.js';
import type { Alert } from '../../../src/dsl/index.js';
import { type AlertEntry, type AlertFilter, type AlertHistoryKeys, compareStreamIds } from '../../../src/io/redis/alert-history.js';
import { RedisAlertHistory } from '../../../src/io/redis/alert-history-reader.js';
import { AlertHistorySink } from '../../../src/io/redis/alert-history-sink.js';
import { connectRedis } from '../../../src/io/redis/client.js';
import { until } from '../kafka/broker.js';
import { REDIS_URL, requireRedis, uniquePrefix } from './server.js';

let redis: Redis;
const used: AlertHistoryKeys[] = [];
const closers: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  redis = await requireRedis('vigil-test-alert-history');
});
afterAll(async () => {
  for (const c of closers.reverse()) await c();
  for (const k of used) await redis.unlink(k.stream, k.seen);
  await redis?.quit();
});

function keys(): AlertHistoryKeys {
  const base = `${uniquePrefix('alerts')}{g}`;
  const k = { stream: base, seen: `${base}:seen` };
  used.push(k);
  return k;
}

const T0 = Date.parse('2026-03-02T08:00:00Z');
const RULES = ['cloned-plate', 'first-entry', 'speeding'] as const;
const SEVERITIES = ['high', 'low', 'critical'] as const;

/** Alert i: rule and severity cycle through three, keys through five plates, event time one minute apart. */
function alert(i: number): Alert {
  return {
    id: `a${String(i).padStart(5, '0')}`,
    rule: RULES[i % 3] as string,
    pattern: 'p',
    severity: SEVERITIES[i % 3] as Alert['severity'],
    key: `PL-${i % 5}`,
    event_time: T0 + i * 60_000,
    detected_at: T0 + i * 60_000 + 500,
    payload: { n: i },
    evidence: { a: [{ id: `r${i}` }] },
  };
}

function sink(k: AlertHistoryKeys, client: Redis = redis, extra: Partial<ConstructorParameters<typeof AlertHistorySink>[0]> = {}): AlertHistorySink {
  return new AlertHistorySink({ redis: client, keys: k, maxLen: 1000, ...extra });
}

function reader(k: AlertHistoryKeys, blockMs = 200): RedisAlertHistory {
  const r = new RedisAlertHistory({ connect: () => connectRedis({ url: REDIS_URL, connectionName: 'vigil-test-history-reader' }), keys: k, blockMs });
  closers.push(() => r.close());
  return r;
}

async function append(s: AlertHistorySink, alerts: readonly Alert[]): Promise<void> {
  for (const a of alerts) s.write(a);
  expect(await s.drain(10_000)).toBe(true);
}

async function all(r: RedisAlertHistory, filter: AlertFilter = {}, limit = 7): Promise<AlertEntry[]> {
  const out: AlertEntry[] = [];
  let before: string | undefined;
  for (;;) {
    const page = await r.page(filter, before === undefined ? { limit } : { before, limit });
    expect(page.alerts.length).toBeLessThanOrEqual(limit);
    out.push(...page.alerts);
    if (page.next === null) return out;
    before = page.next;
  }
}

describe('appending', () => {
  it('appends every alert once, in order, and drops ids it has seen (a replay, another process)', async () => {
    const k = keys();
    const metrics = new MetricRegistry();
    const first = sink(k, redis, { metrics });
    await append(
      first,
      Array.from({ length: 30 }, (_, i) => alert(i)),
    );
    expect(await redis.xlen(k.stream)).toBe(30);
    // A restart replays from the checkpoint: alerts 20..29 again, then new ones.
    const restarted = sink(k, redis, { metrics });
    await append(
      restarted,
      Array.from({ length: 20 }, (_, i) => alert(20 + i)),
    );
    expect(await redis.xlen(k.stream)).toBe(40);
    // Two processes replaying the same partition at once: each id still once.
    const other = await connectRedis({ url: REDIS_URL, connectionName: 'vigil-test-history-2' });
    closers.push(() => other.disconnect());
    const a = sink(k, redis, { metrics });
    const b = sink(k, other, { metrics });
    const batch = Array.from({ length: 30 }, (_, i) => alert(30 + i));
    for (const x of batch) {
      a.write(x);
      b.write(x);
    }
    expect(await Promise.all([a.drain(10_000), b.drain(10_000)])).toEqual([true, true]);
    expect(await redis.xlen(k.stream)).toBe(60);
    expect(metrics.total('vigil_alert_history_appended_total')).toBe(60);
    // 10 of the restart's 20, then 30..39 twice and 40..59 once more.
    expect(metrics.total('vigil_alert_history_duplicates_total')).toBe(10 + 40);
    const ids = (await all(reader(k), {}, 500)).map((e) => e.alert.id);
    expect(ids).toEqual(Array.from({ length: 60 }, (_, i) => alert(59 - i).id));
  });

  it('keeps the stream near its cap, and the ids it saw beyond it', async () => {
    const k = keys();
    const s = sink(k, redis, { maxLen: 100, batch: 50 });
    await append(
      s,
      Array.from({ length: 1000 }, (_, i) => alert(i)),
    );
    const len = await redis.xlen(k.stream);
    expect(len).toBeGreaterThanOrEqual(100);
    expect(len).toBeLessThan(300);
    // The seen set outlives a short history (at least 10 000 ids): a replay of what was trimmed adds nothing.
    expect(await redis.zcard(k.seen)).toBe(1000);
    await append(
      sink(k, redis, { maxLen: 100 }),
      Array.from({ length: 500 }, (_, i) => alert(i)),
    );
    expect(await redis.xlen(k.stream)).toBe(len);
    // The newest survive.
    const newest = await reader(k).page({}, { limit: 1 });
    expect(newest.alerts[0]?.alert.id).toBe(alert(999).id);
  });

  it('flush() never waits for a slow Redis; drain() does, and nothing is lost', async () => {
    const k = keys();
    const proxy = await delayingProxy(300);
    closers.push(() => proxy.close());
    const slow = await connectRedis({ url: `redis://127.0.0.1:${proxy.port}`, connectionName: 'vigil-test-history-slow' });
    closers.push(() => slow.disconnect());
    const s = sink(k, slow, { batch: 10 });
    let longest = 0;
    for (let i = 0; i < 50; i++) {
      s.write(alert(i));
      const t = performance.now();
      await s.flush();
      longest = Math.max(longest, performance.now() - t);
    }
    expect(longest).toBeLessThan(50);
    expect(s.buffered).toBeGreaterThan(0);
    expect(await s.drain(20_000)).toBe(true);
    expect(await redis.xlen(k.stream)).toBe(50);
  });

  it('keeps what a failed send held and retries it; past maxBuffered the oldest go, counted', async () => {
    const k = keys();
    const metrics = new MetricRegistry();
    const gone = await connectRedis({ url: REDIS_URL, connectionName: 'vigil-test-history-gone' });
    gone.disconnect();
    const s = sink(k, gone, { metrics, maxBuffered: 5, retryAfterMs: 10 });
    for (let i = 0; i < 4; i++) s.write(alert(i));
    expect(await s.drain(2000)).toBe(false);
    expect(s.buffered).toBe(4);
    expect(metrics.total('vigil_alert_history_failures_total')).toBe(1);
    for (let i = 4; i < 8; i++) s.write(alert(i));
    expect(s.buffered).toBe(5);
    expect(metrics.total('vigil_alert_history_dropped_total')).toBe(3);
  });
});

describe('reading', () => {
  it('filters by rule, severity, key, event and detected time, and pages newest first', async () => {
    const k = keys();
    await append(
      sink(k),
      Array.from({ length: 45 }, (_, i) => alert(i)),
    );
    const r = reader(k);
    const ids = (es: AlertEntry[]) => es.map((e) => e.alert.id);
    const expected = (pred: (i: number) => boolean) =>
      Array.from({ length: 45 }, (_, i) => 44 - i)
        .filter(pred)
        .map((i) => alert(i).id);
    expect(ids(await all(r))).toEqual(expected(() => true));
    expect(ids(await all(r, { rule: 'first-entry' }))).toEqual(expected((i) => i % 3 === 1));
    expect(ids(await all(r, { severity: 'critical' }))).toEqual(expected((i) => i % 3 === 2));
    expect(ids(await all(r, { key: 'PL-3', rule: 'cloned-plate' }))).toEqual(expected((i) => i % 5 === 3 && i % 3 === 0));
    expect(ids(await all(r, { eventFrom: T0 + 10 * 60_000, eventTo: T0 + 20 * 60_000 }))).toEqual(expected((i) => i >= 10 && i <= 20));
    expect(ids(await all(r, { detectedTo: T0 + 5 * 60_000 + 500 }))).toEqual(expected((i) => i <= 5));
    // Entries are appended now, long after these alerts were detected: a detected-from in the future stops at once.
    expect(await r.page({ detectedFrom: Date.now() + 60_000 }, { limit: 10 })).toEqual({ alerts: [], next: null });
    // Cursors are exclusive and stable.
    const p1 = await r.page({}, { limit: 10 });
    const p2 = await r.page({}, { before: p1.next as string, limit: 10 });
    expect(ids([...p1.alerts])).toEqual(expected((i) => i >= 35));
    expect(ids([...p2.alerts])).toEqual(expected((i) => i >= 25 && i < 35));
    expect(compareStreamIds(p2.alerts[0]?.id as string, p1.next as string)).toBeLessThan(0);
  });

  it('answers with what it found and a cursor when a filter matches little of a long history', async () => {
    const k = keys();
    await append(
      sink(k),
      Array.from({ length: 300 }, (_, i) => alert(i)),
    );
    const r = new RedisAlertHistory({ connect: () => connectRedis({ url: REDIS_URL }), keys: k, scanBudget: 100 });
    closers.push(() => r.close());
    const first = await r.page({ key: 'PL-0' }, { limit: 500 });
    expect(first.alerts.length).toBeLessThan(60);
    expect(first.next).not.toBeNull();
    expect((await all(r, { key: 'PL-0' }, 500)).length).toBe(60);
  });

  it('follows live, resumes from an id without a gap or a repeat, filters, and lets go when stopped', async () => {
    const k = keys();
    const s = sink(k);
    await append(
      s,
      Array.from({ length: 10 }, (_, i) => alert(i)),
    );
    const r = reader(k);
    const entries = await all(r, {}, 100);
    const resumeAt = entries.find((e) => e.alert.id === alert(4).id)?.id as string;

    const live: string[] = [];
    const resumed: string[] = [];
    const high: string[] = [];
    const errors: Error[] = [];
    const f1 = r.follow(
      undefined,
      {},
      (e) => live.push(e.alert.id),
      (e) => errors.push(e),
    );
    const f2 = r.follow(
      resumeAt,
      {},
      (e) => resumed.push(e.alert.id),
      (e) => errors.push(e),
    );
    const f3 = r.follow(
      resumeAt,
      { severity: 'high' },
      (e) => high.push(e.alert.id),
      (e) => errors.push(e),
    );
    expect(r.followers).toBe(3);
    await f1.ready;
    // Appended while the followers catch up and after: each gets them once, in order.
    const more = Array.from({ length: 20 }, (_, i) => alert(10 + i));
    for (const a of more.slice(0, 10)) s.write(a);
    await s.drain(5000);
    await until('resumed follower caught up', () => resumed.length >= 15, 5000);
    for (const a of more.slice(10)) s.write(a);
    await s.drain(5000);
    await until('every follower has the new alerts', () => resumed.length === 25 && live.length === 20, 5000);
    expect(resumed).toEqual(Array.from({ length: 25 }, (_, i) => alert(5 + i).id));
    // The live-only follower, ready before they were appended, gets them all and nothing from before.
    expect(live).toEqual(more.map((a) => a.id));
    expect(high).toEqual(
      Array.from({ length: 25 }, (_, i) => 5 + i)
        .filter((i) => i % 3 === 0)
        .map((i) => alert(i).id),
    );
    f1.stop();
    f2.stop();
    f3.stop();
    expect(r.followers).toBe(0);
    s.write(alert(99));
    await s.drain(5000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(resumed.length).toBe(25);
    expect(errors).toEqual([]);
  });
});

/** A TCP proxy to Redis that holds every client->server chunk for `delayMs`. */
async function delayingProxy(delayMs: number): Promise<{ port: number; close: () => Promise<void> }> {
  const url = new URL(REDIS_URL);
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = tcpConnect({ host: url.hostname, port: Number(url.port || 6379) });
    sockets.add(client);
    sockets.add(upstream);
    client.on('data', (d) => setTimeout(() => upstream.write(d), delayMs));
    upstream.on('data', (d) => client.write(d));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
