/**
 * Hot reload of `vigil serve`'s rules on the real broker and Redis. A partial match begun before a reload (a plate
 * seen at the first checkpoint of a two-step pattern) completes after a reload that changed another rule; a rule
 * set with errors is refused with positioned errors while the job keeps producing alerts; a reload that would reset
 * (a pattern with another step) or drop a rule's state wants allowNonRestoredState; one that adds a repartition stage
 * is refused. Two processes of one group run one set: a later one takes the stored set, and a reload is followed.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { KafkaClient } from '../../src/io/kafka/client.js';
import { requireBroker } from '../io/kafka/broker.js';
import { BROKERS, Leftovers, produceLines, REPO, ServeProcess, scratchDir, serveFlags, TopicReader, uniqueName, until } from './harness.js';

const TOKEN = `it-reload-token-${process.pid}`;
const client = new KafkaClient({ brokers: BROKERS, clientId: 'vigil-test-serve-reload' });
const leftovers = new Leftovers();
const topics: string[] = [];
const processes: ServeProcess[] = [];
const readers: TopicReader[] = [];

beforeAll(async () => {
  await requireBroker();
  vi.stubEnv('VIGIL_TOKEN', TOKEN);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  for (const p of processes) p.kill('SIGKILL');
  for (const r of readers) await r.stop().catch(() => undefined);
  await client.deleteTopics(topics).catch(() => undefined);
  await leftovers.clean(client);
  await client.close();
});

const PATTERNS = `-- Patterns of the hot-reload test: a two-step match that stays open, and a one-step one.
pattern pair(gap = 30m)
  from plates
  key by plate, plate_color
  define
    a as checkpoint == "CP0128"
    b as checkpoint == "CP0140"
  match a followed by b
  within gap
  emit { plate: a.plate, first: a.id, second: b.id }

pattern fast(min_speed = 200)
  from plates
  key by plate, plate_color
  define
    f as speed > min_speed
  match f
  emit { plate: f.plate, speed: f.speed, seen: f.id }
`;

/** A pattern file that reads a table file beside it, as the shipped analytics.pattern does: the group carries its text. */
const NAMES = `table cp_names = file "cp-names.json"

stream named_passes = from plates
  select plate, lookup(cp_names, checkpoint, "elsewhere") as place
`;

const rule = (id: string, severity: string, alerts: string): string =>
  `id: ${id}\npattern: ${id}\nseverity: ${severity}\nroutes:\n  - kafka: ${alerts}\ndescription: reload test rule ${id}\n`;

const T0 = Date.parse('2026-03-02T08:00:00+08:00');
const MIN = 60_000;
let serial = 0;

/** One capture; `speed` above 200 makes a `fast` alert. */
function capture(plate: string, checkpoint: string, at: number, speed = 40): string {
  return JSON.stringify({
    id: `r${++serial}`,
    plate,
    plate_color: 'blue',
    vehicle_type: 'car',
    checkpoint,
    lane: 1,
    direction: 'in',
    speed,
    ts: at,
  });
}

/** A capture of an unrelated plate that moves the watermark (five minutes of disorder allowed) past `at`. */
const clockPast = (at: number): string => capture('浙A00000', 'CP0070', at + 5 * MIN + 1000);

interface Api {
  readonly url: string;
  call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }>;
}

interface Setup {
  readonly alerts: string;
  readonly input: string;
  readonly patterns: string;
  readonly rules: string;
  readonly args: string[];
}

/**
 * Topics, a group, and folders holding passes.pattern, the test patterns (one reads a table file) and the two rules
 * routed to the alert topic.
 */
async function setup(partitions: number): Promise<Setup> {
  const input = uniqueName('vigil-it-reload-in');
  const alerts = uniqueName('vigil-it-reload-alerts');
  const late = uniqueName('vigil-it-reload-late');
  const dead = uniqueName('vigil-it-reload-dlq');
  topics.push(input, alerts, late, dead);
  await client.ensureTopics([{ topic: input, partitions }, { topic: alerts }, { topic: late }, { topic: dead }]);
  const dir = scratchDir();
  const patterns = join(dir, 'patterns');
  const rules = join(dir, 'rules');
  mkdirSync(patterns);
  mkdirSync(rules);
  // The declared bound, not learned camera clocks: a handful of captures move the watermark where the test says
  // (clock learning needs a feed's worth of records before a camera moves it).
  const passes = readFileSync(join(REPO, 'patterns', 'passes.pattern'), 'utf8');
  if (!passes.includes('schema traffic { correct_clocks: true }')) throw new Error('passes.pattern no longer corrects clocks as this test expects');
  writeFileSync(join(patterns, 'passes.pattern'), passes.replace('schema traffic { correct_clocks: true }', 'schema traffic'));
  writeFileSync(join(patterns, 'reload-test.pattern'), PATTERNS);
  writeFileSync(join(patterns, 'names.pattern'), NAMES);
  writeFileSync(join(patterns, 'cp-names.json'), JSON.stringify({ CP0128: 'first gate', CP0140: 'second gate' }));
  writeFileSync(join(rules, 'pair.yaml'), rule('pair', 'medium', alerts));
  writeFileSync(join(rules, 'fast.yaml'), rule('fast', 'low', alerts));
  const flags = serveFlags({
    input,
    group: leftovers.group('vigil-it-reload'),
    alerts,
    late,
    dead,
    firstSeenPrefix: leftovers.firstSeenPrefix(),
    checkpointSeconds: 2,
  });
  flags[flags.indexOf('--rules') + 1] = rules;
  return { alerts, input, patterns, rules, args: [...flags, '--patterns', patterns, '--port', '0'] };
}

/** Starts a serve process and waits until it is ready; its API with the token. */
async function start(s: Setup): Promise<{ p: ServeProcess; api: Api }> {
  const p = new ServeProcess(s.args);
  processes.push(p);
  await until('the listening address', () => /listening on http:\/\/\S+/.test(p.stderr), 30_000, 50);
  const url = (/listening on (http:\/\/\S+)/.exec(p.stderr) as RegExpExecArray)[1] as string;
  const auth = { authorization: `Bearer ${TOKEN}` };
  const call: Api['call'] = async (method, path, body) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: body === undefined ? auth : { ...auth, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  await until('/readyz 200', async () => (await fetch(`${url}/readyz`)).status === 200, 90_000, 100).catch((e: unknown) => {
    throw new Error(`${(e as Error).message}\n${p.stderr}`);
  });
  return { p, api: { url, call } };
}

describe('vigil serve hot reload', () => {
  it('keeps a partial match across a reload, refuses bad sets while alerting, wants consent to drop state', async () => {
    // One partition: the test's captures move the one watermark every step waits for.
    const s = await setup(1);
    const { alerts, input, patterns } = s;
    const { p, api: a } = await start(s);
    const url = a.url;
    const api = a.call;
    const reader = new TopicReader(client, alerts);
    readers.push(reader);
    await reader.start();
    const payloads = (ruleId: string): Record<string, unknown>[] =>
      reader.values.filter((v) => v.value['rule'] === ruleId).map((v) => ({ ...(v.value['payload'] as object), severity: v.value['severity'] }));
    const alerted = (what: string, ruleId: string, test: (payload: Record<string, unknown>) => boolean): Promise<void> =>
      until(what, () => payloads(ruleId).some(test), 60_000, 100).catch((e: unknown) => {
        throw new Error(`${(e as Error).message}\n${JSON.stringify(reader.values.map((v) => v.value['payload']))}\n${p.stderr.slice(-3000)}`);
      });

    // The first step of `pair` for plate P, and a fast plate: once the fast one alerts, P's partial match is open.
    const first = capture('浙A11111', 'CP0128', T0);
    const firstId = (JSON.parse(first) as { id: string }).id;
    await produceLines(client, input, [first, capture('浙A22222', 'CP0070', T0 + 1000, 250), clockPast(T0 + 1000)]);
    await alerted('the first fast alert', 'fast', (a) => a['plate'] === '浙A22222');
    expect(payloads('pair')).toEqual([]);

    // Reload with `fast` changed (severity): `pair` is unchanged and keeps its state.
    const before = (await api('GET', '/api/rules')).json;
    const changed = { rules: { 'pair.yaml': rule('pair', 'medium', alerts), 'fast.yaml': rule('fast', 'high', alerts) } };
    const reload = await api('PUT', '/api/rules', changed);
    expect(reload.status, JSON.stringify(reload.json) + p.stderr.slice(-2000)).toBe(200);
    expect(reload.json).toMatchObject({
      from: before['version'],
      origin: 'api',
      unchanged: false,
      rules: [
        { id: 'fast', outcome: 'kept', changed: true },
        { id: 'pair', outcome: 'kept', changed: false },
      ],
      operators: { reset: [], dropped: [] },
    });
    console.log(`reload of a two-rule set: ${Number(reload.json['durationMs']).toFixed(1)} ms, ${String(reload.json['tasks'])} task(s)`);
    expect(p.stderr).toMatch(/rules reloaded from api: \S+ -> \S+ in \d+ ms/);
    const job = (await api('GET', '/api/job')).json;
    expect(job['rulesVersion']).toBe(reload.json['version']);

    // The second step arrives after the reload: the match begun before it completes.
    await produceLines(client, input, [
      capture('浙A11111', 'CP0140', T0 + 10 * MIN),
      capture('浙A33333', 'CP0070', T0 + 10 * MIN, 260),
      clockPast(T0 + 10 * MIN),
    ]);
    await alerted('the pair spanning the reload', 'pair', (a) => a['plate'] === '浙A11111');
    expect(payloads('pair')).toEqual([{ plate: '浙A11111', first: firstId, second: expect.stringMatching(/^r\d+$/), severity: 'medium' }]);
    await alerted('a fast alert at the new severity', 'fast', (a) => a['plate'] === '浙A33333' && a['severity'] === 'high');

    // A set with errors: 422 with positioned errors; the running set and the job go on.
    const bad = await api('PUT', '/api/rules', { rules: { 'pair.yaml': rule('pair', 'urgent', alerts) } });
    expect(bad.status).toBe(422);
    const errors = bad.json['errors'] as { file: string; line: number; col: number; text: string }[];
    expect(errors[0]).toMatchObject({ file: 'rules/pair.yaml', line: 3, col: 11 });
    expect(errors[0]?.text).toMatch(/^rules\/pair\.yaml:3:11: severity: must be one of/);
    expect((await api('GET', '/api/rules')).json['version']).toBe(reload.json['version']);
    // A second plate opens a `pair` match too: state that a change of the pattern's steps cannot keep.
    await produceLines(client, input, [
      capture('浙A55555', 'CP0128', T0 + 20 * MIN),
      capture('浙A44444', 'CP0070', T0 + 20 * MIN, 270),
      clockPast(T0 + 20 * MIN),
    ]);
    await alerted('a fast alert after the refused set', 'fast', (a) => a['plate'] === '浙A44444');

    // `pair` with another step: its partial matches do not fit the new pattern; without consent that is refused.
    const threeSteps = PATTERNS.replace(
      '    b as checkpoint == "CP0140"\n  match a followed by b\n',
      '    b as checkpoint == "CP0140"\n    c as checkpoint == "CP0070"\n  match a followed by b followed by c\n',
    );
    expect(threeSteps).not.toBe(PATTERNS);
    const reshaped = await api('PUT', '/api/rules', {
      rules: changed.rules,
      patterns: { 'passes.pattern': readFileSync(join(patterns, 'passes.pattern'), 'utf8'), 'reload-test.pattern': threeSteps },
    });
    expect(reshaped.status, JSON.stringify(reshaped.json)).toBe(409);
    expect(reshaped.json).toMatchObject({ error: { code: 'state_not_restored' } });
    expect(reshaped.json['rules']).toEqual([
      { id: 'fast', outcome: 'kept', changed: true },
      { id: 'pair', outcome: 'reset', changed: true },
    ]);
    expect((reshaped.json['error'] as { message: string }).message).toContain('rule:pair:cep (reset)');

    // Dropping a rule's state wants consent, as --allow-non-restored-state; a new repartition stage is refused.
    const only = { rules: { 'pair.yaml': rule('pair', 'medium', alerts) } };
    const refused = await api('PUT', '/api/rules', only);
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({ error: { code: 'state_not_restored' } });
    expect(refused.json['rules']).toContainEqual({ id: 'fast', outcome: 'dropped', changed: true });
    const byCheckpoint = PATTERNS.replace(
      'pattern fast(min_speed = 200)\n  from plates\n  key by plate, plate_color',
      'pattern fast(min_speed = 200)\n  from plates\n  key by checkpoint',
    );
    expect(byCheckpoint).not.toBe(PATTERNS);
    const restaged = await api('PUT', '/api/rules?allowNonRestoredState=true', {
      rules: changed.rules,
      patterns: { 'passes.pattern': readFileSync(join(patterns, 'passes.pattern'), 'utf8'), 'reload-test.pattern': byCheckpoint },
    });
    expect(restaged.status, JSON.stringify(restaged.json)).toBe(409);
    expect(restaged.json).toMatchObject({ error: { code: 'topology_changed' } });
    const dropped = await api('PUT', '/api/rules?allowNonRestoredState=true', only);
    expect(dropped.status, JSON.stringify(dropped.json)).toBe(200);
    expect(dropped.json['rules']).toEqual([
      { id: 'fast', outcome: 'dropped', changed: true },
      { id: 'pair', outcome: 'kept', changed: false },
    ]);
    expect((dropped.json['operators'] as { dropped: string[] }).dropped.some((u) => u.startsWith('rule:fast:'))).toBe(true);

    // Back to the folders: fast comes back empty.
    const fromDisk = await api('POST', '/api/rules/reload');
    expect(fromDisk.status, JSON.stringify(fromDisk.json)).toBe(200);
    expect(fromDisk.json).toMatchObject({ origin: 'disk', version: before['version'] });
    expect(fromDisk.json['rules']).toContainEqual({ id: 'fast', outcome: 'added', changed: true });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/vigil_rule_reloads_total\{outcome="done"\} 3/);
    expect(metrics).toMatch(/vigil_rule_reloads_total\{outcome="rejected"\} 1/);
    expect(metrics).toMatch(/vigil_rule_reloads_total\{outcome="refused"\} 3/);

    p.kill('SIGTERM');
    expect((await p.exited).code, p.stderr.slice(-3000)).toBe(0);
  }, 180_000);

  it('runs one rule set across the group: a later process takes the stored set, a reload on one is followed by the other', async () => {
    const s = await setup(2);
    const one = await start(s);
    const changed = { rules: { 'pair.yaml': rule('pair', 'medium', s.alerts), 'fast.yaml': rule('fast', 'critical', s.alerts) } };
    const put = await one.api.call('PUT', '/api/rules', changed);
    expect(put.status, JSON.stringify(put.json)).toBe(200);
    const disk = put.json['from'] as string;
    const stored = put.json['version'] as string;
    expect(stored).not.toBe(disk);

    // Started after the reload, with the folders' set on disk: it runs the group's (names.pattern's table file read
    // from the text the first process stored with the set).
    const two = await start(s);
    const view = (await two.api.call('GET', '/api/rules')).json;
    expect(view).toMatchObject({ version: stored, origin: 'group' });
    expect(two.p.stderr).toContain(`running the group's rule set ${stored}`);
    expect((view['rules'] as { id: string; severity: string }[]).find((r) => r.id === 'fast')?.severity).toBe('critical');

    // Back to the folders, asked of the second process: the first follows.
    const back = await two.api.call('POST', '/api/rules/reload');
    expect(back.status, JSON.stringify(back.json)).toBe(200);
    expect(back.json['version']).toBe(disk);
    await until("the first process on the folders' set", async () => (await one.api.call('GET', '/api/job')).json['rulesVersion'] === disk, 30_000, 100).catch(
      (e: unknown) => {
        throw new Error(`${(e as Error).message}\n${one.p.stderr.slice(-3000)}`);
      },
    );
    expect(one.p.stderr).toMatch(new RegExp(`rules reloaded from group: ${stored} -> ${disk}`));
    const group = (await one.api.call('GET', '/api/rules')).json['group'] as { stored: string; members: { version: string }[] };
    expect(group.stored).toBe(disk);
    expect(group.members.map((m) => m.version)).toEqual([disk, disk]);
    for (const { p } of [one, two]) p.kill('SIGTERM');
    for (const { p } of [one, two]) expect((await p.exited).code, p.stderr.slice(-3000)).toBe(0);
  }, 240_000);
});
