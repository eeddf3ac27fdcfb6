/**
 * `/api/rules` through fastify's inject: list and show the shipped set, validate with the errors `vigil check`
 * gives (positioned, with the caret), reload refused with them, body limits, and the token on every route that
 * takes a rule set. The rule book is the real one; only the swap of tasks is left to the integration test.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultPaths } from '../../src/app/program.js';
import { buildServer, type VigilServer } from '../../src/server/index.js';
import { RULE_SET_BODY_LIMIT } from '../../src/server/plugins/rules.js';
import { vigil } from '../cli/helpers.js';
import { FakeControl } from './fake-control.js';

const TOKEN = 'rules-token-for-tests';
const auth = { authorization: `Bearer ${TOKEN}` };
const servers: VigilServer[] = [];

afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function server(publicRead = false): Promise<{ app: VigilServer; control: FakeControl }> {
  const control = new FakeControl();
  const app = await buildServer({ control, token: TOKEN, publicRead, savepointDir: '/nonexistent-savepoints' });
  servers.push(app);
  return { app, control };
}

const shipped = (name: string): string => readFileSync(join(defaultPaths.rules, name), 'utf8');

interface Diagnostic {
  file: string;
  line: number;
  col: number;
  message: string;
  text: string;
}

describe('GET /api/rules', () => {
  it('lists every shipped rule with its pattern, severity, routes, suppression, file and the set version', async () => {
    const { app } = await server();
    const res = await app.inject({ method: 'GET', url: '/api/rules', headers: auth });
    expect(res.statusCode, res.body).toBe(200);
    const view = res.json() as {
      version: string;
      origin: string;
      ruleFiles: string[];
      patternFiles: string[];
      rules: { id: string; pattern: string; severity: string; enabled: boolean; routes: unknown[]; suppress: unknown; file: string }[];
    };
    expect(view.version).toMatch(/^[0-9a-f]{16}$/);
    expect(view.origin).toBe('disk');
    // Every rule file, disabled ones too (bus-lane and tail-restriction ship disabled).
    expect(view.rules.map((r) => r.id).sort()).toEqual(['bus-lane', 'cloned-plate', 'first-entry', 'sudden-congestion', 'sudden-flow', 'tail-restriction']);
    expect(view.rules.filter((r) => r.enabled).map((r) => r.id)).toHaveLength(4);
    const clone = view.rules.find((r) => r.id === 'cloned-plate');
    expect(clone).toMatchObject({
      pattern: 'cloned_plate',
      severity: 'high',
      enabled: true,
      routes: [{ kind: 'kafka', topic: 'vigil.alerts' }],
      suppress: { key: ['plate', 'plate_color', 'level'], forMs: 30 * 60_000 },
    });
    expect(clone?.file).toMatch(/rules[/\\]cloned-plate\.yaml$/);
    expect(view.ruleFiles).toHaveLength(6);
    expect(view.patternFiles.length).toBeGreaterThanOrEqual(5);
  });

  it("shows one rule with its pattern's parameters and its file text; 404 for an unknown id", async () => {
    const { app } = await server();
    const res = await app.inject({ method: 'GET', url: '/api/rules/sudden-congestion', headers: auth });
    expect(res.statusCode, res.body).toBe(200);
    const rule = res.json() as {
      id: string;
      text: string;
      patternFile: string;
      patternParams: { name: string; type: string; default: unknown; value: unknown }[];
    };
    expect(rule.text).toBe(shipped('sudden-congestion.yaml'));
    expect(rule.patternFile).toMatch(/sudden-congestion\.pattern$/);
    expect(rule.patternParams.length).toBeGreaterThan(0);
    for (const p of rule.patternParams) expect(p).toHaveProperty('value');
    const missing = await app.inject({ method: 'GET', url: '/api/rules/no-such-rule', headers: auth });
    expect(missing.statusCode).toBe(404);
    expect((missing.json() as { error: { code: string } }).error.code).toBe('rule_not_found');
  });
});

describe('POST /api/rules/validate', () => {
  it('says ok for the shipped rules and changes nothing', async () => {
    const { app, control } = await server();
    const before = control.book.currentVersion;
    const rules = { 'cloned-plate.yaml': shipped('cloned-plate.yaml'), 'first-entry.yaml': shipped('first-entry.yaml') };
    const res = await app.inject({ method: 'POST', url: '/api/rules/validate', headers: auth, payload: { rules } });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { ok: boolean; version: string; rules: number; enabled: number; errors: unknown[] };
    expect(body).toMatchObject({ ok: true, rules: 2, enabled: 2, errors: [] });
    expect(body.version).not.toBe(before);
    expect(control.book.currentVersion).toBe(before);
    expect(control.reloads).toEqual([]);
  });

  it('answers 422 with the errors vigil check prints: file, line, col, message and the caret', async () => {
    const { app } = await server();
    const bad = shipped('cloned-plate.yaml').replace('pattern: cloned_plate', 'pattern: cloned_plates');
    const res = await app.inject({
      method: 'POST',
      url: '/api/rules/validate',
      headers: auth,
      payload: { rules: { 'clone.yaml': bad }, patterns: { 'broken.pattern': 'pattern p(\n' } },
    });
    expect(res.statusCode, res.body).toBe(422);
    const body = res.json() as { ok: boolean; errors: Diagnostic[] };
    expect(body.ok).toBe(false);
    const parse = body.errors.find((e) => e.file === 'patterns/broken.pattern');
    expect(parse, JSON.stringify(body.errors)).toBeDefined();
    expect(parse?.line).toBeGreaterThanOrEqual(1);
    expect(parse?.text.split('\n')[0]).toBe(`patterns/broken.pattern:${parse?.line}:${parse?.col}: ${parse?.message}`);

    // With the shipped patterns, the unknown pattern is reported where the rule names it.
    const alone = await app.inject({ method: 'POST', url: '/api/rules/validate', headers: auth, payload: { rules: { 'clone.yaml': bad } } });
    expect(alone.statusCode).toBe(422);
    const [err] = (alone.json() as { errors: Diagnostic[] }).errors;
    expect(err).toMatchObject({ file: 'rules/clone.yaml', line: 2, col: 10 });
    expect(err?.message).toMatch(/unknown pattern 'cloned_plates'/);
    expect(err?.text).toBe(`rules/clone.yaml:2:10: ${err?.message}\npattern: cloned_plates\n         ^`);
  });

  it('reads no table file for pattern texts sent over the API (inline tables are fine)', async () => {
    const { app } = await server();
    const text = 'source s event time ts\ntable t = file "../fixtures/plate-prefixes.json" at "provinces"\ntable u = { a: "x" }\n';
    const res = await app.inject({ method: 'POST', url: '/api/rules/validate', headers: auth, payload: { rules: {}, patterns: { 't.pattern': text } } });
    expect(res.statusCode, res.body).toBe(422);
    const [err, ...more] = (res.json() as { errors: Diagnostic[] }).errors;
    expect(more).toEqual([]);
    expect(err).toMatchObject({ file: 'patterns/t.pattern', line: 2, col: 16 });
    expect(err?.message).toBe(
      "cannot read the table file '../fixtures/plate-prefixes.json': pattern files sent over the API cannot read table files; declare the table inline",
    );
  });

  it('answers 422 with a positioned error for a pattern file past a limit of the language (brackets nested too deeply)', async () => {
    const { app } = await server();
    const deep = `source s event time ts\nstream t = from s where ${'('.repeat(5000)}x${')'.repeat(5000)} > 1\n`;
    const res = await app.inject({ method: 'POST', url: '/api/rules/validate', headers: auth, payload: { rules: {}, patterns: { 'deep.pattern': deep } } });
    expect(res.statusCode, res.body).toBe(422);
    const [err] = (res.json() as { errors: Diagnostic[] }).errors;
    // 'stream t = from s where ' is 24 characters: the 257th '(' is at column 24 + 257.
    expect(err).toMatchObject({ file: 'patterns/deep.pattern', line: 2, col: 281 });
    expect(err?.message).toBe("brackets nest too deeply here (more than 256 levels of '(', '[' and '{')");
    expect(err?.text.split('\n')[0]).toBe(`patterns/deep.pattern:2:281: ${err?.message}`);
  });

  it('gives exactly the lines vigil check prints for the same files', async () => {
    const { app } = await server();
    const rules = {
      'a.yaml': shipped('cloned-plate.yaml').replace('severity: high', 'severity: urgent'),
      'b.yaml': shipped('sudden-flow.yaml').replace(/^id: .*$/m, 'id: cloned-plate'),
    };
    const patterns = {
      'p.pattern': `${readFileSync(join(defaultPaths.patterns, 'passes.pattern'), 'utf8')}\npattern broken(x: number = 1) from passes key by plate match a where a.speed > \n`,
    };
    const res = await app.inject({ method: 'POST', url: '/api/rules/validate', headers: auth, payload: { rules, patterns } });
    expect(res.statusCode, res.body).toBe(422);
    const api = (res.json() as { errors: Diagnostic[] }).errors.map((e) => e.text).join('\n');
    const dir = mkdtempSync(join(tmpdir(), 'vigil-rules-api-'));
    mkdirSync(join(dir, 'rules'));
    mkdirSync(join(dir, 'patterns'));
    for (const [n, t] of Object.entries(rules)) writeFileSync(join(dir, 'rules', n), t);
    for (const [n, t] of Object.entries(patterns)) writeFileSync(join(dir, 'patterns', n), t);
    const check = await vigil(['check', 'patterns', 'rules'], dir);
    expect(check.code).toBe(1);
    expect(api.length).toBeGreaterThan(0);
    expect(check.err.trimEnd()).toContain(api);
  });

  it('refuses file names that are paths or of the wrong kind, and bodies over the rule-set limit', async () => {
    const { app } = await server();
    for (const payload of [
      { rules: { '../x.yaml': 'id: x' } },
      { rules: { 'x.pattern': 'id: x' } },
      { rules: {}, patterns: { 'p.yaml': '' } },
      { patterns: {} },
    ]) {
      const res = await app.inject({ method: 'POST', url: '/api/rules/validate', headers: auth, payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect((res.json() as { error: { code: string } }).error.code).toBe('bad_request');
    }
    const big = await app.inject({
      method: 'POST',
      url: '/api/rules/validate',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: JSON.stringify({ rules: { 'x.yaml': `# ${'x'.repeat(RULE_SET_BODY_LIMIT)}` } }),
    });
    expect(big.statusCode).toBe(413);
    // Above the global limit, below the rule-set one: taken.
    const large = await app.inject({
      method: 'POST',
      url: '/api/rules/validate',
      headers: auth,
      payload: { rules: { 'cloned-plate.yaml': `${shipped('cloned-plate.yaml')}# ${'x'.repeat(200_000)}\n` } },
    });
    expect(large.statusCode, large.body.slice(0, 300)).toBe(200);
  });
});

describe('reload', () => {
  it('PUT refuses a bad set with 422 and positioned errors, and keeps the running set', async () => {
    const { app, control } = await server();
    const before = control.book.currentVersion;
    const bad = `${shipped('sudden-flow.yaml')}params:\n  no_such_param: 3\n`;
    const res = await app.inject({ method: 'PUT', url: '/api/rules', headers: auth, payload: { rules: { 'sudden-flow.yaml': bad } } });
    expect(res.statusCode, res.body).toBe(422);
    const body = res.json() as { ok: boolean; error: { code: string; message: string }; errors: Diagnostic[] };
    expect(body.error.code).toBe('invalid_rules');
    expect(body.errors[0]?.file).toBe('rules/sudden-flow.yaml');
    expect(body.errors[0]?.text).toMatch(/^rules\/sudden-flow\.yaml:\d+:\d+: .*no_such_param/);
    expect(control.book.currentVersion).toBe(before);
    expect(control.reloads).toEqual([]);
  });

  it('PUT swaps in a good set; POST /api/rules/reload reads the folders again', async () => {
    const { app, control } = await server();
    const before = control.book.currentVersion;
    const put = await app.inject({
      method: 'PUT',
      url: '/api/rules?allowNonRestoredState=true',
      headers: auth,
      payload: { rules: { 'cloned-plate.yaml': shipped('cloned-plate.yaml') } },
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toMatchObject({ from: before, origin: 'api', unchanged: false });
    const list = (await app.inject({ method: 'GET', url: '/api/rules', headers: auth })).json() as { version: string; origin: string; rules: { id: string }[] };
    expect(list.rules.map((r) => r.id)).toEqual(['cloned-plate']);
    expect(list.origin).toBe('api');
    const reload = await app.inject({ method: 'POST', url: '/api/rules/reload', headers: auth });
    expect(reload.statusCode, reload.body).toBe(200);
    expect(reload.json()).toMatchObject({ version: before, origin: 'disk' });
    const bad = await app.inject({ method: 'PUT', url: '/api/rules?allowNonRestoredState=yes', headers: auth, payload: { rules: {} } });
    expect(bad.statusCode).toBe(400);
  });

  it('wants the token on every rules route (reads too unless --public-read), and nothing changes without it', async () => {
    const { app, control } = await server();
    const before = control.book.currentVersion;
    for (const [method, url] of [
      ['GET', '/api/rules'],
      ['GET', '/api/rules/cloned-plate'],
      ['POST', '/api/rules/validate'],
      ['POST', '/api/rules/reload'],
      ['PUT', '/api/rules'],
    ] as const) {
      const res = await app.inject({ method, url, payload: method === 'GET' ? undefined : { rules: {} } });
      expect(res.statusCode, `${method} ${url}`).toBe(401);
      expect((res.json() as { error: { code: string } }).error.code).toBe('token_required');
      const wrong = await app.inject({ method, url, headers: { authorization: `Bearer ${TOKEN}x` } });
      expect(wrong.statusCode).toBe(401);
    }
    expect(control.reloads).toEqual([]);
    expect(control.book.currentVersion).toBe(before);
    const open = (await server(true)).app;
    expect((await open.inject({ method: 'GET', url: '/api/rules' })).statusCode).toBe(200);
    expect((await open.inject({ method: 'POST', url: '/api/rules/reload' })).statusCode).toBe(401);
  });

  it('is in the OpenAPI document with its schemas and the bearer scheme on writes', async () => {
    const { app } = await server();
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>;
    };
    expect(Object.keys(doc.paths['/api/rules'] ?? {}).sort()).toEqual(['get', 'put']);
    expect(doc.paths['/api/rules']?.['put']?.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/api/rules']?.['put']?.responses).toHaveProperty('422');
    expect(doc.paths['/api/rules/reload']?.['post']?.responses).toHaveProperty('409');
    expect(doc.paths['/api/rules/{id}']?.['get']?.responses).toHaveProperty('404');
    expect(doc.paths['/api/rules/validate']?.['post']?.responses).toHaveProperty('422');
  });
});
