/**
 * `vigil serve` with webhook routes, end to end: a real child process on the real broker and Redis, every rule also
 * routed to a local HTTP receiver. Every alert the service writes to Kafka reaches the receiver, signed, once per
 * id; /api/webhooks shows the routes; a secret missing from the environment stops the service before it starts.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { KafkaClient } from '../../src/io/kafka/client.js';
import { connectRedis } from '../../src/io/redis/client.js';
import { unlinkMatching } from '../../src/io/redis/keys.js';
import { requireBroker } from '../io/kafka/broker.js';
import { TestReceiver } from '../io/webhook/receiver.js';
import {
  BROKERS,
  Leftovers,
  produceFinalWatermark,
  produceLines,
  REDIS,
  REPO,
  rulesWithWebhook,
  ServeProcess,
  sampleTraffic,
  serveFlags,
  TopicReader,
  uniqueName,
  until,
} from './harness.js';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const client = new KafkaClient({ brokers: BROKERS, clientId: 'vigil-test-serve-webhook' });
const leftovers = new Leftovers();
const topics: string[] = [];
const receiver = new TestReceiver(SECRET);
let reader: TopicReader | undefined;
let serve: ServeProcess | undefined;
let group = '';
/** Every group a test ran: their webhook queues are deleted afterwards. */
const groups: string[] = [];
/** The alert ids of the uninterrupted run (the first test): what the run with a crash must deliver too. */
let expected = new Set<string>();

beforeAll(async () => {
  await requireBroker();
  await receiver.start();
  // The serve child inherits the environment: the routes' secret comes from HOOK_SECRET (env:HOOK_SECRET).
  vi.stubEnv('HOOK_SECRET', SECRET);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  serve?.kill('SIGKILL');
  await reader?.stop();
  await receiver.close();
  await client.deleteTopics(topics).catch(() => undefined);
  await leftovers.clean(client);
  // The group's webhook queues.
  const redis = await connectRedis({ url: REDIS, connectionName: 'vigil-test-webhook-leftovers' });
  for (const g of groups) await unlinkMatching(redis, `vigil-webhooks.${g}:*`);
  redis.disconnect();
  await client.close();
});

/**
 * Waits until the group has consumed and checkpointed the whole input topic, every alert id on Kafka was answered by
 * the receiver, and the Kafka id set has not grown for 3 s; returns that set.
 */
async function settled(kafka: TopicReader, receiver: TestReceiver, group: string, input: string, stderr: () => string): Promise<Set<string>> {
  const total = async (offsets: Promise<Map<number, number>>): Promise<number> => [...(await offsets).values()].reduce((a, b) => a + b, 0);
  let size = -1;
  let since = Date.now();
  await until(
    'the whole input checkpointed, every Kafka alert at the receiver, no new alert for 3 s',
    async () => {
      const ids = kafka.ids();
      if (ids.size !== size) {
        size = ids.size;
        since = Date.now();
      }
      const got = receiver.answeredCounts();
      if (ids.size === 0 || ![...ids].every((id) => got.has(id))) return false;
      if ((await total(client.committedOffsets(group, input))) < (await total(client.endOffsets(input)))) {
        since = Date.now();
        return false;
      }
      return Date.now() - since >= 3000;
    },
    120_000,
    200,
  ).catch((e: unknown) => {
    throw new Error(`${(e as Error).message}\n${stderr()}`);
  });
  return kafka.ids();
}

describe('vigil serve with webhook routes', () => {
  it('delivers every alert it writes to Kafka to the webhook, signed, once per id, and shows the routes', async () => {
    const input = uniqueName('vigil-it-wh-in');
    const alerts = uniqueName('vigil-it-wh-alerts');
    const late = uniqueName('vigil-it-wh-late');
    const dead = uniqueName('vigil-it-wh-dlq');
    topics.push(input, alerts, late, dead);
    await client.ensureTopics([{ topic: input, partitions: 2 }, { topic: alerts }, { topic: late }, { topic: dead }]);
    const { lines, lastTs } = sampleTraffic();
    await produceLines(client, input, lines);
    await produceFinalWatermark(client, input, 2, lastTs + 86_400_000);
    reader = new TopicReader(client, alerts);
    await reader.start();

    group = leftovers.group('vigil-it-wh-group');
    groups.push(group);
    const flags = serveFlags({ input, group, alerts, late, dead, firstSeenPrefix: leftovers.firstSeenPrefix(), checkpointSeconds: 1 });
    const rules = rulesWithWebhook(alerts, receiver.url);
    flags[flags.indexOf('--rules') + 1] = rules;
    // The receiver is down for the first alerts: they wait in Redis and arrive once it is up.
    receiver.mode = { kind: 'down' };
    const p = new ServeProcess([...flags, '--port', '0']);
    serve = p;
    await until('the listening address', () => /listening on http:\/\/\S+/.test(p.stderr) || p.child.exitCode !== null, 30_000, 50);
    const url = (/listening on (http:\/\/\S+)/.exec(p.stderr) as RegExpExecArray | null)?.[1];
    expect(url, p.stderr).toBeDefined();
    await until('alerts on Kafka', () => (reader?.values.length ?? 0) > 0, 90_000, 200).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\n${p.stderr}`);
    });
    await until('a few failed POSTs', () => receiver.arrivals.length > 0, 30_000, 50);
    receiver.mode = { kind: 'up' };
    // Kafka's alert set settles, and the receiver gets every one of them.
    const kafkaIds = await settled(reader, receiver, group, input, () => p.stderr);
    const answered = receiver.answeredCounts();
    expected = kafkaIds;
    expect([...answered.keys()].sort()).toEqual([...kafkaIds].sort());
    expect([...answered].filter(([, n]) => n !== 1)).toEqual([]);
    expect(receiver.arrivals.filter((a) => !a.verified)).toEqual([]);
    console.log(`serve webhook: ${kafkaIds.size} alerts on Kafka, delivered once each; ${receiver.arrivals.length} POSTs in all`);
    const rulesWithAlerts = new Set(reader.values.map((v) => String(v.value['rule'])));
    expect(rulesWithAlerts.size).toBeGreaterThan(0);

    const status = (await (await fetch(`${url}/api/webhooks`)).json()) as { routes: { route: string; url: string; jobs: { completed: number } }[] };
    expect(status.routes.map((r) => r.route).sort()).toEqual(['cloned-plate', 'first-entry', 'sudden-congestion', 'sudden-flow']);
    expect(status.routes.reduce((n, r) => n + r.jobs.completed, 0)).toBe(kafkaIds.size);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/vigil_webhook_deliveries_total\{route="cloned-plate",rule="cloned-plate"\} [1-9]/);

    p.kill('SIGTERM');
    expect((await p.exited).code, p.stderr).toBe(0);
  }, 180_000);

  it('after kill -9 and a restart, the alerts replayed with their ids are not delivered twice', async () => {
    const input = uniqueName('vigil-it-wh2-in');
    const alerts = uniqueName('vigil-it-wh2-alerts');
    const late = uniqueName('vigil-it-wh2-late');
    const dead = uniqueName('vigil-it-wh2-dlq');
    topics.push(input, alerts, late, dead);
    await client.ensureTopics([{ topic: input, partitions: 2 }, { topic: alerts }, { topic: late }, { topic: dead }]);
    const { lines, lastTs } = sampleTraffic();
    // Every line before the kill, but not the final watermark: the alerts that the stream's own watermark releases
    // come out before it (first-entry alerts wait out a 10-minute confirmation window, so half of the 20-minute
    // sample raised none); the rest, and any replayed, after the restart.
    const half = lines.length;
    await produceLines(client, input, lines.slice(0, half));
    const kafka = new TopicReader(client, alerts);
    await kafka.start();
    const previousReader = reader;
    reader = kafka;
    await previousReader?.stop();
    const receiverOf = new TestReceiver(SECRET);
    await receiverOf.start();
    group = leftovers.group('vigil-it-wh2-group');
    groups.push(group);
    const flags = serveFlags({ input, group, alerts, late, dead, firstSeenPrefix: leftovers.firstSeenPrefix(), checkpointSeconds: 1 });
    flags[flags.indexOf('--rules') + 1] = rulesWithWebhook(alerts, receiverOf.url);
    // Down while the first process runs: its alerts wait in Redis, none is in the middle of a delivery when it dies.
    receiverOf.mode = { kind: 'down' };
    try {
      const first = new ServeProcess([...flags, '--port', '0']);
      serve = first;
      // Killed once it has checkpointed part of the input, with alerts sent since.
      const committed = async (): Promise<number> => [...(await client.committedOffsets(group, input)).values()].reduce((a, b) => a + b, 0);
      await until('a checkpoint and some alerts on Kafka', async () => kafka.values.length > 0 && (await committed()) > 0, 90_000, 100).catch((e: unknown) => {
        throw new Error(`${(e as Error).message}\n${first.stderr}`);
      });
      const killedAt = Date.now();
      first.kill('SIGKILL');
      await first.exited;
      await produceLines(client, input, lines.slice(half));
      await produceFinalWatermark(client, input, 2, lastTs + 86_400_000);
      receiverOf.mode = { kind: 'up' };
      const second = new ServeProcess([...flags, '--port', '0']);
      serve = second;
      const ids = await settled(kafka, receiverOf, group, input, () => second.stderr);
      const answered = receiverOf.answeredCounts();
      console.log(
        `serve webhook after kill -9: ${kafka.values.length} alerts on Kafka (${kafka.values.length - ids.size} sent again after the restart), ` +
          `${ids.size} ids, each delivered once; all delivered ${Date.now() - killedAt} ms after the kill`,
      );
      expect(second.stderr).toContain('restored checkpoint');
      // The same alerts as the uninterrupted run (when it ran first).
      if (expected.size > 0) expect([...ids].sort()).toEqual([...expected].sort());
      expect(kafka.values.length).toBeGreaterThanOrEqual(ids.size);
      expect([...answered.keys()].sort()).toEqual([...ids].sort());
      expect([...answered].filter(([, n]) => n !== 1)).toEqual([]);
      second.kill('SIGTERM');
      expect((await second.exited).code, second.stderr).toBe(0);
    } finally {
      await receiverOf.close();
    }
  }, 180_000);

  it('refuses to start when a webhook secret is missing from the environment, naming the rule and the variable', async () => {
    const rules = rulesWithWebhook('vigil-it-unused', 'http://127.0.0.1:9/hook');
    const run = promisify(execFile)(process.execPath, [join(REPO, 'bin', 'vigil.js'), 'serve', '--rules', rules, '--port', '0'], {
      cwd: REPO,
      env: { ...process.env, HOOK_SECRET: undefined },
      timeout: 30_000,
    });
    const failed = (await run.then(
      () => null,
      (e: unknown) => e,
    )) as { code: number; stderr: string } | null;
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/cloned-plate\.yaml:\d+:\d+: rule cloned-plate: routes\[1\]\.webhook\.secret: environment variable HOOK_SECRET is not set/);
  }, 60_000);
});
