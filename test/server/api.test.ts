/** The HTTP API through fastify's inject, against a fake ServiceControl: auth, limits, names, probes, metrics, docs. */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/app/errors.js';
import { buildServer, isLoopback, listen, type VigilServer } from '../../src/server/index.js';
import { FakeControl } from './fake-control.js';

const TOKEN = 's3cret-token-for-tests';
const auth = { authorization: `Bearer ${TOKEN}` };
const servers: VigilServer[] = [];

afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function server(opts: { token?: string | undefined; publicRead?: boolean; control?: FakeControl } = {}) {
  const control = opts.control ?? new FakeControl();
  const savepointDir = join(mkdtempSync(join(tmpdir(), 'vigil-api-')), 'savepoints');
  const app = await buildServer({
    control,
    token: 'token' in opts ? opts.token : TOKEN,
    publicRead: opts.publicRead ?? false,
    savepointDir,
    now: () => Date.parse('2026-03-02T08:15:30.250Z'),
  });
  servers.push(app);
  return { app, control, savepointDir };
}

function errorOf(body: string): { code: string; message: string } {
  const parsed = JSON.parse(body) as { error: { code: string; message: string } };
  expect(Object.keys(parsed)).toEqual(['error']);
  return parsed.error;
}

describe('auth', () => {
  it('refuses writes and /api reads without a token, with a wrong one, and takes the right one', async () => {
    const { app, control } = await server();
    for (const [method, url] of [
      ['GET', '/api/job'],
      ['GET', '/api/savepoints'],
      ['POST', '/api/savepoints'],
      ['DELETE', '/api/savepoints/x'],
      ['POST', '/api/job/cancel'],
    ] as const) {
      const none = await app.inject({ method, url });
      expect(none.statusCode, `${method} ${url}`).toBe(401);
      expect(errorOf(none.body).code).toBe('token_required');
      expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
      const wrong = await app.inject({ method, url, headers: { authorization: `Bearer ${TOKEN}x` } });
      expect(wrong.statusCode).toBe(401);
      expect(errorOf(wrong.body).code).toBe('token_invalid');
      const basic = await app.inject({ method, url, headers: { authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}` } });
      expect(basic.statusCode).toBe(401);
    }
    expect(control.stops).toBe(0);
    expect(control.savepointsTaken).toEqual([]);
    const ok = await app.inject({ method: 'GET', url: '/api/job', headers: auth });
    expect(ok.statusCode).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ state: 'running', group: 'vigil', rules: ['cloned-plate', 'first-entry'] });
  });

  it('lets probes, metrics and docs through without a token', async () => {
    const { app } = await server();
    for (const url of ['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs', '/docs/static/swagger-ui-bundle.js']) {
      expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    }
  });

  it('with --public-read, /api reads are open but writes still want the token', async () => {
    const { app } = await server({ publicRead: true });
    expect((await app.inject({ method: 'GET', url: '/api/job' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/savepoints' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/api/savepoints' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/api/job/cancel' })).statusCode).toBe(401);
  });

  it('without a token the API is open, and the server listens on loopback only', async () => {
    const { app } = await server({ token: undefined });
    expect((await app.inject({ method: 'GET', url: '/api/job' })).statusCode).toBe(200);
    await expect(listen(app, { host: '0.0.0.0', port: 0 })).rejects.toThrow(UserError);
    await expect(listen(app, { host: '0.0.0.0', port: 0 })).rejects.toThrow(/without a token: set VIGIL_TOKEN/);
    const url = await listen(app, { host: '127.0.0.1', port: 0 });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${url}/healthz`);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('knows loopback hosts', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopback(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.1', 'example.org', '128.0.0.1']) expect(isLoopback(h), h).toBe(false);
  });
});

describe('limits and errors', () => {
  it('refuses a body over 64 KiB with 413', async () => {
    const { app, control } = await server();
    const res = await app.inject({
      method: 'POST',
      url: '/api/savepoints',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'x'.repeat(70 * 1024) }),
    });
    expect(res.statusCode).toBe(413);
    expect(errorOf(res.body).code).toBe('body_too_large');
    expect(control.savepointsTaken).toEqual([]);
  });

  it('answers malformed JSON, unknown fields, other media types and unknown routes in the one error shape', async () => {
    const { app } = await server();
    const json = { ...auth, 'content-type': 'application/json' };
    const cases = [
      [await app.inject({ method: 'POST', url: '/api/savepoints', headers: json, payload: '{"name":' }), 400, 'invalid_json'],
      [await app.inject({ method: 'POST', url: '/api/savepoints', headers: json, payload: '{"nmae":"a"}' }), 400, 'bad_request'],
      [await app.inject({ method: 'POST', url: '/api/savepoints', headers: json, payload: '{"name":5}' }), 400, 'bad_request'],
      [
        await app.inject({
          method: 'POST',
          url: '/api/savepoints',
          headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
          payload: 'name=a',
        }),
        415,
        'unsupported_media_type',
      ],
      [await app.inject({ method: 'GET', url: '/api/nothing', headers: auth }), 404, 'not_found'],
    ] as const;
    for (const [res, status, code] of cases) {
      expect(res.statusCode, res.body).toBe(status);
      const error = errorOf(res.body);
      expect(error.code).toBe(code);
      expect(error.message).not.toMatch(/\n\s+at /);
    }
  });

  it('answers a failure of the service with 500 and no detail', async () => {
    const control = new FakeControl();
    control.savepointError = new Error('disk on fire at /secret/path');
    const { app } = await server({ control });
    const res = await app.inject({ method: 'POST', url: '/api/savepoints', headers: auth });
    expect(res.statusCode).toBe(500);
    expect(errorOf(res.body)).toEqual({ code: 'internal', message: 'internal error (see the service log)' });
  });

  it("answers the service's own refusal (a user error) with 409", async () => {
    const control = new FakeControl();
    control.savepointError = new UserError('this process stands by');
    const { app } = await server({ control });
    const res = await app.inject({ method: 'POST', url: '/api/savepoints', headers: auth });
    expect(res.statusCode).toBe(409);
    expect(errorOf(res.body)).toEqual({ code: 'refused', message: 'this process stands by' });
  });
});

describe('savepoints', () => {
  it('takes a savepoint with a timestamp name when there is no body, and with the given name', async () => {
    const { app, control, savepointDir } = await server();
    const first = await app.inject({ method: 'POST', url: '/api/savepoints', headers: auth });
    expect(first.statusCode, first.body).toBe(201);
    expect(JSON.parse(first.body)).toEqual({
      name: 'savepoint-2026-03-02T08-15-30-250Z',
      path: join(savepointDir, 'savepoint-2026-03-02T08-15-30-250Z'),
      takenAt: control.takenAt,
      tasks: ['vigil:traffic.passes'],
    });
    const named = await app.inject({ method: 'POST', url: '/api/savepoints', headers: auth, payload: { name: 'before-rule-change' } });
    expect(named.statusCode).toBe(201);
    expect(control.savepointsTaken).toEqual([join(savepointDir, 'savepoint-2026-03-02T08-15-30-250Z'), join(savepointDir, 'before-rule-change')]);
    const again = await app.inject({ method: 'POST', url: '/api/savepoints', headers: auth, payload: { name: 'before-rule-change' } });
    expect(again.statusCode).toBe(409);
    expect(errorOf(again.body).code).toBe('savepoint_exists');
  });

  it('refuses names that are paths', async () => {
    const { app, control, savepointDir } = await server();
    mkdirSync(join(savepointDir, 'kept'), { recursive: true });
    for (const name of ['../escape', '..', '.hidden', 'a/b', 'a\\b', '/etc', 'x'.repeat(129), '', 'a..b']) {
      const res = await app.inject({ method: 'POST', url: '/api/savepoints', headers: auth, payload: { name } });
      expect(res.statusCode, name).toBe(400);
      // The schema's maxLength answers first for a name too long.
      expect(errorOf(res.body).code, name).toBe(name.length > 128 ? 'bad_request' : 'invalid_savepoint_name');
    }
    for (const name of ['..%2F..%2Fetc', '..%2Fkept', '.hidden', 'a%5Cb']) {
      const res = await app.inject({ method: 'DELETE', url: `/api/savepoints/${name}`, headers: auth });
      expect(res.statusCode, name).toBe(400);
      expect(errorOf(res.body).code, name).toBe('invalid_savepoint_name');
    }
    // A bare `..` segment is resolved away by the URL parser: no route.
    for (const name of ['..', '%2e%2e', '%2E.']) {
      const res = await app.inject({ method: 'DELETE', url: `/api/savepoints/${name}`, headers: auth });
      expect(res.statusCode, name).toBe(404);
    }
    expect(control.savepointsTaken).toEqual([]);
    expect(existsSync(join(savepointDir, 'kept'))).toBe(true);
  });

  it('over a real socket, a `..` segment sent as is deletes nothing either', async () => {
    const { app, savepointDir } = await server();
    mkdirSync(join(savepointDir, 'kept'), { recursive: true });
    const url = new URL(await listen(app, { host: '127.0.0.1', port: 0 }));
    for (const path of ['/api/savepoints/..', '/api/savepoints/%2e%2e', '/api/savepoints/..%2f..%2fkept', '/api/savepoints/../savepoints/kept/..']) {
      const status = await new Promise<number>((resolve, reject) => {
        const req = request({ host: url.hostname, port: url.port, method: 'DELETE', path, headers: auth }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
      expect([400, 404], path).toContain(status);
    }
    expect(existsSync(join(savepointDir, 'kept'))).toBe(true);
  });

  it('lists what the folders hold and deletes one', async () => {
    const { app, savepointDir } = await server();
    expect(JSON.parse((await app.inject({ method: 'GET', url: '/api/savepoints', headers: auth })).body)).toEqual({ savepoints: [] });
    await app.inject({ method: 'POST', url: '/api/savepoints', headers: auth, payload: { name: 'one' } });
    // A folder the service did not make: listed with its JSON files, its time from the folder.
    mkdirSync(join(savepointDir, 'hand-made'));
    writeFileSync(join(savepointDir, 'hand-made', 'notes.json'), '{}');
    writeFileSync(join(savepointDir, 'hand-made', 'ignored.txt'), 'not json');
    writeFileSync(join(savepointDir, 'stray-file.json'), '{}');
    const list = JSON.parse((await app.inject({ method: 'GET', url: '/api/savepoints', headers: auth })).body) as {
      savepoints: { name: string; takenAt: number; tasks: string[]; files: { name: string; bytes: number }[] }[];
    };
    const byName = new Map(list.savepoints.map((s) => [s.name, s]));
    expect([...byName.keys()].sort()).toEqual(['hand-made', 'one']);
    expect(byName.get('one')).toMatchObject({ takenAt: Date.parse('2026-03-02T08:00:00Z'), tasks: ['vigil:traffic.passes'] });
    expect(byName.get('one')?.files).toHaveLength(1);
    expect(byName.get('one')?.files[0]?.name).toBe('task.json');
    expect(byName.get('one')?.files[0]?.bytes).toBeGreaterThan(100);
    expect(byName.get('hand-made')).toMatchObject({ tasks: [], files: [{ name: 'notes.json', bytes: 2 }] });
    const del = await app.inject({ method: 'DELETE', url: '/api/savepoints/one', headers: auth });
    expect(del.statusCode).toBe(204);
    expect(existsSync(join(savepointDir, 'one'))).toBe(false);
    const missing = await app.inject({ method: 'DELETE', url: '/api/savepoints/one', headers: auth });
    expect(missing.statusCode).toBe(404);
    expect(errorOf(missing.body).code).toBe('savepoint_not_found');
  });

  it('refuses a savepoint while the service does not run', async () => {
    const control = new FakeControl();
    control.state = 'standby';
    const { app } = await server({ control });
    const res = await app.inject({ method: 'POST', url: '/api/savepoints', headers: auth });
    expect(res.statusCode).toBe(409);
    expect(errorOf(res.body).code).toBe('not_running');
    expect(control.savepointsTaken).toEqual([]);
  });
});

describe('probes, cancel, metrics, docs', () => {
  it('readyz is 503 with the state until the service is ready, then 200', async () => {
    const control = new FakeControl();
    control.isReady = false;
    control.state = 'starting';
    const { app } = await server({ control });
    const before = await app.inject({ method: 'GET', url: '/readyz' });
    expect(before.statusCode).toBe(503);
    expect(JSON.parse(before.body)).toEqual({ status: 'not ready', state: 'starting' });
    control.isReady = true;
    control.state = 'running';
    const after = await app.inject({ method: 'GET', url: '/readyz' });
    expect(after.statusCode).toBe(200);
    expect(JSON.parse(after.body)).toEqual({ status: 'ready', state: 'running' });
    expect(JSON.parse((await app.inject({ method: 'GET', url: '/healthz' })).body)).toEqual({ status: 'ok' });
  });

  it('readyz says why a running service is not ready when its checkpoints are not stored, and /api/job shows it', async () => {
    const control = new FakeControl();
    control.isReady = false;
    control.checkpointFailure = { since: Date.parse('2026-03-02T08:00:00Z'), error: 'NOPERM no permissions', failures: 3 };
    const { app } = await server({ control });
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(JSON.parse(res.body)).toEqual({
      status: 'not ready',
      state: 'running',
      reason: 'checkpoints not stored since 2026-03-02T08:00:00.000Z (3 failed): NOPERM no permissions',
    });
    const job = await app.inject({ method: 'GET', url: '/api/job', headers: auth });
    expect(JSON.parse(job.body).checkpointFailure).toEqual(control.checkpointFailure);
  });

  it('cancel answers 202, then stops the service once', async () => {
    const { app, control } = await server();
    const res = await app.inject({ method: 'POST', url: '/api/job/cancel', headers: auth });
    expect(res.statusCode).toBe(202);
    expect(JSON.parse(res.body)).toEqual({ state: 'stopping' });
    await new Promise((r) => setTimeout(r, 10));
    expect(control.stops).toBe(1);
    await app.inject({ method: 'POST', url: '/api/job/cancel', headers: auth });
    await new Promise((r) => setTimeout(r, 10));
    expect(control.stops).toBe(1);
  });

  it("/metrics has the registry's counters and gauges and the process metrics, read at scrape time", async () => {
    const { app, control } = await server();
    const records = control.metrics.counter('vigil_records_in_total', { source: 'kafka' });
    records.value = 42;
    let keys = 7;
    control.metrics.gauge('vigil_cep_keys', { operator: 'cloned-plate' }, () => keys);
    control.metrics.gauge('vigil_watermark', { source: 'kafka' }, () => Number.NEGATIVE_INFINITY);
    let lag = Number.NaN;
    control.metrics.gauge('vigil_consumer_lag_records', { partition: '0' }, () => lag);
    const first = await app.inject({ method: 'GET', url: '/metrics' });
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(first.body).toContain('# TYPE vigil_records_in_total counter');
    expect(first.body).toContain('vigil_records_in_total{source="kafka"} 42');
    expect(first.body).toContain('# TYPE vigil_cep_keys gauge');
    expect(first.body).toContain('vigil_cep_keys{operator="cloned-plate"} 7');
    expect(first.body).toContain('vigil_watermark{source="kafka"} -Inf');
    // A gauge without a value yet (NaN) is left out.
    expect(first.body).not.toMatch(/^vigil_consumer_lag_records\{/m);
    expect(first.body).toContain('nodejs_heap_size_used_bytes');
    expect(first.body).toContain('nodejs_eventloop_lag_seconds');
    records.value = 50;
    keys = 9;
    lag = 12;
    // A metric that appears later, and a new label on a known one.
    control.metrics.counter('vigil_dead_letters_total', { source: 'kafka' }).value = 3;
    control.metrics.counter('vigil_records_in_total', { source: 'kafka', partition: '1' }).value = 5;
    const second = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(second).toContain('vigil_records_in_total{source="kafka"} 50');
    expect(second).toContain('vigil_records_in_total{source="kafka",partition="1"} 5');
    expect(second).toContain('vigil_cep_keys{operator="cloned-plate"} 9');
    expect(second).toContain('vigil_dead_letters_total{source="kafka"} 3');
    expect(second).toContain('vigil_consumer_lag_records{partition="0"} 12');
  });

  it('openapi.json lists every API route with its schemas and the bearer scheme; /docs serves the bundled UI', async () => {
    const { app } = await server();
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = JSON.parse(res.body) as {
      openapi: string;
      paths: Record<string, Record<string, { security?: unknown; requestBody?: unknown; responses: Record<string, unknown> }>>;
      components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/api/job',
      '/api/job/cancel',
      '/api/rules',
      '/api/rules/reload',
      '/api/rules/validate',
      '/api/rules/{id}',
      '/api/savepoints',
      '/api/savepoints/{name}',
      '/api/status',
      '/api/webhooks',
      '/api/webhooks/{route}/dead',
      '/api/webhooks/{route}/dead/retry',
      '/api/webhooks/{route}/dead/{id}/retry',
      '/healthz',
      '/metrics',
      '/readyz',
    ]);
    expect(Object.keys(doc.paths['/api/savepoints'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(doc.paths['/api/savepoints']?.['post']?.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/api/savepoints']?.['post']?.responses).toHaveProperty('201');
    expect(doc.paths['/api/savepoints']?.['post']).toMatchObject({ requestBody: { required: false } });
    expect(doc.paths['/api/savepoints']?.['post']).not.toHaveProperty('x-optional-body');
    expect(doc.paths['/api/savepoints/{name}']?.['delete']?.responses).toHaveProperty('400');
    expect(doc.paths['/api/webhooks/{route}/dead/retry']?.['post']?.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/healthz']?.['get']?.security).toBeUndefined();
    expect(doc.components.securitySchemes).toEqual({ bearer: { type: 'http', scheme: 'bearer' } });
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['ApiError', 'JobStatus', 'SavepointTaken', 'SavepointFolder', 'WebhookRoute', 'WebhookDeadLetters']),
    );
    const ui = await app.inject({ method: 'GET', url: '/docs' });
    expect(ui.headers['content-type']).toMatch(/^text\/html/);
    expect(ui.body).toContain('src="/docs/static/swagger-ui-bundle.js"');
    expect(ui.body).not.toMatch(/src="https?:|href="https?:/);
    expect(ui.headers['content-security-policy']).toMatch(/^default-src 'self'/);
    expect(ui.headers['content-security-policy']).not.toMatch(/https:|swagger\.io|upgrade-insecure-requests/);
    const init = await app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    expect(init.body).toContain('validatorUrl: null');
    const bundle = await app.inject({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js' });
    expect(bundle.statusCode).toBe(200);
    expect(bundle.body.length).toBeGreaterThan(100_000);
  });
});

/** One request over a real socket: status, headers and body as the client sees them. */
async function over(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string | readonly string[],
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    // A body that goes away half sent (the server answered 413 and closed) is not this helper's error.
    req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? undefined : reject(e)));
    if (typeof body === 'string') req.end(body);
    else if (body !== undefined) {
      // Chunked: no content-length for the server to refuse up front.
      for (const chunk of body) req.write(chunk);
      req.end();
    } else req.end();
  });
}

describe('over a real socket', () => {
  it('refuses every changing route and the reads without the token, in the error shape, with nosniff', async () => {
    const { app, control } = await server();
    const url = await listen(app, { host: '127.0.0.1', port: 0 });
    for (const [method, path] of [
      ['GET', '/api/job'],
      ['GET', '/api/savepoints'],
      ['POST', '/api/savepoints'],
      ['DELETE', '/api/savepoints/x'],
      ['POST', '/api/job/cancel'],
    ] as const) {
      const res = await over(url, method, path);
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(errorOf(res.body).code).toBe('token_required');
      const wrong = await over(url, method, path, { authorization: 'Bearer nope' });
      expect(wrong.status).toBe(401);
      expect(errorOf(wrong.body).code).toBe('token_invalid');
    }
    expect(control.stops).toBe(0);
    expect(control.savepointsTaken).toEqual([]);
    expect((await over(url, 'GET', '/api/job', auth)).status).toBe(200);
  });

  it('refuses an oversized body with 413, with a content-length and chunked', async () => {
    const { app, control } = await server();
    const url = await listen(app, { host: '127.0.0.1', port: 0 });
    const json = { ...auth, 'content-type': 'application/json' };
    const big = JSON.stringify({ name: 'x'.repeat(70 * 1024) });
    const sized = await over(url, 'POST', '/api/savepoints', json, big);
    expect(sized.status).toBe(413);
    expect(errorOf(sized.body).code).toBe('body_too_large');
    const chunked = await over(url, 'POST', '/api/savepoints', json, ['{"name":"', ...Array.from({ length: 20 }, () => 'y'.repeat(4096)), '"}']);
    expect(chunked.status).toBe(413);
    expect(errorOf(chunked.body).code).toBe('body_too_large');
    expect(control.savepointsTaken).toEqual([]);
  });

  it('answers an internal error with 500 in the error shape, without its message or stack', async () => {
    const control = new FakeControl();
    control.statusError = new TypeError("Cannot read properties of undefined (reading 'watermark') at /srv/vigil/dist/service.js:42");
    const { app } = await server({ control });
    const url = await listen(app, { host: '127.0.0.1', port: 0 });
    const res = await over(url, 'GET', '/api/job', auth);
    expect(res.status).toBe(500);
    expect(errorOf(res.body)).toEqual({ code: 'internal', message: 'internal error (see the service log)' });
    expect(res.body).not.toMatch(/watermark|\/srv|service\.js|at /);
    const lost = await over(url, 'GET', `/${'a'.repeat(5000)}`, auth);
    expect(lost.status).toBe(404);
    expect(errorOf(lost.body).message.length).toBeLessThan(300);
  });
});
