/** `vigil savepoint`, `vigil list`, `vigil cancel` in-process against a real socket served with a fake ServiceControl. */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReloadRefused, RuleSetRejected } from '../../src/app/service/rule-control.js';
import { main } from '../../src/cli/main.js';
import { buildServer, listen, type VigilServer } from '../../src/server/index.js';
import { captureIo } from '../cli/helpers.js';
import { FakeControl } from './fake-control.js';

const TOKEN = 'cli-token';
const control = new FakeControl();
let app: VigilServer;
let url = '';

beforeAll(async () => {
  app = await buildServer({ control, token: TOKEN, publicRead: false, savepointDir: join(mkdtempSync(join(tmpdir(), 'vigil-cli-sp-')), 'sp') });
  url = await listen(app, { host: '127.0.0.1', port: 0 });
});
afterAll(async () => app.close());

async function vigil(args: string[], env: Record<string, string> = {}) {
  const io = Object.assign(captureIo(), { env });
  const code = await main(args, io);
  return { code, out: io.out, err: io.err };
}

/** A port nothing listens on. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('vigil savepoint / list / cancel', () => {
  it('say plainly when no service answers, and exit 1', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    for (const command of ['savepoint', 'list', 'cancel']) {
      const r = await vigil([command, '--url', dead], { VIGIL_TOKEN: TOKEN });
      expect(r.code, r.err).toBe(1);
      expect(r.err).toBe(`vigil ${command}: no Vigil service answers at ${dead}\n`);
    }
    const env = await vigil(['list'], { VIGIL_URL: dead });
    expect(env.err).toContain(`no Vigil service answers at ${dead}`);
  });

  it('ask for the token without one, refuse a wrong one, exit 1', async () => {
    const none = await vigil(['savepoint', '--url', url]);
    expect(none.code).toBe(1);
    expect(none.err).toBe('vigil savepoint: the service wants a token: set VIGIL_TOKEN\n');
    const wrong = await vigil(['list', '--url', url], { VIGIL_TOKEN: 'nope' });
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain('the service refused the token: check VIGIL_TOKEN');
    expect(control.savepointsTaken).toEqual([]);
  });

  it('take a savepoint, list it, pass the service refusal on, and cancel', async () => {
    const env = { VIGIL_TOKEN: TOKEN };
    const taken = await vigil(['savepoint', '--url', `${url}/`, '--name', 'sp-1'], env);
    expect(taken.code, taken.err).toBe(0);
    const info = JSON.parse(taken.out) as { name: string; path: string };
    expect(info.name).toBe('sp-1');
    expect(taken.err).toContain(`sp-1 at ${info.path}`);
    const again = await vigil(['savepoint', '--url', url, '--name', 'sp-1'], env);
    expect(again.code).toBe(1);
    expect(again.err).toContain("a savepoint named 'sp-1' exists");
    const bad = await vigil(['savepoint', '--url', url, '--name', '../x'], env);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('is not a savepoint name');
    const list = await vigil(['list', '--url', url], env);
    expect(list.code).toBe(0);
    const lines = list.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { name: string; files: unknown[] });
    expect(lines.map((l) => l.name)).toEqual(['sp-1']);
    expect(lines[0]?.files).toHaveLength(1);
    const cancel = await vigil(['cancel', '--url', url], env);
    expect(cancel.code).toBe(0);
    expect(cancel.err).toContain('is stopping');
    await new Promise((r) => setTimeout(r, 20));
    expect(control.stops).toBe(1);
  });

  it('exit 2 when the service itself fails, and 1 on a bad --url', async () => {
    control.state = 'running';
    control.savepointError = new Error('boom');
    const failed = await vigil(['savepoint', '--url', url], { VIGIL_TOKEN: TOKEN });
    control.savepointError = undefined;
    expect(failed.code).toBe(2);
    expect(failed.err).toBe('vigil savepoint: the service failed: internal error (see the service log)\n');
    const badUrl = await vigil(['list', '--url', 'ftp://x']);
    expect(badUrl.code).toBe(1);
    expect(badUrl.err).toContain('--url must be an http:// or https:// URL');
    const other = await vigil(['list', '--url', `${url}/docs/static/swagger-ui.css?`]);
    expect(other.code).toBe(1);
    expect(other.err).toContain('not as a Vigil service');
  });

  it('vigil reload: prints the outcome; a refused set prints its errors as vigil check does and exits 1', async () => {
    control.state = 'running';
    const ok = await vigil(['reload', '--url', url], { VIGIL_TOKEN: TOKEN });
    expect(ok.code, ok.err).toBe(0);
    const answer = JSON.parse(ok.out) as { origin: string; rules: { id: string; outcome: string }[] };
    expect(answer.origin).toBe('disk');
    expect(answer.rules.map((r) => r.id).sort()).toEqual(['cloned-plate', 'first-entry', 'sudden-congestion', 'sudden-flow']);
    expect(ok.err).toMatch(/^vigil reload: \S+ -> \S+ in \d+ ms; cloned-plate kept/);
    const text = 'rules/x.yaml:3:11: severity: must be one of info, low, medium, high, critical\nseverity: urgent\n          ^';
    control.reloadError = new RuleSetRejected([
      { file: 'rules/x.yaml', line: 3, col: 11, message: 'severity: must be one of info, low, medium, high, critical', text },
    ]);
    const bad = await vigil(['reload', '--url', url, '--allow-non-restored-state'], { VIGIL_TOKEN: TOKEN });
    control.reloadError = new ReloadRefused('state_not_restored', 'the new rule set would lose state: rule:fast:cep (dropped)');
    const lost = await vigil(['reload', '--url', url], { VIGIL_TOKEN: TOKEN });
    control.reloadError = undefined;
    expect(bad.code).toBe(1);
    expect(bad.out).toBe('');
    expect(bad.err).toBe(`${text}\nvigil reload: refused; the service runs the set it ran\n`);
    expect(lost.code).toBe(1);
    expect(lost.err).toContain('would lose state: rule:fast:cep (dropped)');
    expect(control.reloads).toHaveLength(1);
  });
});
