/**
 * Hostile requests (issue 17): every route that changes something, found in the OpenAPI document rather than listed
 * by hand, refuses a request without the token; oversized, malformed and mistyped bodies get the API's error shape;
 * rule sets that would make the matcher run away (huge counts) are refused with positioned errors, and nothing
 * reaches the service. (A `followed by any` loop without `within` is accepted: the state budget caps it at run time,
 * see test/cep/budget.test.ts.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { buildServer, type VigilServer } from '../../src/server/index.js';
import { RULE_SET_BODY_LIMIT } from '../../src/server/plugins/rules.js';
import { BODY_LIMIT_BYTES } from '../../src/server/server.js';
import { FakeControl } from './fake-control.js';

const TOKEN = 'hardening-token-for-tests';
const auth = { authorization: `Bearer ${TOKEN}` };
const servers: VigilServer[] = [];

afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function server(): Promise<{ app: VigilServer; control: FakeControl }> {
  const control = new FakeControl();
  const app = await buildServer({ control, token: TOKEN, publicRead: true, savepointDir: '/nonexistent-savepoints' });
  servers.push(app);
  return { app, control };
}

/** The API's one error shape: exactly `{"error": {"code", "message"}}`. */
function errorOf(body: string): { code: string; message: string } {
  const parsed = JSON.parse(body) as { error: { code: string; message: string } };
  expect(Object.keys(parsed)).toEqual(['error']);
  expect(Object.keys(parsed.error).sort()).toEqual(['code', 'message']);
  expect(parsed.error.message.length).toBeGreaterThan(0);
  return parsed.error;
}

/** Every non-GET operation of the OpenAPI document, path parameters filled in. */
async function mutatingRoutes(app: VigilServer): Promise<Array<{ method: 'POST' | 'PUT' | 'DELETE' | 'PATCH'; url: string }>> {
  const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
  const out: Array<{ method: 'POST' | 'PUT' | 'DELETE' | 'PATCH'; url: string }> = [];
  for (const [path, ops] of Object.entries(doc.paths))
    for (const method of Object.keys(ops)) {
      const m = method.toUpperCase();
      if (m === 'POST' || m === 'PUT' || m === 'DELETE' || m === 'PATCH') out.push({ method: m, url: path.replace(/\{[^}]+\}/g, 'x') });
    }
  return out;
}

const PATTERN_HEAD = 'source events\n  event time ts\n  watermark 0s out of order\n\n';
const patternWith = (match: string): string =>
  `${PATTERN_HEAD}pattern bomb\n  from events\n  key by k\n  define\n    a as t == "a"\n    b as t == "b"\n    c as t == "c"\n  match ${match}\n`;

describe('unauthenticated changes', () => {
  it('every mutating route in the OpenAPI document refuses a request without the token, or with a wrong one', async () => {
    const { app, control } = await server();
    const routes = await mutatingRoutes(app);
    // The document does list the routes that matter: a route missing from it would escape this test.
    const listed = routes.map((r) => `${r.method} ${r.url}`);
    for (const known of [
      'POST /api/rules/validate',
      'POST /api/rules/reload',
      'PUT /api/rules',
      'POST /api/savepoints',
      'DELETE /api/savepoints/x',
      'POST /api/job/cancel',
      'POST /api/webhooks/x/dead/x/retry',
      'POST /api/webhooks/x/dead/retry',
    ])
      expect(listed).toContain(known);
    for (const { method, url } of routes) {
      const none = await app.inject({ method, url, payload: { rules: { 'x.yaml': 'id: x' } } });
      expect(none.statusCode, `${method} ${url}`).toBe(401);
      expect(errorOf(none.body).code).toBe('token_required');
      const wrong = await app.inject({ method, url, headers: { authorization: `Bearer ${TOKEN.slice(1)}` } });
      expect(wrong.statusCode, `${method} ${url}`).toBe(401);
      expect(errorOf(wrong.body).code).toBe('token_invalid');
    }
    // Nothing reached the service, even though reads are public here.
    expect(control.stops).toBe(0);
    expect(control.savepointsTaken).toEqual([]);
    expect(control.reloads).toEqual([]);
  });
});

describe('bodies', () => {
  it('refuses oversized bodies with 413 in the error shape, on the global limit and on the rule-set one', async () => {
    const { app } = await server();
    const overGlobal = await app.inject({
      method: 'POST',
      url: '/api/savepoints',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'x'.repeat(BODY_LIMIT_BYTES) }),
    });
    expect(overGlobal.statusCode).toBe(413);
    expect(errorOf(overGlobal.body).code).toMatch(/too_large/);
    for (const [method, url] of [
      ['PUT', '/api/rules'],
      ['POST', '/api/rules/validate'],
    ] as const) {
      const res = await app.inject({
        method,
        url,
        headers: { ...auth, 'content-type': 'application/json' },
        payload: JSON.stringify({ rules: { 'x.yaml': `# ${'x'.repeat(RULE_SET_BODY_LIMIT)}` } }),
      });
      expect(res.statusCode, `${method} ${url}`).toBe(413);
      expect(errorOf(res.body).code).toMatch(/too_large/);
    }
  });

  it('refuses malformed JSON, a wrong content type and a body of the wrong shape, in the error shape', async () => {
    const { app, control } = await server();
    for (const [method, url] of [
      ['PUT', '/api/rules'],
      ['POST', '/api/rules/validate'],
      ['POST', '/api/savepoints'],
    ] as const) {
      const broken = await app.inject({ method, url, headers: { ...auth, 'content-type': 'application/json' }, payload: '{"rules": {' });
      expect(broken.statusCode, `${method} ${url}`).toBe(400);
      expect(errorOf(broken.body).code).toBe('invalid_json');
      const typed = await app.inject({ method, url, headers: { ...auth, 'content-type': 'application/xml' }, payload: '<rules/>' });
      expect(typed.statusCode, `${method} ${url}`).toBe(415);
      errorOf(typed.body);
      const shaped = await app.inject({ method, url, headers: auth, payload: [1, 2, 3] });
      expect(shaped.statusCode, `${method} ${url}`).toBe(400);
      errorOf(shaped.body);
    }
    expect(control.reloads).toEqual([]);
    expect(control.savepointsTaken).toEqual([]);
  });
});

describe('rule sets that would run away', () => {
  it('refuses huge quantifier counts with positioned errors, on validate and on reload', async () => {
    const { app, control } = await server();
    for (const match of ['a followed by b{1000000000} followed by c', 'a followed by any b{2,99999999} followed by any c']) {
      const patterns = { 'bomb.pattern': patternWith(match) };
      for (const [method, url] of [
        ['POST', '/api/rules/validate'],
        ['PUT', '/api/rules'],
      ] as const) {
        const res = await app.inject({ method, url, headers: auth, payload: { rules: {}, patterns } });
        expect(res.statusCode, `${method} ${url} ${match}`).toBe(422);
        const errors = (res.json() as { errors: Array<{ text: string }> }).errors;
        expect(errors.some((e) => /^patterns\/bomb\.pattern:12:\d+: the counts in 'b\{[\d,]+\}' are too large/.test(e.text))).toBe(true);
      }
    }
    expect(control.reloads).toEqual([]);
  });
});
