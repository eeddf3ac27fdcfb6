/**
 * Webhook delivery against a real Redis and a real HTTP receiver on 127.0.0.1: a receiver that is down, then slow
 * past the timeout, then slow, then well. Every alert reaches it once per idempotency key, signed; duplicates
 * enqueued are not delivered twice; enqueueing takes as long while the receiver is down as while it is up.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MetricRegistry, silentLogger } from '../../../src/core/index.js';
import { WebhookDelivery } from '../../../src/io/webhook/delivery.js';
import { WEBHOOK_DEFAULTS, type WebhookRouteSpec } from '../../../src/io/webhook/route.js';
import { requireRedis } from '../redis/server.js';
import { TestReceiver, unlinkPrefix } from './receiver.js';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
let redis: Redis;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  redis = await requireRedis('vigil-test-webhook');
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});
afterAll(async () => {
  await redis?.quit();
});

/** A bullmq prefix of this test alone (helpers share the Redis). */
function prefix(): string {
  return `vigil-test-webhook-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

function spec(url: string, over: Partial<WebhookRouteSpec> = {}): WebhookRouteSpec {
  return {
    ...WEBHOOK_DEFAULTS,
    id: 'cloned-plate',
    rule: 'cloned-plate',
    url,
    secret: SECRET,
    concurrency: 4,
    timeoutMs: 600,
    attempts: 25,
    backoffMs: 40,
    maxBackoffMs: 400,
    breakerFailures: 3,
    breakerCooldownMs: 250,
    ...over,
  };
}

async function setUp(specs: WebhookRouteSpec[], receiver: TestReceiver) {
  const metrics = new MetricRegistry();
  const keys = prefix();
  const delivery = new WebhookDelivery({ redis, routes: specs, prefix: keys, metrics, log: silentLogger, countsIntervalMs: 100 });
  cleanups.push(async () => {
    await delivery.close();
    await receiver.close();
    await unlinkPrefix(redis, keys);
  });
  await delivery.start();
  return { delivery, metrics };
}

function alerts(from: number, n: number) {
  return Array.from({ length: n }, (_, i) => ({
    id: randomBytes(16).toString('hex'),
    rule: 'cloned-plate',
    severity: 'high',
    key: `浙A${String(from + i).padStart(5, '0')}`,
    payload: { n: from + i },
  }));
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Writes alerts the way the service does (write per alert, a flush per batch) and returns the milliseconds it took. */
async function enqueueTimed(delivery: WebhookDelivery, route: string, list: readonly { id: string }[], batch = 20): Promise<number> {
  const sink = delivery.sink(route);
  const started = performance.now();
  for (let i = 0; i < list.length; i += batch) {
    for (const a of list.slice(i, i + batch)) sink.write(a);
    await sink.flush();
  }
  return performance.now() - started;
}

describe('webhook delivery (Redis, a local HTTP receiver)', () => {
  it('delivers every alert once per idempotency key through down, too-slow, slow and well phases; enqueueing stays fast', async () => {
    const receiver = new TestReceiver(SECRET);
    const url = await receiver.start();
    const { delivery, metrics } = await setUp([spec(url)], receiver);
    const route = delivery.route('cloned-plate');
    if (route === undefined) throw new Error('no route');

    // Down: every POST gets 503. Enqueueing is all the alert path does, so it does not wait for the receiver.
    receiver.mode = { kind: 'down' };
    // Warm-up (bullmq's scripts loaded, code compiled: the first batches of a process take about twice as long), so
    // the two timings below compare like with like; its deliveries fail until the breaker opens: from then on the
    // receiver is down as far as Vigil knows.
    const warm = alerts(-300, 300);
    await enqueueTimed(delivery, 'cloned-plate', warm);
    await waitFor('the breaker to open', () => route.breaker.state === 'open');
    const first = alerts(0, 300);
    const downMs = await enqueueTimed(delivery, 'cloned-plate', first);
    // The same alerts again, as after a crash and a replay from the last checkpoint: nothing new is queued.
    await enqueueTimed(delivery, 'cloned-plate', first.slice(0, 100));
    const jobs = await route.refreshCounts();
    expect(jobs.waiting + jobs.delayed + jobs.active).toBe(600);
    await new Promise((resolve) => setTimeout(resolve, 600));
    const attemptsWhileDown = receiver.arrivals.length;
    // The breaker keeps a down receiver from being hammered: a handful of probes, not one POST per alert per retry.
    expect(attemptsWhileDown).toBeLessThan(40);

    // Slower than the timeout: the receiver gets requests but Vigil gives up on them (and will send them again).
    receiver.mode = { kind: 'slow', delayMs: 1000 };
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // Slow but well within the timeout (a margin for a loaded machine), then well.
    receiver.mode = { kind: 'slow', delayMs: 100 };
    await new Promise((resolve) => setTimeout(resolve, 800));
    receiver.mode = { kind: 'up' };
    await waitFor('the first 600 alerts to be delivered', async () => (await route.refreshCounts()).completed === 600);

    // Up: the same number of new alerts, enqueued while deliveries run.
    const second = alerts(300, 300);
    const upMs = await enqueueTimed(delivery, 'cloned-plate', second);
    await waitFor('all 900 alerts to be delivered', async () => (await route.refreshCounts()).completed === 900);

    // Delivered alerts enqueued again (a replay after a crash) are not sent again: their completed jobs hold the ids.
    const posts = receiver.arrivals.length;
    await enqueueTimed(delivery, 'cloned-plate', [...first.slice(0, 50), ...second.slice(0, 50)]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.arrivals.length).toBe(posts);
    expect((await route.refreshCounts()).completed).toBe(900);

    const answered = receiver.answeredCounts();
    const ids = [...warm, ...first, ...second].map((a) => a.id);
    // Every alert's answer reached Vigil exactly once; none that Vigil did not enqueue.
    expect([...answered.keys()].sort()).toEqual([...ids].sort());
    expect([...answered].filter(([, n]) => n !== 1)).toEqual([]);
    // Every request the receiver saw carried a valid signature (checked by the shipped helper).
    expect(receiver.arrivals.filter((a) => !a.verified)).toEqual([]);
    // Retries after a timeout reached the receiver again with the same webhook-id: that is what the id is for.
    const timedOut = receiver.arrivals.filter((a) => a.aborted);
    expect(timedOut.length).toBeGreaterThan(0);
    expect(timedOut.filter((a) => !ids.includes(a.id))).toEqual([]);
    expect(metrics.total('vigil_webhook_deliveries_total')).toBe(900);
    expect(metrics.total('vigil_webhook_failures_total')).toBe(receiver.arrivals.length - 900);
    expect(metrics.total('vigil_webhook_breaker_opened_total')).toBeGreaterThanOrEqual(1);
    const status = (await delivery.status())[0];
    expect(status?.jobs).toMatchObject({ waiting: 0, delayed: 0, active: 0, failed: 0, completed: 900 });
    expect(status?.breaker.state).toBe('closed');

    // Enqueueing while the receiver was down took about as long as while it was up (a generous bound: the machine is
    // shared), and nowhere near what waiting for the receiver would cost (300 alerts x a 600 ms timeout = 3 minutes).
    console.log(
      `webhook: 300 alerts enqueued in ${downMs.toFixed(0)} ms while the receiver was down, ${upMs.toFixed(0)} ms while up ` +
        `(${Math.round(300 / (downMs / 1000))} / ${Math.round(300 / (upMs / 1000))} alerts/s); ${receiver.arrivals.length} POSTs for 900 alerts, ${metrics.total('vigil_webhook_deferred_total')} deferrals by the open breaker`,
    );
    expect(downMs).toBeLessThan(Math.max(upMs * 4, 1500));
  });

  it('delivers at the receiver pace with concurrency: figures', async () => {
    const receiver = new TestReceiver(SECRET);
    const url = await receiver.start();
    const { delivery } = await setUp([spec(url, { id: 'rate', concurrency: 8 })], receiver);
    const route = delivery.route('rate');
    if (route === undefined) throw new Error('no route');
    const list = alerts(0, 1000);
    const enqueueMs = await enqueueTimed(delivery, 'rate', list, 100);
    const started = performance.now();
    await waitFor('1000 deliveries', async () => (await route.refreshCounts()).completed === 1000);
    const deliverMs = performance.now() - started;
    console.log(
      `webhook: enqueue ${Math.round(1000 / (enqueueMs / 1000))} alerts/s (batches of 100); ` +
        `delivery ${Math.round(1000 / (deliverMs / 1000))} alerts/s (concurrency 8, local receiver)`,
    );
    expect(receiver.answeredCounts().size).toBe(1000);
  });
});
