/**
 * `vigil serve`'s HTTP side end to end: a real child process on the real broker and Redis, its server on a free
 * port. /readyz turns 200, /metrics counts the records produced, `vigil savepoint` (the built CLI) writes a
 * savepoint folder, `vigil list` lists it, `vigil cancel` stops the service, which exits 0.
 */
import { execFile } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { KafkaClient } from '../../src/io/kafka/client.js';
import { requireBroker } from '../io/kafka/broker.js';
import { BROKERS, Leftovers, produceLines, REPO, ServeProcess, sampleTraffic, scratchDir, serveFlags, uniqueName, until } from './harness.js';

const TOKEN = `it-token-${process.pid}`;
const client = new KafkaClient({ brokers: BROKERS, clientId: 'vigil-test-serve-http' });
const leftovers = new Leftovers();
const topics: string[] = [];
let serve: ServeProcess | undefined;

beforeAll(async () => {
  await requireBroker();
  // The child inherits the environment: the API's token comes from VIGIL_TOKEN only.
  vi.stubEnv('VIGIL_TOKEN', TOKEN);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  serve?.kill('SIGKILL');
  await client.deleteTopics(topics).catch(() => undefined);
  await leftovers.clean(client);
  await client.close();
});

/** The built CLI, as an operator runs it. */
async function vigil(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [join(REPO, 'bin', 'vigil.js'), ...args], {
      cwd: REPO,
      env: { ...process.env, ...env },
      timeout: 60_000,
    });
    return { code: 0, out: stdout, err: stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, out: e.stdout ?? '', err: e.stderr ?? '' };
  }
}

function recordsIn(metrics: string): number {
  let total = 0;
  for (const m of metrics.matchAll(/^vigil_records_in_total(?:\{[^}]*\})? (\S+)$/gm)) total += Number(m[1]);
  return total;
}

describe('vigil serve over HTTP', () => {
  it('is ready, counts records in /metrics, takes, lists and answers a savepoint, and stops on vigil cancel', async () => {
    const input = uniqueName('vigil-it-http-in');
    const alerts = uniqueName('vigil-it-http-alerts');
    const late = uniqueName('vigil-it-http-late');
    const dead = uniqueName('vigil-it-http-dlq');
    topics.push(input, alerts, late, dead);
    await client.ensureTopics([{ topic: input, partitions: 2 }, { topic: alerts }, { topic: late }, { topic: dead }]);
    const savepoints = join(scratchDir(), 'savepoints');
    const p = new ServeProcess([
      ...serveFlags({
        input,
        group: leftovers.group('vigil-it-http-group'),
        alerts,
        late,
        dead,
        firstSeenPrefix: leftovers.firstSeenPrefix(),
        checkpointSeconds: 1,
      }),
      '--port',
      '0',
      '--savepoint-dir',
      savepoints,
      // A stream nothing else reads runs only when asked: flow_1m for the dashboard.
      '--stream',
      'flow_1m',
    ]);
    serve = p;

    await until('the listening address', () => /listening on http:\/\/\S+/.test(p.stderr), 30_000, 50).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\n${p.stderr}`);
    });
    const url = (/listening on (http:\/\/\S+)/.exec(p.stderr) as RegExpExecArray)[1] as string;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    await until('/readyz 200', async () => (await fetch(`${url}/readyz`)).status === 200, 60_000, 100).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\n${p.stderr}`);
    });
    // The API wants the token; the probes and metrics do not.
    expect((await fetch(`${url}/api/job`)).status).toBe(401);
    expect((await fetch(`${url}/api/alerts`)).status).toBe(401);
    const history = await fetch(`${url}/api/alerts?limit=5`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(history.status).toBe(200);
    expect(await history.json()).toEqual({ alerts: [], next: null });
    const job = (await (await fetch(`${url}/api/job`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { state: string; inputTopic: string };
    expect(job).toMatchObject({ state: 'running', inputTopic: input });

    const lines = sampleTraffic().lines.slice(0, 500);
    await produceLines(client, input, lines);
    let metrics = '';
    await until('records counted in /metrics', async () => recordsIn((metrics = await (await fetch(`${url}/metrics`)).text())) >= lines.length, 60_000, 200);
    expect(metrics).toContain('# TYPE vigil_records_in_total counter');
    expect(metrics).toContain('nodejs_eventloop_lag_seconds');
    // The dashboard's feeds: the status, the kept streams, and the page itself.
    const read = async (path: string) => (await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json();
    const status = (await read('/api/status')) as { state: string; records: number; consumerLag: number | null };
    expect(status).toMatchObject({ state: 'running' });
    expect(status.records).toBeGreaterThanOrEqual(lines.length);
    expect(status.consumerLag).not.toBeNull();
    const kept = (await read('/api/streams')) as { streams: { name: string }[] };
    // flow_1m asked for; segment_speed_1m computed for the congestion rule anyway; city_flow_1m neither.
    expect(kept.streams.map((s) => s.name).sort()).toEqual(['flow_1m', 'segment_speed_1m']);
    expect((await fetch(`${url}/`)).headers.get('content-type')).toContain('text/html');

    const taken = await vigil(['savepoint', '--url', url, '--name', 'it-before-change']);
    expect(taken.code, taken.err + p.stderr).toBe(0);
    const info = JSON.parse(taken.out) as { name: string; path: string; tasks: string[] };
    expect(info.name).toBe('it-before-change');
    expect(info.path).toBe(join(savepoints, 'it-before-change'));
    const files = readdirSync(info.path);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(statSync(join(info.path, f)).size).toBeGreaterThan(0);

    const listed = await vigil(['list', '--url', url]);
    expect(listed.code, listed.err).toBe(0);
    const entries = listed.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { name: string; tasks: string[]; files: { name: string; bytes: number }[] });
    expect(entries.map((e) => e.name)).toEqual(['it-before-change']);
    // The tasks as the files record them.
    expect(entries[0]?.tasks.length).toBeGreaterThan(0);
    expect(entries[0]?.files.map((f) => f.name).sort()).toEqual(files.filter((f) => f.endsWith('.json')).sort());

    const refused = await vigil(['cancel', '--url', url], { VIGIL_TOKEN: undefined });
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('the service wants a token: set VIGIL_TOKEN');

    const cancel = await vigil(['cancel', '--url', url]);
    expect(cancel.code, cancel.err).toBe(0);
    const exit = await p.exited;
    expect(exit.code, p.stderr).toBe(0);
    expect(p.stderr).toContain('vigil serve: stopped');
    const gone = await vigil(['list', '--url', url]);
    expect(gone.code).toBe(1);
    expect(gone.err).toContain(`no Vigil service answers at ${url}`);
  }, 180_000);
});
