/**
 * The live side of the re-run's comparison on the real Redis: a day with far more alerts than the capped alert
 * history keeps. The service writes each alert to the history and to the day's alert index (as everyAlert does);
 * the index has every one, so the comparison adds and withdraws only what really changed. Without an index (a day
 * a service older than it ran), the live side is what the history holds, and the report says it is incomplete.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveDay } from '../../src/app/day-results.js';
import { dayRange } from '../../src/app/days.js';
import { diffDay } from '../../src/app/rerun.js';
import type { Alert } from '../../src/dsl/index.js';
import { alertHistoryKeys } from '../../src/io/redis/alert-history.js';
import { RedisAlertHistory } from '../../src/io/redis/alert-history-reader.js';
import { AlertHistorySink } from '../../src/io/redis/alert-history-sink.js';
import { connectRedis } from '../../src/io/redis/client.js';
import { DayStore, DayWriter, dayKeys } from '../../src/io/redis/day-store.js';
import { unlinkMatching } from '../../src/io/redis/keys.js';
import { REDIS_URL, requireRedis, uniquePrefix } from '../io/redis/server.js';

const DAY = '2026-03-03';
const { from } = dayRange(DAY, 'UTC');
const group = `${uniquePrefix('live-day').replace(/[:{}]/g, '-')}g`;
let redis: Redis;
let history: RedisAlertHistory;

beforeAll(async () => {
  redis = await requireRedis('vigil-test-live-day');
  history = new RedisAlertHistory({
    connect: () => connectRedis({ url: REDIS_URL, connectionName: 'vigil-test-live-day-reader' }),
    keys: alertHistoryKeys(group),
  });
});
afterAll(async () => {
  await history?.close();
  if (redis !== undefined) {
    await unlinkMatching(redis, `vigil:alerts:{${group}}*`);
    await unlinkMatching(redis, `vigil:day:{${group}}*`);
    await redis.quit();
  }
});

const alert = (i: number, eventTime: number): Alert => ({
  id: `alert-${String(i).padStart(4, '0')}`,
  rule: i % 2 === 0 ? 'speeding' : 'missed-b',
  pattern: 'p',
  severity: 'medium',
  key: `PL-${i}`,
  event_time: eventTime,
  detected_at: eventTime + 1000,
  payload: { i },
  evidence: { a: [{ id: `r${i}` }] },
});

describe('the live day the re-run compares with', () => {
  it('has every alert of the day when they exceed the history cap, so the diff adds and withdraws only real changes', async () => {
    // 600 alerts of the day (10 s apart) and 5 of the day before, into a history capped at 10 and the day index.
    const alerts = Array.from({ length: 600 }, (_, i) => alert(i, from + i * 10_000));
    const before = Array.from({ length: 5 }, (_, i) => alert(1000 + i, from - 60_000 + i));
    const sink = new AlertHistorySink({ redis, keys: alertHistoryKeys(group), maxLen: 10 });
    const days = new DayWriter({ redis, keys: dayKeys(group) });
    const expireAt = Date.now() + 3_600_000;
    for (const a of [...before, ...alerts]) {
      sink.write(a);
      days.alert(a.event_time < from ? '2026-03-02' : DAY, a, expireAt);
      // Replayed after a crash: the same ids again change nothing.
      if (a.event_time % 7 === 0) days.alert(a.event_time < from ? '2026-03-02' : DAY, a, expireAt);
    }
    expect(await sink.drain(10_000)).toBe(true);
    expect(await days.drain(10_000)).toBe(true);
    // The cap bit: the history no longer holds the day's first alerts.
    expect(await redis.xlen(alertHistoryKeys(group).stream)).toBeLessThan(600);
    const pttl = await redis.pttl(dayKeys(group).alerts(DAY));
    expect(pttl).toBeGreaterThan(3_500_000);

    const store = new DayStore(redis, dayKeys(group));
    const live = await liveDay(history, store, DAY, 'UTC');
    expect(live.alertsComplete).toBe(true);
    expect(live.alerts.map((a) => a.id)).toEqual(alerts.map((a) => a.id));
    expect(live.alerts[0]).toEqual({ id: 'alert-0000', rule: 'speeding', severity: 'medium', key: 'PL-0', event_time: from });

    // Final: alert 3 withdrawn, one new alert added, the other 599 unchanged.
    const added = alert(5000, from + 55_000);
    const final = { alerts: [...alerts.filter((a) => a.id !== 'alert-0003'), added], flow: new Map<string, number>() };
    expect(diffDay(live, final, 'flow_1m').alerts).toEqual({
      live: 600,
      final: 600,
      added: [added.id],
      withdrawn: ['alert-0003'],
      unchanged: 599,
      liveComplete: true,
    });

    // Without the index (a day a service older than it ran): only what the history holds, said to be incomplete.
    await redis.unlink(dayKeys(group).alerts(DAY));
    const partial = await liveDay(history, store, DAY, 'UTC');
    expect(partial.alertsComplete).toBe(false);
    expect(partial.alerts.length).toBeLessThan(600);
    const wrong = diffDay(partial, final, 'flow_1m').alerts;
    expect(wrong.liveComplete).toBe(false);
    expect(wrong.added.length).toBeGreaterThan(1);
  }, 60_000);
});
