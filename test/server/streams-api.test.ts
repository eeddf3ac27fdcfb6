/**
 * /api/streams (list, since, live SSE over a real socket, several streams on one connection, resume), /api/status,
 * /api/vehicles/:plate, /api/dashboard and the page's files, on in-memory feeds; auth on every read.
 */
import { type IncomingMessage, request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { DashboardInfo } from '../../src/app/live/dashboard-info.js';
import { StreamRings } from '../../src/app/live/stream-rings.js';
import { VehicleSightings } from '../../src/app/live/vehicle-sightings.js';
import { buildServer, listen, type VigilServer } from '../../src/server/index.js';
import { FakeControl } from './fake-control.js';

const TOKEN = 'streams-token-for-tests';
const auth = { authorization: `Bearer ${TOKEN}` };
const servers: VigilServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

const info: DashboardInfo = {
  timeZone: 'Asia/Shanghai',
  checkpoints: [{ id: 'CP1', name: 'Gate one', lat: 30.2, lon: 120.1, segment: 'S1', kind: 'entry', direction: 'in', road: 'G1' }],
  rules: [{ id: 'cloned-plate', severity: 'high', description: 'two places at once' }],
  streams: ['flow_1m', 'segment_speed_1m'],
  replay: null,
  vehicleLookup: true,
  days: false,
};

async function setup(token: string | undefined = TOKEN) {
  const rings = new StreamRings(['flow_1m', 'segment_speed_1m'], 5);
  const vehicles = new VehicleSightings();
  const control = new FakeControl();
  control.metrics.gauge('vigil_watermark_lag_ms', { partition: '0' }, () => 1500);
  control.metrics.gauge('vigil_watermark_lag_ms', { partition: '1' }, () => 2500);
  control.metrics.counter('vigil_records_in_total', { source: 's' }).value = 42;
  const app = await buildServer({
    control,
    token,
    publicRead: false,
    savepointDir: '/tmp/vigil-streams-test',
    streams: rings,
    vehicles,
    dashboard: info,
    sseHeartbeatMs: 50,
  });
  servers.push(app);
  return { app, rings, vehicles };
}

const flow = (i: number) => ({ checkpoint: `CP${i % 2}`, flow: i, window_start: i * 60_000, window_end: (i + 1) * 60_000 });

describe('/api/streams', () => {
  it('lists the kept streams and reads a ring after a sequence number, the newest when more are kept', async () => {
    const { app, rings } = await setup();
    const sink = rings.sink('flow_1m');
    for (let i = 1; i <= 7; i++) sink.write(flow(i), (i + 1) * 60_000 - 1);
    const list = await app.inject({ url: '/api/streams', headers: auth });
    expect(list.json()).toEqual({
      streams: [
        { name: 'flow_1m', kept: 5, total: 7, capacity: 5, last: 7 },
        { name: 'segment_speed_1m', kept: 0, total: 0, capacity: 5, last: 0 },
      ],
    });
    // Ring of 5 after 7 writes: 3..7 kept; since=1 missed seq 2.
    const page = (await app.inject({ url: '/api/streams/flow_1m?since=1', headers: auth })).json();
    expect(page.records.map((r: { seq: number }) => r.seq)).toEqual([3, 4, 5, 6, 7]);
    expect(page).toMatchObject({ last: 7, missed: 1 });
    expect(page.records[0]).toEqual({ seq: 3, time: 4 * 60_000 - 1, record: flow(3) });
    const limited = (await app.inject({ url: '/api/streams/flow_1m?since=4&limit=2', headers: auth })).json();
    expect(limited.records.map((r: { seq: number }) => r.seq)).toEqual([6, 7]);
    expect(limited.missed).toBe(1);
    expect((await app.inject({ url: '/api/streams/flow_1m?since=7', headers: auth })).json()).toEqual({ name: 'flow_1m', records: [], last: 7, missed: 0 });
  });

  it('answers 404 for a stream not kept, 400 for a bad query, 401 without the token', async () => {
    const { app } = await setup();
    const missing = await app.inject({ url: '/api/streams/flow_30s', headers: auth });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.message).toContain('kept: flow_1m, segment_speed_1m');
    expect((await app.inject({ url: '/api/streams/flow_1m?since=-1', headers: auth })).statusCode).toBe(400);
    expect((await app.inject({ url: '/api/streams/flow_1m?limit=0', headers: auth })).statusCode).toBe(400);
    expect((await app.inject({ url: '/api/streams/flow_1m?after=x', headers: auth })).statusCode).toBe(400);
    for (const url of ['/api/streams', '/api/streams/flow_1m', '/api/status', '/api/vehicles/A1', '/api/dashboard', '/api/streams/live?names=flow_1m'])
      expect((await app.inject({ url })).statusCode, url).toBe(401);
  });

  it('follows several streams on one SSE connection: the kept records first, then live ones, and resumes from the event id', async () => {
    const { app, rings } = await setup();
    const url = await listen(app, { host: '127.0.0.1', port: 0 });
    const flowSink = rings.sink('flow_1m');
    flowSink.write(flow(1), 1);
    flowSink.write(flow(2), 2);
    const first = await openSse(`${url}/api/streams/live?names=flow_1m,segment_speed_1m`, auth);
    await first.until((events) => events.length >= 2);
    rings.sink('segment_speed_1m').write({ segment: 'S1', rel_speed: 0.4 }, 3);
    flowSink.write(flow(3), 4);
    await first.until((events) => events.length >= 4);
    expect(first.events.map((e) => [e.event, e.id, JSON.parse(e.data).seq])).toEqual([
      ['flow_1m', 'flow_1m:1,segment_speed_1m:0', 1],
      ['flow_1m', 'flow_1m:2,segment_speed_1m:0', 2],
      ['segment_speed_1m', 'flow_1m:2,segment_speed_1m:1', 1],
      ['flow_1m', 'flow_1m:3,segment_speed_1m:1', 3],
    ]);
    await new Promise((r) => setTimeout(r, 150)); // heartbeats every 50 ms here
    expect(first.text()).toContain(': heartbeat');
    first.close();
    // Resume: only what came after the last event id.
    flowSink.write(flow(4), 5);
    const resumed = await openSse(`${url}/api/streams/live?names=flow_1m,segment_speed_1m`, { ...auth, 'last-event-id': 'flow_1m:3,segment_speed_1m:1' });
    await resumed.until((events) => events.length >= 1);
    expect(resumed.events.map((e) => [e.event, JSON.parse(e.data).seq])).toEqual([['flow_1m', 4]]);
    resumed.close();
    // One stream by its own route.
    const one = await openSse(`${url}/api/streams/segment_speed_1m/live`, auth);
    await one.until((events) => events.length >= 1);
    expect(one.events[0]?.event).toBe('segment_speed_1m');
    one.close();
  });
});

describe('/api/status, /api/vehicles, /api/dashboard and the page', () => {
  it('reports the watermark, the largest lag and the counts', async () => {
    const { app } = await setup();
    const status = (await app.inject({ url: '/api/status', headers: auth })).json();
    expect(status).toEqual({
      state: 'running',
      ready: true,
      watermark: null,
      watermarkLagMs: 2500,
      consumerLag: null,
      records: 42,
      deadLetters: 0,
      late: 0,
      alerts: 0,
      replay: null,
    });
  });

  it("answers a plate's sightings in event-time order with the gaps and the registry's names, 404 for an unseen plate", async () => {
    const { app, vehicles } = await setup();
    // trajectory_steps records: the gap is the stream's (prev()), not worked out by the API.
    vehicles.write({ plate: '浙A1', plate_color: 'blue', checkpoint: 'CP1', ts: 10_000, speed: 50, direction: 'in', lane: 1, gap: 6_000 });
    vehicles.write({ plate: '浙A1', plate_color: 'blue', checkpoint: 'CP9', ts: 4_000, speed: null, direction: 'out', lane: 2, gap: null });
    vehicles.write({ plate: '浙B2', plate_color: 'blue', checkpoint: 'CP1', ts: 5_000 });
    const res = await app.inject({ url: `/api/vehicles/${encodeURIComponent('浙A1')}`, headers: auth });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      plate: '浙A1',
      // The demo's lookup keeps no days.
      day: null,
      sightings: [
        { checkpoint: 'CP9', name: null, ts: 4_000, gapS: null, plate_color: 'blue', direction: 'out', speed: null, lane: 2 },
        { checkpoint: 'CP1', name: 'Gate one', ts: 10_000, gapS: 6, plate_color: 'blue', direction: 'in', speed: 50, lane: 1 },
      ],
    });
    expect((await app.inject({ url: '/api/vehicles/NOPE', headers: auth })).statusCode).toBe(404);
  });

  it('serves the page, its script, uPlot from the package and the dashboard info; reads open with --public-read', async () => {
    const rings = new StreamRings(['flow_1m']);
    const app = await buildServer({
      control: new FakeControl(),
      token: TOKEN,
      publicRead: true,
      savepointDir: '/tmp/vigil-streams-test',
      streams: rings,
      dashboard: info,
    });
    servers.push(app);
    const page = await app.inject({ url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.body).toContain('/dashboard/vendor/uPlot.iife.min.js');
    const uplot = await app.inject({ url: '/dashboard/vendor/uPlot.iife.min.js' });
    expect(uplot.statusCode).toBe(200);
    expect(uplot.body).toContain('uPlot (v1.6');
    expect((await app.inject({ url: '/dashboard/app.js' })).body).toContain('EventSource');
    expect((await app.inject({ url: '/api/dashboard' })).json()).toEqual(info);
    // Without a vehicle lookup, the route is absent.
    expect((await app.inject({ url: '/api/vehicles/A1' })).statusCode).toBe(404);
    const doc = (await app.inject({ url: '/openapi.json' })).json();
    for (const path of ['/api/streams', '/api/streams/{name}', '/api/streams/live', '/api/status', '/api/dashboard'])
      expect(doc.paths[path], path).toBeDefined();
  });
});

interface SseEvent {
  event: string;
  id: string;
  data: string;
}

async function openSse(url: string, headers: Record<string, string>) {
  let raw = '';
  const events: SseEvent[] = [];
  let response: IncomingMessage | undefined;
  const req = request(url, { headers: { accept: 'text/event-stream', ...headers } });
  await new Promise<void>((resolve, reject) => {
    req.on('response', (res) => {
      response = res;
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('text/event-stream');
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        raw += chunk;
        for (const block of chunk.split('\n\n')) {
          const fields = Object.fromEntries(
            block
              .split('\n')
              .filter((l) => !l.startsWith(':') && l.includes(': '))
              .map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)]),
          );
          if (fields['data'] !== undefined) events.push({ event: fields['event'] ?? 'message', id: fields['id'] ?? '', data: fields['data'] });
        }
      });
      resolve();
    });
    req.on('error', reject);
    req.end();
  });
  return {
    events,
    text: () => raw,
    async until(done: (events: SseEvent[]) => boolean): Promise<void> {
      const start = Date.now();
      while (!done(events)) {
        if (Date.now() - start > 5000) throw new Error(`timed out; got ${JSON.stringify(events)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () => {
      response?.destroy();
      req.destroy();
    },
  };
}
