/**
 * `vigil serve` end to end against the real broker and Redis: a generated city feed produced to a 4-partition
 * topic keyed by checkpoint gives, on the alert topic, exactly the alert ids `vigil run` gives on the same file:
 * uninterrupted, after a kill -9 and a restart, and when the active member of a two-process group is killed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTraffic } from '../../src/app/index.js';
import { simulation, writeSimulation } from '../../src/app/generate.js';
import { KafkaClient } from '../../src/io/kafka/client.js';
import { requireBroker } from '../io/kafka/broker.js';
import { ServeProcess, TopicReader, BROKERS, produceFinalWatermark, produceLines, rulesRoutedTo, scratchDir, uniqueName, until } from './harness.js';

const PARTITIONS = 4;
const client = new KafkaClient({ brokers: BROKERS, clientId: 'vigil-test-serve' });
const topics: string[] = [];
const processes: ServeProcess[] = [];
const readers: TopicReader[] = [];
let lines: string[] = [];
let expected: Set<string> = new Set();
let lastTs = 0;
const dir = scratchDir();

beforeAll(async () => {
  await requireBroker();
  // Ten minutes of a morning at 0.3 scale: ~80k records, every rule firing at least once with an empty first_seen.
  const input = join(dir, 'traffic.ndjson');
  await writeSimulation(simulation({ seed: '5', start: Date.parse('2026-03-02T07:40:00+08:00'), minutes: 10, scale: 0.3, anomalies: true }), input);
  lines = readFileSync(input, 'utf8').split('\n').filter((l) => l.length > 0);
  for (const l of lines) lastTs = Math.max(lastTs, (JSON.parse(l) as { ts: number }).ts);
  const out = join(dir, 'alerts.ndjson');
  await runTraffic({ cwd: dir, input, out }, { stdout: () => {}, stderr: () => {} });
  expected = new Set(readFileSync(out, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => (JSON.parse(l) as { id: string }).id));
}, 120_000);

afterAll(async () => {
  for (const p of processes) p.kill('SIGKILL');
  for (const r of readers) await r.stop().catch(() => undefined);
  await client.deleteTopics(topics).catch(() => undefined);
  await client.close();
});

interface Setup {
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
  const group = uniqueName('vigil-it-serve-group');
  const args = ['--input-topic', input, '--group', group, '--rules', rulesRoutedTo(alerts), '--late-topic', late, '--dead-letter-topic', dead,
    '--first-seen-prefix', `${uniqueName('vigil-it-fs')}:`, '--checkpoint-interval', '1'];
  const reader = new TopicReader(client, alerts);
  readers.push(reader);
  await reader.start();
  return { input, alerts, args, reader, group };
}

function serve(args: readonly string[]): ServeProcess {
  const p = new ServeProcess(args);
  processes.push(p);
  return p;
}

/** Waits until every expected id is on the alert topic, then a little longer for strays, and returns what is there. */
async function allAlerts(s: Setup, who: ServeProcess[]): Promise<Set<string>> {
  await until('every expected alert id on the alert topic', () => [...expected].every((id) => s.reader.ids().has(id)), 90_000, 200).catch((error: unknown) => {
    const missing = [...expected].filter((id) => !s.reader.ids().has(id)).length;
    throw new Error(`${(error as Error).message}: ${missing} of ${expected.size} missing\n${who.map((p) => p.stderr).join('\n---\n')}`);
  });
  await new Promise((r) => setTimeout(r, 2000));
  return s.reader.ids();
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
    await produceLines(client, s.input, lines);
    await produceFinalWatermark(client, s.input, PARTITIONS, lastTs + 86_400_000);
    const p = serve(s.args);
    const ids = await allAlerts(s, [p]);
    expect([...ids].sort()).toEqual([...expected].sort());
    // Every alert carries its rule and severity as headers, keyed by the alert key.
    for (const v of s.reader.values) {
      expect(v.headers['rule']).toBe(v.value['rule']);
      expect(v.headers['severity']).toBe(v.value['severity']);
    }
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
    second.kill('SIGTERM');
    expect((await second.exited).code, second.stderr).toBe(0);
  }, 180_000);

  it('with two processes in one group, the standby takes over the partitions and their state when the active one is killed', async () => {
    const s = await setup();
    const active = serve(s.args);
    await until('the first member to run the partitions', () => active.stderr.includes('partition(s) assigned'), 60_000, 100);
    const standby = serve(s.args);
    await until('the second member to stand by', () => standby.stderr.includes('standing by'), 60_000, 100);
    const half = Math.floor(lines.length / 2);
    await produceLines(client, s.input, lines.slice(0, half));
    await until('a checkpoint and some alerts', async () => (await committedTotal(s.group, s.input)) > 0 && s.reader.values.length > 0, 60_000, 100);
    active.kill('SIGKILL');
    await active.exited;
    await produceLines(client, s.input, lines.slice(half));
    await produceFinalWatermark(client, s.input, PARTITIONS, lastTs + 86_400_000);
    const ids = await allAlerts(s, [active, standby]);
    expect([...ids].sort()).toEqual([...expected].sort());
    expect(standby.stderr).toContain('restored checkpoint');
    standby.kill('SIGTERM');
    expect((await standby.exited).code, standby.stderr).toBe(0);
  }, 180_000);
});
