/**
 * `/api/webhooks` through fastify's inject against real webhook routes (Redis, a local receiver): the routes' state,
 * dead letters paged, retrying one and all, the token on retries, errors in the API's shape.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookControl } from '../../src/app/service/control.js';
import { silentLogger } from '../../src/core/index.js';
import { WebhookDelivery } from '../../src/io/webhook/delivery.js';
import { WEBHOOK_DEFAULTS, type WebhookRouteSpec } from '../../src/io/webhook/route.js';
import { buildServer, type VigilServer } from '../../src/server/index.js';
import { requireRedis } from '../io/redis/server.js';
import { TestReceiver, unlinkPrefix } from '../io/webhook/receiver.js';
import { FakeControl } from './fake-control.js';

const TOKEN = 'webhook-api-test-token';
const auth = { authorization: `Bearer ${TOKEN}` };
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

let redis: Redis;
let receiver: TestReceiver;
let delivery: WebhookDelivery;
let app: VigilServer;
const keys = `vigil-test-webhook-api-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

function spec(id: string, url: string, over: Partial<WebhookRouteSpec> = {}): WebhookRouteSpec {
  return {
    ...WEBHOOK_DEFAULTS,
    id,
    rule: id.split('.')[0] ?? id,
    url,
    secret: SECRET,
    attempts: 2,
    backoffMs: 20,
    timeoutMs: 500,
    breakerFailures: 1000,
    ...over,
  };
}

beforeAll(async () => {
  redis = await requireRedis('vigil-test-webhook-api');
  receiver = new TestReceiver(SECRET);
  const url = await receiver.start();
  const control = new FakeControl();
  delivery = new WebhookDelivery({
    redis,
    routes: [spec('cloned-plate', url), spec('first-entry', url)],
    prefix: keys,
    metrics: control.metrics,
    log: silentLogger,
  });
  await delivery.start();
  const webhooks: WebhookControl = {
    routes: () => delivery.status(),
    deadLetters: (route, offset, limit) => delivery.deadLetters(route, offset, limit),
    retry: (route, id) => delivery.retry(route, id),
    retryAll: (route) => delivery.retryAll(route),
  };
  control.webhooks = webhooks;
  app = await buildServer({ control, token: TOKEN, publicRead: false, savepointDir: join(mkdtempSync(join(tmpdir(), 'vigil-wh-api-')), 'sp') });
});

afterAll(async () => {
  await app?.close();
  await delivery?.close();
  await receiver?.close();
  await unlinkPrefix(redis, keys);
  await redis?.quit();
});

async function waitFor(what: string, check: () => Promise<boolean>): Promise<void> {
  const until = Date.now() + 15_000;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const alert = (n: number) => ({ id: `${randomBytes(12).toString('hex')}:${n}`, rule: 'cloned-plate', payload: { n } });

describe('/api/webhooks', () => {
  it('lists dead letters, retries one and then all, and wants the token for retries', async () => {
    const route = delivery.route('cloned-plate');
    if (route === undefined) throw new Error('no route');
    // Down for good: two attempts each, then dead letters. One alert the receiver refuses (422): dead at once.
    receiver.mode = { kind: 'down' };
    const list = Array.from({ length: 7 }, (_, i) => alert(i));
    await route.enqueue(list);
    await waitFor('7 dead letters', async () => (await route.refreshCounts()).failed === 7);
    receiver.mode = { kind: 'refuse' };
    const refused = alert(99);
    await route.enqueue([refused]);
    await waitFor('the refused alert', async () => (await route.refreshCounts()).failed === 8);

    const routes = await app.inject({ method: 'GET', url: '/api/webhooks', headers: auth });
    expect(routes.statusCode).toBe(200);
    const byId = new Map((routes.json().routes as { route: string }[]).map((r) => [r.route, r]));
    expect(byId.get('cloned-plate')).toMatchObject({
      rule: 'cloned-plate',
      attempts: 2,
      jobs: { failed: 8, waiting: 0, delayed: 0, completed: 0 },
      breaker: { state: 'closed' },
      enqueued: 8,
      deliveryAttempts: 15,
      delivered: 0,
      failedAttempts: 15,
      deadLettered: 8,
    });
    expect(byId.get('first-entry')).toMatchObject({ jobs: { failed: 0 } });
    expect((await app.inject({ method: 'GET', url: '/api/webhooks' })).statusCode).toBe(401);

    // Paged, newest first; the refused alert says why after one attempt.
    const page1 = await app.inject({ method: 'GET', url: '/api/webhooks/cloned-plate/dead?limit=3', headers: auth });
    expect(page1.statusCode).toBe(200);
    const p1 = page1.json();
    expect(p1).toMatchObject({ route: 'cloned-plate', total: 8, offset: 0, limit: 3 });
    expect(p1.jobs).toHaveLength(3);
    expect(p1.jobs[0]).toMatchObject({ alert: refused, attemptsMade: 1, failedReason: expect.stringMatching(/refused the alert: HTTP 422/) });
    expect(p1.jobs[1]).toMatchObject({ attemptsMade: 2, failedReason: expect.stringMatching(/HTTP 503/) });
    const page3 = (await app.inject({ method: 'GET', url: '/api/webhooks/cloned-plate/dead?offset=6&limit=3', headers: auth })).json();
    expect(page3.jobs).toHaveLength(2);
    const allIds = new Set([...p1.jobs, ...page3.jobs].map((j: { alert: { id: string } }) => j.alert.id));
    expect(allIds.size).toBe(5);

    // Bad paging and unknown routes answer in the API's error shape.
    const bad = await app.inject({ method: 'GET', url: '/api/webhooks/cloned-plate/dead?limit=0', headers: auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('bad_request');
    expect((await app.inject({ method: 'GET', url: '/api/webhooks/cloned-plate/dead?limit=x', headers: auth })).statusCode).toBe(400);
    const unknown = await app.inject({ method: 'GET', url: '/api/webhooks/nope/dead', headers: auth });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('webhook_route_not_found');

    // Retry one: without the token refused; with it the alert goes back with all its attempts, and is delivered.
    receiver.mode = { kind: 'up' };
    const refusedJob = p1.jobs[0].id as string;
    expect(refusedJob).not.toContain(':');
    const retryUrl = `/api/webhooks/cloned-plate/dead/${encodeURIComponent(refusedJob)}/retry`;
    expect((await app.inject({ method: 'POST', url: retryUrl })).statusCode).toBe(401);
    const retried = await app.inject({ method: 'POST', url: retryUrl, headers: auth });
    expect(retried.statusCode).toBe(202);
    expect(retried.json()).toEqual({ route: 'cloned-plate', id: refusedJob, state: 'waiting' });
    await waitFor('the retried alert', async () => (await route.refreshCounts()).completed === 1);
    expect(receiver.answeredCounts().get(refused.id)).toBe(1);
    // Not a dead letter any more, and an id that never was.
    const again = await app.inject({ method: 'POST', url: retryUrl, headers: auth });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('not_dead_letter');
    const missing = await app.inject({ method: 'POST', url: '/api/webhooks/cloned-plate/dead/no-such-job/retry', headers: auth });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('dead_letter_not_found');

    // Retry all: the seven others are delivered, once each.
    expect((await app.inject({ method: 'POST', url: '/api/webhooks/cloned-plate/dead/retry' })).statusCode).toBe(401);
    const all = await app.inject({ method: 'POST', url: '/api/webhooks/cloned-plate/dead/retry', headers: auth });
    expect(all.statusCode).toBe(202);
    expect(all.json()).toEqual({ route: 'cloned-plate', retried: 7 });
    await waitFor('every alert delivered', async () => (await route.refreshCounts()).completed === 8);
    const answered = receiver.answeredCounts();
    for (const a of [...list, refused]) expect(answered.get(a.id)).toBe(1);
    expect((await route.refreshCounts()).failed).toBe(0);
    expect((await app.inject({ method: 'POST', url: '/api/webhooks/nope/dead/retry', headers: auth })).statusCode).toBe(404);
  });

  it('shows the routes in /metrics and in the OpenAPI document', async () => {
    await delivery.route('first-entry')?.refreshCounts();
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toMatch(/vigil_webhook_deliveries_total\{route="cloned-plate",rule="cloned-plate"\} \d+/);
    expect(text).toMatch(/vigil_webhook_queue_depth\{route="first-entry",rule="first-entry"\} 0/);
    expect(text).toMatch(/vigil_webhook_breaker_state\{route="cloned-plate",rule="cloned-plate"\} 0/);
    expect(text).toMatch(/vigil_webhook_failures_total\{route="cloned-plate",rule="cloned-plate"\} 15/);
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/webhooks', '/api/webhooks/{route}/dead', '/api/webhooks/{route}/dead/{id}/retry', '/api/webhooks/{route}/dead/retry']),
    );
    expect(doc.components.schemas.WebhookRoute).toBeDefined();
  });
});
