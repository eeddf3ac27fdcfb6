/**
 * /api/alerts and /api/alerts/stream on the real Redis history: through fastify's inject and over a real socket
 * (the live stream only exists there). Auth, filters, pages, dedupe on replay, SSE live, heartbeats, resume with
 * Last-Event-ID, cleanup on disconnect, and the one error shape when the history does not answer.
 */
import { type IncomingMessage, request } from 'node:http';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/dsl/index.js';
import type { AlertHistory, AlertHistoryKeys } from '../../src/io/redis/alert-history.js';
import { RedisAlertHistory } from '../../src/io/redis/alert-history-reader.js';
import { AlertHistorySink } from '../../src/io/redis/alert-history-sink.js';
import { connectRedis } from '../../src/io/redis/client.js';
import { buildServer, listen, type VigilServer } from '../../src/server/index.js';
import { until } from '../io/kafka/broker.js';
import { REDIS_URL, requireRedis, uniquePrefix } from '../io/redis/server.js';
import { FakeControl } from './fake-control.js';

const TOKEN = 'alerts-token-for-tests';
const auth = { authorization: `Bearer ${TOKEN}` };
let redis: Redis;
const used: AlertHistoryKeys[] = [];
const servers: VigilServer[] = [];
const histories: RedisAlertHistory[] = [];

beforeAll(async () => {
  redis = await requireRedis('vigil-test-alerts-api');
});
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  for (const h of histories.splice(0)) await h.close();
});
afterAll(async () => {
  for (const k of used) await redis.unlink(k.stream, k.seen);
  await redis?.quit();
});

const T0 = Date.parse('2026-03-02T08:00:00Z');

function alert(i: number): Alert {
  return {
    id: `al-${i}`,
    rule: i % 2 === 0 ? 'cloned-plate' : 'first-entry',
    pattern: 'p',
    severity: i % 2 === 0 ? 'high' : 'info',
    key: `PL-${i % 3}`,
    event_time: T0 + i * 1000,
    detected_at: T0 + i * 1000 + 50,
    payload: { i, note: 'ünïcode ✓' },
    evidence: { a: [{ id: `r${i}` }] },
  };
}

async function setup(opts: { publicRead?: boolean; history?: AlertHistory; maxAlertStreams?: number } = {}) {
  const base = `${uniquePrefix('alerts-api')}{g}`;
  const keys = { stream: base, seen: `${base}:seen` };
  used.push(keys);
  const sink = new AlertHistorySink({ redis, keys, maxLen: 1000 });
  const history = new RedisAlertHistory({ connect: () => connectRedis({ url: REDIS_URL, connectionName: 'vigil-test-alerts-api' }), keys, blockMs: 200 });
  histories.push(history);
  const app = await buildServer({
    control: new FakeControl(),
    token: TOKEN,
    publicRead: opts.publicRead ?? false,
    savepointDir: '/nonexistent-vigil-test',
    alerts: opts.history ?? history,
    sseHeartbeatMs: 100,
    ...(opts.maxAlertStreams === undefined ? {} : { maxAlertStreams: opts.maxAlertStreams }),
  });
  servers.push(app);
  const append = async (alerts: readonly Alert[]): Promise<void> => {
    for (const a of alerts) sink.write(a);
    expect(await sink.drain(10_000)).toBe(true);
  };
  return { app, history, append, keys };
}

interface Page {
  alerts: { entry: string; alert: Alert }[];
  next: string | null;
}

describe('GET /api/alerts', () => {
  it('wants the token unless reads are public', async () => {
    const { app } = await setup();
    const res = await app.inject({ method: 'GET', url: '/api/alerts' });
    expect(res.statusCode).toBe(401);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'token_required' } });
    const open = await setup({ publicRead: true });
    expect((await open.app.inject({ method: 'GET', url: '/api/alerts' })).statusCode).toBe(200);
  });

  it('filters and pages newest first, each alert once after a replay', async () => {
    const { app, append } = await setup();
    await append(Array.from({ length: 12 }, (_, i) => alert(i)));
    // A restart replays 6..11 and goes on with 12..14.
    await append(Array.from({ length: 9 }, (_, i) => alert(6 + i)));
    const get = async (query: string): Promise<Page> => {
      const res = await app.inject({ method: 'GET', url: `/api/alerts?${query}`, headers: auth });
      expect(res.statusCode, res.body).toBe(200);
      return JSON.parse(res.body) as Page;
    };
    const ids = (p: Page) => p.alerts.map((a) => a.alert.id);
    const everything = await get('limit=500');
    expect(ids(everything)).toEqual(Array.from({ length: 15 }, (_, i) => `al-${14 - i}`));
    expect(everything.next).toBeNull();
    expect(everything.alerts[0]?.alert).toEqual(alert(14));

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Page = await get(`limit=4&rule=cloned-plate${cursor === null ? '' : `&cursor=${cursor}`}`);
      expect(page.alerts.length).toBeLessThanOrEqual(4);
      seen.push(...ids(page));
      cursor = page.next;
    } while (cursor !== null);
    expect(seen).toEqual(['al-14', 'al-12', 'al-10', 'al-8', 'al-6', 'al-4', 'al-2', 'al-0']);

    expect(ids(await get('severity=info&key=PL-1'))).toEqual(['al-13', 'al-7', 'al-1']);
    expect(ids(await get(`from=${T0 + 3000}&to=${new Date(T0 + 5000).toISOString()}`))).toEqual(['al-5', 'al-4', 'al-3']);
    expect(ids(await get(`detectedTo=${T0 + 1050}`))).toEqual(['al-1', 'al-0']);
  });

  it('refuses bad queries in the error shape', async () => {
    const { app } = await setup();
    for (const query of ['limit=0', 'limit=501', 'limit=ten', 'cursor=abc', 'from=yesterday', 'severity=urgent', 'colour=red']) {
      const res = await app.inject({ method: 'GET', url: `/api/alerts?${query}`, headers: auth });
      expect(res.statusCode, query).toBe(400);
      expect(JSON.parse(res.body).error.code, query).toBe('bad_request');
    }
  });

  it('answers 503 without detail when the history fails', async () => {
    const failing: AlertHistory = {
      page: async () => {
        throw new Error('connect ECONNREFUSED 10.9.8.7:6379 at /srv/secret');
      },
      follow: () => ({ ready: Promise.reject(new Error('connect ECONNREFUSED 10.9.8.7:6379')), stop: () => undefined }),
      close: async () => undefined,
    };
    const { app } = await setup({ history: failing });
    const res = await app.inject({ method: 'GET', url: '/api/alerts', headers: auth });
    expect(res.statusCode).toBe(503);
    expect(JSON.parse(res.body)).toEqual({ error: { code: 'unavailable', message: 'the alert history (Redis) does not answer; try again' } });
    expect(res.body).not.toContain('10.9.8.7');
    const stream = await app.inject({ method: 'GET', url: '/api/alerts/stream', headers: auth });
    expect(stream.statusCode).toBe(503);
    expect(JSON.parse(stream.body)).toMatchObject({ error: { code: 'unavailable' } });
    expect(stream.body).not.toContain('10.9.8.7');
  });

  it('is in the OpenAPI document with its query and response schemas', async () => {
    const { app } = await setup();
    const doc = JSON.parse((await app.inject({ method: 'GET', url: '/openapi.json' })).body) as {
      paths: Record<string, { get?: { parameters?: { name: string }[]; responses: Record<string, unknown>; security?: unknown } }>;
      components: { schemas: Record<string, unknown> };
    };
    const page = doc.paths['/api/alerts']?.get;
    expect(page?.parameters?.map((p) => p.name).sort()).toEqual(['cursor', 'detectedFrom', 'detectedTo', 'from', 'key', 'limit', 'rule', 'severity', 'to']);
    expect(JSON.stringify(page?.responses['200'])).toContain('AlertPage');
    expect(page?.security).toEqual([{ bearer: [] }]);
    expect(doc.components.schemas).toHaveProperty('Alert');
    const stream = doc.paths['/api/alerts/stream']?.get;
    expect(JSON.stringify(stream?.responses['200'])).toContain('text/event-stream');
    expect(stream?.parameters?.map((p) => p.name)).toContain('last-event-id');
  });
});

interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

/** An SSE client over a plain socket: the status, the events and comment lines as they come, and a way to hang up. */
class SseClient {
  status = 0;
  body = '';
  readonly events: SseEvent[] = [];
  comments = 0;
  private res: IncomingMessage | undefined;
  private buffer = '';
  readonly done: Promise<void>;
  private readonly req;

  constructor(url: string, headers: Record<string, string>) {
    let finish!: () => void;
    this.done = new Promise((resolve) => (finish = resolve));
    this.req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      this.res = res;
      this.status = res.statusCode ?? 0;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        this.body += chunk;
        this.buffer += chunk;
        this.parse();
      });
      res.on('end', finish);
      res.on('close', finish);
    });
    this.req.on('error', finish);
    this.req.end();
  }

  private parse(): void {
    for (;;) {
      const at = this.buffer.indexOf('\n\n');
      if (at < 0) return;
      const block = this.buffer.slice(0, at);
      this.buffer = this.buffer.slice(at + 2);
      const event: SseEvent = { data: '' };
      let fields = 0;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) this.comments++;
        else {
          const sep = line.indexOf(': ');
          const [name, value] = sep < 0 ? [line, ''] : [line.slice(0, sep), line.slice(sep + 2)];
          if (name === 'id') event.id = value;
          if (name === 'event') event.event = value;
          if (name === 'data') event.data += value;
          fields++;
        }
      }
      if (fields > 0) this.events.push(event);
    }
  }

  ids(): string[] {
    return this.events.map((e) => (JSON.parse(e.data) as Alert).id);
  }

  close(): void {
    this.res?.destroy();
    this.req.destroy();
  }
}

describe('GET /api/alerts/stream over a socket', () => {
  it('refuses a client without the token with 401 JSON', async () => {
    const { app } = await setup();
    const url = await listen(app, { host: '127.0.0.1', port: 0 });
    const c = new SseClient(`${url}/api/alerts/stream`, {});
    await c.done;
    expect(c.status).toBe(401);
    expect(JSON.parse(c.body)).toMatchObject({ error: { code: 'token_required' } });
  });

  it('streams alerts live with heartbeats, resumes from Last-Event-ID, filters, and lets go on disconnect', async () => {
    const { app, append, history } = await setup();
    await append([alert(0), alert(1)]);
    const url = await listen(app, { host: '127.0.0.1', port: 0 });
    const live = new SseClient(`${url}/api/alerts/stream`, auth);
    await until('the live follower is attached', () => history.followers === 1 && live.status === 200, 5000);
    expect(live.status).toBe(200);
    await append(Array.from({ length: 6 }, (_, i) => alert(2 + i)));
    await until('six live alerts', () => live.events.length === 6, 5000);
    expect(live.ids()).toEqual(['al-2', 'al-3', 'al-4', 'al-5', 'al-6', 'al-7']);
    for (const e of live.events) {
      expect(e.event).toBe('alert');
      expect(e.id).toMatch(/^\d+-\d+$/);
    }
    expect(JSON.parse(live.events[0]?.data as string)).toEqual(alert(2));
    await until('heartbeats', () => live.comments >= 3, 5000);

    // The client dropped after al-4 and comes back: what it missed, then live, none twice. A replay of 5..7 by
    // a restarted job adds nothing.
    const lastSeen = live.events[2]?.id as string;
    const resumed = new SseClient(`${url}/api/alerts/stream`, { ...auth, 'last-event-id': lastSeen });
    const filtered = new SseClient(`${url}/api/alerts/stream?rule=first-entry&lastEventId=${live.events[0]?.id}`, auth);
    await until('resumed clients caught up', () => resumed.events.length === 3 && filtered.events.length === 3, 5000);
    await append([alert(5), alert(6), alert(7), alert(8), alert(9)]);
    await until('the new alerts', () => resumed.events.length === 5 && live.events.length === 8 && filtered.events.length === 4, 5000);
    expect(resumed.ids()).toEqual(['al-5', 'al-6', 'al-7', 'al-8', 'al-9']);
    expect(filtered.ids()).toEqual(['al-3', 'al-5', 'al-7', 'al-9']);
    expect(live.ids().slice(6)).toEqual(['al-8', 'al-9']);
    expect(history.followers).toBe(3);

    live.close();
    resumed.close();
    filtered.close();
    await until('followers released', () => history.followers === 0, 5000);
  });

  it('refuses a bad Last-Event-ID and streams past the limit with 503', async () => {
    const { app, history } = await setup({ maxAlertStreams: 1 });
    const url = await listen(app, { host: '127.0.0.1', port: 0 });
    expect((await app.inject({ method: 'HEAD', url: '/api/alerts/stream', headers: auth })).statusCode).toBe(404);
    const bad = new SseClient(`${url}/api/alerts/stream`, { ...auth, 'last-event-id': '../../etc' });
    await bad.done;
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ error: { code: 'bad_request' } });
    const first = new SseClient(`${url}/api/alerts/stream`, auth);
    await until('one stream open', () => history.followers === 1 && first.status === 200, 5000);
    const second = new SseClient(`${url}/api/alerts/stream`, auth);
    await second.done;
    expect(second.status).toBe(503);
    expect(JSON.parse(second.body)).toMatchObject({ error: { code: 'unavailable' } });
    first.close();
    await until('released', () => history.followers === 0, 5000);
  });

  it('ends open streams when the server closes', async () => {
    const { app, history } = await setup();
    const url = await listen(app, { host: '127.0.0.1', port: 0 });
    const c = new SseClient(`${url}/api/alerts/stream`, auth);
    await until('open', () => history.followers === 1 && c.status === 200, 5000);
    await app.close();
    await c.done;
    expect(history.followers).toBe(0);
  });
});
