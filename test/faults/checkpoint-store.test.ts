import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpointBytes } from '../../src/core/index.js';
import { KafkaClient } from '../../src/io/kafka/client.js';
import { connectRedis } from '../../src/io/redis/client.js';
import { requireBroker } from '../io/kafka/broker.js';
import {
  BROKERS,
  generatedFeed,
  Leftovers,
  parseMetrics,
  produceFinalWatermark,
  produceLines,
  REDIS,
  ServeProcess,
  scratchDir,
  serveFlags,
  serveUrl,
  TopicReader,
  uniqueName,
  until,
} from '../serve/harness.js';
import { getJson, isReady } from './load.js';

const PARTITIONS = 4;
const FINAL = 86_400_000;
const client = new KafkaClient({ brokers: BROKERS, clientId: 'vigil-test-faults-checkpoint' });
const topics: string[] = [];
const leftovers = new Leftovers();
const processes: ServeProcess[] = [];
const readers: TopicReader[] = [];
const users: string[] = [];
let admin: Redis;
let lines: string[] = [];
let expected = new Set<string>();
let lastTs = 0;
const dir = scratchDir();

beforeAll(async () => {
  await requireBroker();
  admin = await connectRedis({ url: REDIS, connectionName: 'vigil-test-faults-acl' });
  const feed = await generatedFeed(dir, { seed: '23', start: Date.parse('2026-03-02T07:40:00+08:00'), minutes: 8, scale: 0.15, anomalies: true });
  lines = feed.lines;
  lastTs = feed.lastTs;
  expected = new Set(feed.alerts.map((l) => (JSON.parse(l) as { id: string }).id));
}, 120_000);

afterAll(async () => {
  for (const p of processes) p.kill('SIGKILL');
  for (const r of readers) await r.stop().catch(() => undefined);
  for (const u of users) await admin.acl('DELUSER', u).catch(() => undefined);
  admin.disconnect();
  await client.deleteTopics(topics).catch(() => undefined);
  await leftovers.clean(client);
  await client.close();
});

/** A glob character, escaped for a Redis pattern. */
function globChar(c: string): string {
  return /[*?[\]\\^]/.test(c) ? `\\${c}` : c;
}

/**
 * ACL key patterns for every key that does not start with `prefix` (ACL patterns only allow, so the complement is
 * spelt out: keys that leave the prefix at its i-th character, and keys that are a proper part of it).
 */
function keysNotStartingWith(prefix: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < prefix.length; i++) {
    const head = [...prefix.slice(0, i)].map(globChar).join('');
    out.push(`~${head}[^${globChar(prefix[i] as string)}]*`);
    if (i > 0) out.push(`~${head}`);
  }
  return out;
}

/** Same as in the service: a topic name part from a stage name. */
function topicPart(uid: string): string {
  return uid.replace(/[^A-Za-z0-9._-]+/g, '_');
}

/**
 * Every stored checkpoint of the group's tasks beside what its stage's consumer group committed for the partition:
 * committed must never be past stored.
 */
async function committedAndStored(group: string, input: string): Promise<{ task: string; committed: number | undefined; stored: number | undefined }[]> {
  const prefix = `vigil:checkpoint:${group}:${input}:`;
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  const out: { task: string; committed: number | undefined; stored: number | undefined }[] = [];
  for (const key of keys.sort()) {
    const task = key.slice(prefix.length);
    const stage = task.slice(0, task.lastIndexOf('#'));
    const partition = Number(task.slice(task.lastIndexOf('#') + 1));
    const [groupId, topic] = stage === 'source' ? [group, input] : [`${group}-${topicPart(stage)}`, `${group}-${topicPart(stage)}-repartition`];
    // The commit first: a checkpoint stored and committed between the two reads then only raises what is stored.
    const committed = (await client.committedOffsets(groupId, topic)).get(partition);
    const cp = decodeCheckpointBytes((await admin.getBuffer(key)) as Buffer);
    // None for a task that had read nothing yet: then nothing may be committed either.
    out.push({ task, committed, stored: cp.source.positions[partition] });
  }
  return out;
}

function notPastStored(tasks: readonly { task: string; committed: number | undefined; stored: number | undefined }[]): void {
  expect(tasks.length).toBeGreaterThan(0);
  for (const c of tasks) {
    if (c.stored === undefined) expect(c.committed, c.task).toBeUndefined();
    else expect(c.committed ?? 0, c.task).toBeLessThanOrEqual(c.stored);
  }
}

async function total(offsets: Promise<Map<number, number>>): Promise<number> {
  return [...(await offsets).values()].reduce((a, b) => a + b, 0);
}

async function metric(p: ServeProcess, name: string): Promise<number> {
  const text = await (await fetch(`${serveUrl(p)}/metrics`)).text();
  return parseMetrics(text)
    .filter((m) => m.name === name)
    .reduce((a, m) => a + m.value, 0);
}

interface Job {
  tasks: { id: string; watermark: number | null }[];
  checkpointFailure?: { since: number; error: string; failures: number };
}

describe('vigil serve when its checkpoint storage refuses writes', () => {
  it('says so on /readyz and in the log, goes on processing, commits no offset past the last stored checkpoint, and recovers', async () => {
    expect(expected.size).toBeGreaterThan(5);
    const input = uniqueName('vigil-it-ckpt-in');
    const alerts = uniqueName('vigil-it-ckpt-alerts');
    const late = uniqueName('vigil-it-ckpt-late');
    const dead = uniqueName('vigil-it-ckpt-dlq');
    topics.push(input, alerts, late, dead);
    await client.ensureTopics([{ topic: input, partitions: PARTITIONS }, { topic: alerts }, { topic: late }, { topic: dead }]);
    const group = leftovers.group('vigil-it-ckpt-group');
    // The service's own Redis user: everything allowed, until its checkpoint keys are made read-only.
    const user = uniqueName('vigil-it-ckpt-user');
    const password = uniqueName('pw');
    users.push(user);
    await admin.acl('SETUSER', user, 'on', `>${password}`, '~*', '&*', '+@all');
    const url = new URL(REDIS);
    url.username = user;
    url.password = password;
    const args = [
      ...serveFlags({ input, group, alerts, late, dead, firstSeenPrefix: leftovers.firstSeenPrefix(), checkpointSeconds: 1 }),
      '--public-read',
      '--redis',
      url.toString(),
    ];
    const reader = new TopicReader(client, alerts);
    readers.push(reader);
    await reader.start();
    const logs = (): string => processes.map((p, i) => `--- process ${i}\n${p.stderr.slice(-3000)}`).join('\n');

    // Part one stored: every input offset of it committed.
    const half = Math.floor(lines.length / 2);
    await produceLines(client, input, lines.slice(0, half));
    const first = new ServeProcess(args);
    processes.push(first);
    await until('part one read and checkpointed', async () => (await total(client.committedOffsets(group, input))) === half, 90_000, 200).catch(
      (e: unknown) => {
        throw new Error(`${(e as Error).message}\n${logs()}`);
      },
    );
    expect(await isReady(first)).toBe(true);

    // The checkpoint keys of this group become read-only for the service's user.
    await admin.acl('SETUSER', user, 'resetkeys', '%R~*', ...keysNotStartingWith(`vigil:checkpoint:${group}:`));
    await produceLines(client, input, lines.slice(half));
    await produceFinalWatermark(client, input, PARTITIONS, lastTs + FINAL);
    await until(
      '/readyz 503 with the reason',
      async () => {
        const r = await getJson<{ status: string; state: string; reason?: string }>(first, '/readyz');
        return r?.status === 503 && r.body.state === 'running' && /checkpoints not stored/.test(r.body.reason ?? '');
      },
      30_000,
      100,
    ).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\n${logs()}`);
    });
    expect(first.stderr).toMatch(/checkpoint not stored \(NOPERM/);
    // It goes on: every alert of the feed comes out while nothing can be stored.
    await until('every expected alert while checkpoints fail', () => [...expected].every((id) => reader.ids().has(id)), 90_000, 200).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}: ${[...expected].filter((id) => !reader.ids().has(id)).length} missing\n${logs()}`);
    });
    expect(reader.ids()).toEqual(expected);
    const job = (await getJson<Job>(first, '/api/job'))?.body;
    expect(job?.checkpointFailure?.error).toMatch(/NOPERM/);
    expect(await metric(first, 'vigil_checkpoint_failing')).toBe(1);
    expect(await metric(first, 'vigil_checkpoint_failures_total')).toBeGreaterThan(0);
    // Nothing committed past what is stored: the input's offsets are still those of part one.
    expect(await total(client.committedOffsets(group, input))).toBe(half);
    notPastStored(await committedAndStored(group, input));

    // Killed while failing: the next process restores part one's checkpoints and replays the rest, giving no new id.
    first.kill('SIGKILL');
    await first.exited;
    const second = new ServeProcess(args);
    processes.push(second);
    await until(
      'the replay through the final watermark on every task',
      async () => {
        const j = (await getJson<Job>(second, '/api/job'))?.body;
        return j !== undefined && j.tasks.length > 0 && j.tasks.every((t) => (t.watermark ?? 0) >= lastTs + FINAL);
      },
      90_000,
      200,
    ).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\n${logs()}`);
    });
    // The log comes through a pipe the test reads on its own schedule: wait for the line rather than assume it came
    // before the job API's answer (CI once read the answer first and saw only the "listening" line).
    await until('the restore in the second process log', () => second.stderr.includes('restored checkpoint'), 15_000, 100).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\n${logs()}`);
    });
    expect(reader.ids()).toEqual(expected);
    await until('the second process not ready either', async () => !(await isReady(second)) && /checkpoint not stored/.test(second.stderr), 30_000, 100);
    expect(await total(client.committedOffsets(group, input))).toBe(half);

    // Writable again: it stores, commits every offset, and is ready, by itself.
    await admin.acl('SETUSER', user, 'resetkeys', '~*');
    await until('/readyz 200 again', () => isReady(second), 30_000, 100).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\n${logs()}`);
    });
    expect(second.stderr).toMatch(/checkpoints stored again after \d+ failed save/);
    await until('every input offset committed', async () => (await total(client.committedOffsets(group, input))) === lines.length + PARTITIONS, 30_000, 200);
    notPastStored(await committedAndStored(group, input));
    expect(await metric(second, 'vigil_checkpoint_failing')).toBe(0);
    expect((await getJson<Job>(second, '/api/job'))?.body.checkpointFailure).toBeUndefined();
    expect(reader.ids()).toEqual(expected);
    second.kill('SIGTERM');
    expect((await second.exited).code, second.stderr).toBe(0);
  }, 240_000);
});
