/**
 * `vigil serve` end to end against the real broker and Redis: a generated city feed produced to a 4-partition
 * topic keyed by checkpoint gives, on the alert topic, exactly the alert ids `vigil run` gives on the same file:
 * uninterrupted, after a kill -9 and a restart, and with two processes splitting the work, one of them killed midway.
 */
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaClient } from '../../src/io/kafka/client.js';
import { requireBroker } from '../io/kafka/broker.js';
import {
  BROKERS,
  generatedFeed,
  Leftovers,
  parseMetrics,
  produceFinalWatermark,
  produceLines,
  rulesRoutedTo,
  ServeProcess,
  scratchDir,
  serveFlags,
  serveUrl,
  TopicReader,
  uniqueName,
  until,
} from './harness.js';

const PARTITIONS = 4;
const client = new KafkaClient({ brokers: BROKERS, clientId: 'vigil-test-serve' });
const topics: string[] = [];
const leftovers = new Leftovers();
const processes: ServeProcess[] = [];
const readers: TopicReader[] = [];
let lines: string[] = [];
let expected: Set<string> = new Set();
const expectedLines = new Map<string, string>();
let lastTs = 0;
const dir = scratchDir();

beforeAll(async () => {
  await requireBroker();
  // Ten minutes of a morning at 0.3 scale: ~80k records, every rule firing at least once with an empty first_seen.
  const feed = await generatedFeed(dir, { seed: '5', start: Date.parse('2026-03-02T07:40:00+08:00'), minutes: 10, scale: 0.3, anomalies: true });
  lines = feed.lines;
  lastTs = feed.lastTs;
  for (const l of feed.alerts) expectedLines.set((JSON.parse(l) as { id: string }).id, l);
  expected = new Set(expectedLines.keys());
}, 120_000);

afterAll(async () => {
  for (const p of processes) p.kill('SIGKILL');
  for (const r of readers) await r.stop().catch(() => undefined);
  await client.deleteTopics(topics).catch(() => undefined);
  await leftovers.clean(client);
  await client.close();
});

interface Setup {
  readonly dead: string;
  readonly input: string;
  readonly alerts: string;
  readonly args: string[];
  readonly reader: TopicReader;
  readonly group: string;
}

async function setup(): Promise<Setup> {
  const input = uniqueName('vigil-it-serve-in');
  const alerts = uniqueName('vigil-it-serve-alerts');
  const late = uniqueName('vigil-it-serve-late');
  const dead = uniqueName('vigil-it-serve-dlq');
  topics.push(input, alerts, late, dead);
  await client.ensureTopics([{ topic: input, partitions: PARTITIONS }, { topic: alerts }, { topic: late }, { topic: dead }]);
  const group = leftovers.group();
  const args = [...serveFlags({ input, group, alerts, late, dead, firstSeenPrefix: leftovers.firstSeenPrefix(), checkpointSeconds: 2 }), '--public-read'];
  const reader = new TopicReader(client, alerts);
  readers.push(reader);
  await reader.start();
  return { input, alerts, args, reader, group, dead };
}

/** The same serve flags with another rules folder. */
function withRules(args: readonly string[], rules: string): string[] {
  const out = [...args];
  out[out.indexOf('--rules') + 1] = rules;
  return out;
}

function serve(args: readonly string[]): ServeProcess {
  const p = new ServeProcess(args);
  processes.push(p);
  return p;
}

/** Waits until every id of `want` is on the alert topic; on timeout, says which are missing and what the processes logged. */
async function awaitAlerts(s: Setup, want: ReadonlySet<string>, who: ServeProcess[], what = 'every expected alert id on the alert topic'): Promise<void> {
  await until(what, () => [...want].every((id) => s.reader.ids().has(id)), 90_000, 200).catch((error: unknown) => {
    const missing = [...want].filter((id) => !s.reader.ids().has(id));
    const shown = missing
      .slice(0, 3)
      .map((id) => expectedLines.get(id))
      .join('\n');
    const byRule = (lines: (string | undefined)[]): string => {
      const counts = new Map<string, number>();
      for (const l of lines) {
        const rule = l === undefined ? '?' : (JSON.parse(l) as { rule: string }).rule;
        counts.set(rule, (counts.get(rule) ?? 0) + 1);
      }
      return [...counts].map(([r, n]) => `${r} ${n}`).join(', ');
    };
    const extra = s.reader.values.filter((v) => !expected.has(String(v.value['id']))).map((v) => JSON.stringify(v.value));
    throw new Error(
      `${(error as Error).message}: ${missing.length} of ${want.size} missing (${byRule(missing.map((id) => expectedLines.get(id)))}), ${extra.length} not expected (${byRule(extra)}), e.g.\n${shown}\n${extra.slice(0, 3).join('\n')}\n${who.map((p) => p.stderr.slice(-3000)).join('\n---\n')}`,
    );
  });
}

/** Waits until every expected id is on the alert topic, then a little longer for strays, and returns what is there. */
async function allAlerts(s: Setup, who: ServeProcess[]): Promise<Set<string>> {
  await awaitAlerts(s, expected, who);
  await new Promise((r) => setTimeout(r, 2000));
  const extra = s.reader.values.filter((v) => !expected.has(String(v.value['id'])));
  if (extra.length > 0) {
    // Equality is asserted by the caller; this says which alert came out that vigil run did not give.
    console.error(
      `alerts vigil run did not give:\n${extra
        .slice(0, 3)
        .map((v) => JSON.stringify(v.value))
        .join('\n')}`,
    );
  }
  return s.reader.ids();
}

/** How many tasks of a stage (by id prefix) a serve process runs now, from its job status over HTTP. */
async function tasksOf(p: ServeProcess, stage: string): Promise<number> {
  const url = /listening on (http:\/\/\S+)/.exec(p.stderr)?.[1];
  if (url === undefined) return 0;
  const res = await fetch(`${url}/api/job`).catch(() => null);
  if (res === null || !res.ok) return 0;
  const job = (await res.json()) as { tasks: { id: string }[] };
  return job.tasks.filter((t) => t.id.startsWith(`${stage}#`)).length;
}

/** Whether every task a serve process runs has stored a checkpoint. */
async function allCheckpointed(p: ServeProcess): Promise<boolean> {
  const url = /listening on (http:\/\/\S+)/.exec(p.stderr)?.[1];
  if (url === undefined) return false;
  const res = await fetch(`${url}/api/job`).catch(() => null);
  if (res === null || !res.ok) return false;
  const job = (await res.json()) as { tasks: { lastCheckpoint: unknown }[] };
  return job.tasks.length > 0 && job.tasks.every((t) => t.lastCheckpoint !== null);
}

/** Every alert of a serve process's history (/api/alerts, read with --public-read), newest first, page by page. */
async function historyIds(p: ServeProcess): Promise<string[]> {
  const url = serveUrl(p) as string;
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const res: Response = await fetch(`${url}/api/alerts?limit=500${cursor === null ? '' : `&cursor=${cursor}`}`);
    expect(res.status).toBe(200);
    const page = (await res.json()) as { alerts: { alert: { id: string } }[]; next: string | null };
    ids.push(...page.alerts.map((a) => a.alert.id));
    cursor = page.next;
  } while (cursor !== null);
  return ids;
}

async function committedTotal(group: string, topic: string): Promise<number> {
  let total = 0;
  for (const offset of (await client.committedOffsets(group, topic)).values()) total += offset;
  return total;
}

describe('vigil serve', () => {
  it('gives the alert ids of vigil run on the same file, and stops cleanly on SIGTERM with every offset committed', async () => {
    expect(expected.size).toBeGreaterThan(10);
    const s = await setup();
    // Two bad lines among the good ones: they go to the dead-letter topic as they came, with why and whence.
    const bad = ['{"id": "x1", "plate": oops', JSON.stringify({ id: 'x2', plate: '浙A00001', plate_color: 'blue', checkpoint: 'CP9999', ts: lastTs })];
    await produceLines(client, s.input, [...lines.slice(0, 1000), ...bad, ...lines.slice(1000)]);
    await produceFinalWatermark(client, s.input, PARTITIONS, lastTs + 86_400_000);
    const dead = new TopicReader(client, s.dead);
    readers.push(dead);
    await dead.start();
    const p = serve(s.args);
    const ids = await allAlerts(s, [p]);
    expect([...ids].sort()).toEqual([...expected].sort());
    await until('both dead letters', () => dead.values.length >= 2, 30_000, 100);
    expect(dead.values.map((d) => d.raw.toString('utf8')).sort()).toEqual([...bad].sort());
    for (const d of dead.values) {
      expect(d.headers['reason']).toMatch(/\w/);
      expect(d.headers['topic']).toBe(s.input);
      expect(Number(d.headers['offset'])).toBeGreaterThanOrEqual(0);
    }
    expect(dead.values.find((d) => d.raw.toString('utf8').includes('CP9999'))?.headers['reason']).toContain('CP9999');
    // Every alert carries its rule and severity as headers, keyed by the alert key.
    for (const v of s.reader.values) {
      expect(v.headers['rule']).toBe(v.value['rule']);
      expect(v.headers['severity']).toBe(v.value['severity']);
    }
    // /metrics during the run: records in, alerts by rule and severity, dead letters by reason, and per input
    // partition how far event time trails the clock and how far the consumer trails the log.
    const metrics = parseMetrics(await (await fetch(`${serveUrl(p)}/metrics`)).text());
    const sum = (name: string) => metrics.filter((m) => m.name === name).reduce((a, m) => a + m.value, 0);
    expect(sum('vigil_records_in_total')).toBeGreaterThanOrEqual(lines.length);
    expect(sum('vigil_alerts_total')).toBeGreaterThanOrEqual(expected.size);
    const byRule = new Set(metrics.filter((m) => m.name === 'vigil_alerts_total' && m.value > 0).map((m) => `${m.labels['rule']}/${m.labels['severity']}`));
    expect(byRule).toEqual(new Set(s.reader.values.map((v) => `${v.value['rule']}/${v.value['severity']}`)));
    const reasons = metrics.filter((m) => m.name === 'vigil_dead_letters_by_reason_total');
    expect(reasons.reduce((a, m) => a + m.value, 0)).toBe(2);
    expect(reasons.find((m) => m.labels['reason'] === 'invalid_json')?.value).toBe(1);
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const of = (name: string) => metrics.find((m) => m.name === name && m.labels['topic'] === s.input && m.labels['partition'] === String(partition));
      expect(of('vigil_watermark_lag_ms')?.value, `watermark lag of partition ${partition}`).toBeGreaterThan(0);
      expect(of('vigil_consumer_lag_records')?.value, `consumer lag of partition ${partition}`).toBe(0);
    }
    expect(sum('vigil_checkpoint_last_bytes')).toBeGreaterThan(0);
    expect(sum('nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(metrics.some((m) => m.name === 'nodejs_eventloop_lag_seconds')).toBe(true);
    // The history in Redis holds every alert once.
    await until('every alert in the history', async () => (await historyIds(p)).length >= expected.size, 30_000, 200);
    expect((await historyIds(p)).sort()).toEqual([...expected].sort());
    expect(sum('vigil_alert_history_appended_total')).toBe(expected.size);
    p.kill('SIGTERM');
    const exit = await p.exited;
    expect(exit.code, p.stderr).toBe(0);
    const end = [...(await client.endOffsets(s.input)).values()].reduce((a, b) => a + b, 0);
    expect(await committedTotal(s.group, s.input)).toBe(end);
  }, 180_000);

  it('after kill -9 and a restart, replays from the last checkpoint: the same ids, at least once', async () => {
    const s = await setup();
    const half = Math.floor(lines.length / 2);
    await produceLines(client, s.input, lines.slice(0, half));
    const first = serve(s.args);
    // Killed once it has checkpointed part of the input, with alerts sent since.
    await until('a checkpoint and some alerts', async () => (await committedTotal(s.group, s.input)) > 0 && s.reader.values.length > 0, 60_000, 100);
    first.kill('SIGKILL');
    await first.exited;
    await produceLines(client, s.input, lines.slice(half));
    await produceFinalWatermark(client, s.input, PARTITIONS, lastTs + 86_400_000);
    const second = serve(s.args);
    const ids = await allAlerts(s, [first, second]);
    expect([...ids].sort()).toEqual([...expected].sort());
    expect(second.stderr).toContain('restored checkpoint');
    // The topic may carry replayed alerts twice (at-least-once); the history, shared by both runs, holds each once.
    await until('every alert in the history', async () => (await historyIds(second)).length >= expected.size, 30_000, 200);
    const history = await historyIds(second);
    expect(history.length).toBe(new Set(history).size);
    expect(new Set(history)).toEqual(expected);
    second.kill('SIGTERM');
    expect((await second.exited).code, second.stderr).toBe(0);
  }, 180_000);

  it("two processes in one group split the keyed stages' partitions; when one is killed the other takes over its tasks and state", async () => {
    const s = await setup();
    const one = serve(s.args);
    const two = serve(s.args);
    const half = Math.floor(lines.length / 2);
    await produceLines(client, s.input, lines.slice(0, half));
    // Both read the input and run keyed tasks: the input's partitions and the per-vehicle stage's are each split
    // between them.
    const CLONES = 'plates:by:plate,plate_color'; // first_seen, cloned-plate, hop, first-entry: vehicles
    await until(
      'both members to run input and per-vehicle partitions, all of them between them',
      async () => {
        for (const stage of ['source', CLONES]) {
          const [a, b] = [await tasksOf(one, stage), await tasksOf(two, stage)];
          if (!(a > 0 && b > 0 && a + b === PARTITIONS)) return false;
        }
        return true;
      },
      90_000,
      500,
    );
    await until(
      'a checkpoint of every task of the first member, and some alerts',
      async () => (await allCheckpointed(one)) && s.reader.values.length > 0,
      60_000,
      200,
    );
    one.kill('SIGKILL');
    await one.exited;
    await produceLines(client, s.input, lines.slice(half));
    await produceFinalWatermark(client, s.input, PARTITIONS, lastTs + 86_400_000);
    const ids = await allAlerts(s, [one, two]);
    expect([...ids].sort()).toEqual([...expected].sort());
    expect(two.stderr).toContain('restored checkpoint');
    expect(await tasksOf(two, CLONES)).toBe(PARTITIONS);
    expect(await tasksOf(two, 'source')).toBe(PARTITIONS);
    // Both members wrote to one history, the killed one's replayed partitions included: each alert once.
    await until('every alert in the shared history', async () => (await historyIds(two)).length >= expected.size, 30_000, 200);
    const history = await historyIds(two);
    expect(history.length).toBe(new Set(history).size);
    expect(new Set(history)).toEqual(expected);
    two.kill('SIGTERM');
    expect((await two.exited).code, two.stderr).toBe(0);
  }, 240_000);

  it('a savepoint taken before any record was read restores to the start of every topic, not to the offsets committed since', async () => {
    const s = await setup();
    const savepoints = scratchDir();
    const before = serve([...s.args, '--savepoint-dir', savepoints]);
    await until('every task assigned', async () => (await tasksOf(before, 'source')) === PARTITIONS, 90_000, 200);
    const url = serveUrl(before) as string;
    // Refused with 409 while the service is still starting.
    const saved = async (): Promise<boolean> =>
      (await fetch(`${url}/api/savepoints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'empty' }) }))
        .status === 201;
    await until('a savepoint of the running service', saved, 60_000, 500).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\n${before.stderr.slice(-3000)}`);
    });
    // Everything is read, alerted and committed after the savepoint.
    await produceLines(client, s.input, lines);
    await produceFinalWatermark(client, s.input, PARTITIONS, lastTs + 86_400_000);
    await awaitAlerts(s, expected, [before]);
    before.kill('SIGTERM');
    expect((await before.exited).code, before.stderr).toBe(0);

    // Restored from the empty savepoint, every stage reads its topic again from the start: every alert again.
    const again = uniqueName('vigil-it-serve-again');
    topics.push(again);
    await client.ensureTopics([{ topic: again }]);
    const reader = new TopicReader(client, again);
    readers.push(reader);
    await reader.start();
    const after = serve([...withRules(s.args, rulesRoutedTo(again)), '--from-savepoint', join(savepoints, 'empty')]);
    await awaitAlerts({ ...s, reader }, expected, [after]);
    after.kill('SIGTERM');
    expect((await after.exited).code, after.stderr).toBe(0);
  }, 240_000);

  it('restores a savepoint into a changed rule set: kept rules keep their partial matches, a removed rule is refused', async () => {
    const s = await setup();
    const savepoints = scratchDir();
    const rules = s.args[s.args.indexOf('--rules') + 1] as string;
    const half = Math.floor(lines.length / 2);
    await produceLines(client, s.input, lines.slice(0, half));
    const before = serve([...s.args, '--savepoint-dir', savepoints]);
    await until('the first half read', async () => (await committedTotal(s.group, s.input)) >= half, 90_000, 200);
    const url = (/listening on (http:\/\/\S+)/.exec(before.stderr) as RegExpExecArray)[1] as string;
    const res = await fetch(`${url}/api/savepoints`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'mid' }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    before.kill('SIGTERM');
    expect((await before.exited).code, before.stderr).toBe(0);
    const savepoint = join(savepoints, 'mid');
    expect(readdirSync(savepoint).length).toBeGreaterThan(10);

    // Without a rule (its stages' state in the savepoint has no home): refused, with the way out named.
    const fewer = scratchDir();
    cpSync(rules, fewer, { recursive: true });
    rmSync(join(fewer, 'sudden-flow.yaml'));
    const refused = serve([...withRules(s.args, fewer), '--from-savepoint', savepoint]);
    expect((await refused.exited).code).toBe(1);
    expect(refused.stderr).toContain('--allow-non-restored-state');

    // A rule added and one changed (a new parameter value): the others restore their state and go on.
    const changed = scratchDir();
    cpSync(rules, changed, { recursive: true });
    writeFileSync(
      join(changed, 'cloned-plate-fast.yaml'),
      readFileSync(join(rules, 'cloned-plate.yaml'), 'utf8').replace(/^id: .*$/m, 'id: cloned-plate-fast'),
    );
    const congestion = join(changed, 'sudden-congestion.yaml');
    writeFileSync(congestion, `${readFileSync(congestion, 'utf8')}params:\n  min_samples: 4\n`);
    expect(existsSync(join(changed, 'cloned-plate-fast.yaml'))).toBe(true);
    const after = serve([...withRules(s.args, changed), '--from-savepoint', savepoint]);
    await produceLines(client, s.input, lines.slice(half));
    await produceFinalWatermark(client, s.input, PARTITIONS, lastTs + 86_400_000);
    const kept = new Set([...expected].filter((id) => /"rule":"(first-entry|cloned-plate|sudden-flow)"/.test(expectedLines.get(id) ?? '')));
    await awaitAlerts(s, kept, [after], 'every alert of the unchanged rules');
    // Among them, alerts whose evidence spans the restore: a partial match begun before it completed after it.
    const firstHalf = new Set(lines.slice(0, half).map((l) => (JSON.parse(l) as { id: string }).id));
    const spanning = [...kept].filter((id) => {
      const evidence = (JSON.parse(expectedLines.get(id) as string) as { evidence: Record<string, { id?: string }[]> }).evidence;
      const ids = Object.values(evidence)
        .flat()
        .map((e) => e.id)
        .filter((x): x is string => x !== undefined);
      return ids.some((x) => firstHalf.has(x)) && ids.some((x) => !firstHalf.has(x));
    });
    expect(spanning.length).toBeGreaterThan(0);
    expect(after.stderr).toContain('restored checkpoint');
    after.kill('SIGTERM');
    expect((await after.exited).code, after.stderr).toBe(0);
  }, 240_000);
});
