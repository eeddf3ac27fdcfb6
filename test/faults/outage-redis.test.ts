/**
 * Redis stopped under a running `vigil serve` while input keeps coming, then started again: the same process
 * resumes by itself, the alerts are those of `vigil run` (first-entry answers included: no vehicle reported new
 * twice, none missed), and the webhook jobs that waited in Redis through the outage are delivered, once each.
 *
 * The Redis is a private one persisting to a temp folder (AOF), as a production Redis holding checkpoints,
 * first_seen and webhook queues must: one without persistence forgets every vehicle on restart, and no service can
 * then answer first-entry right. The shared Redis on 6379 is never touched.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { KafkaClient } from '../../src/io/kafka/client.js';
import { requireBroker } from '../io/kafka/broker.js';
import { TestReceiver } from '../io/webhook/receiver.js';
import {
  BROKERS,
  Leftovers,
  produceFinalWatermark,
  produceLines,
  rulesWithWebhook,
  ServeProcess,
  sampleTraffic,
  serveFlags,
  TopicReader,
  uniqueName,
  until,
} from '../serve/harness.js';
import { difference, PrivateRedis, referenceAlerts, sleep } from './outage-harness.js';

const PARTITIONS = 2;
const OUTAGE_MS = 20_000;
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const client = new KafkaClient({ brokers: BROKERS, clientId: 'vigil-test-outage-redis' });
const redis = new PrivateRedis();
const receiver = new TestReceiver(SECRET);
const leftovers = new Leftovers();
const topics: string[] = [];
let serve: ServeProcess | undefined;
let reader: TopicReader | undefined;

beforeAll(async () => {
  await requireBroker();
  await redis.start();
  await receiver.start();
  vi.stubEnv('HOOK_SECRET', SECRET);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  serve?.kill('SIGKILL');
  await reader?.stop().catch(() => undefined);
  await receiver.close();
  await client.deleteTopics(topics).catch(() => undefined);
  await leftovers.cleanTopics(client).catch(() => undefined);
  await client.close();
  await redis.remove();
});

describe('vigil serve through a Redis outage', () => {
  it('resumes by itself after Redis was down, with the alerts of vigil run, and delivers the webhook jobs that waited', async () => {
    const { lines, lastTs } = sampleTraffic();
    const expected = await referenceAlerts(lines);
    const firstEntries = [...expected.values()].filter((l) => l.includes('"rule":"first-entry"'));
    expect(firstEntries.length).toBeGreaterThan(10);
    const [input, alerts, late, dead] = ['in', 'alerts', 'late', 'dlq'].map((t) => uniqueName(`vigil-outage-redis-${t}`)) as [string, string, string, string];
    topics.push(input, alerts, late, dead);
    // The sample's event times (alerts' message times) are months back: no retention pass may delete them mid-test.
    await client.ensureTopics([
      { topic: input, partitions: PARTITIONS },
      { topic: alerts, config: { 'retention.ms': '-1' } },
      { topic: late },
      { topic: dead },
    ]);
    reader = new TopicReader(client, alerts);
    await reader.start();
    const kafka = reader;
    const group = leftovers.group('vigil-outage-redis');
    const flags = serveFlags({ input, group, alerts, late, dead, firstSeenPrefix: leftovers.firstSeenPrefix(), checkpointSeconds: 1 });
    flags[flags.indexOf('--rules') + 1] = rulesWithWebhook(alerts, receiver.url);
    // Down until Redis is back: every webhook job waits in Redis through the outage.
    receiver.mode = { kind: 'down' };
    // Every line before the outage, the final watermark during it. Most first-entry alerts wait out a 10-minute
    // confirmation window, so they come out with that watermark: vehicles are looked up in first_seen then (the
    // per-vehicle task asks as the watermark passes their records), while Redis is away.
    await produceLines(client, input, lines);
    const p = new ServeProcess([...flags, '--port', '0'], { redis: redis.url });
    serve = p;
    const committed = async (): Promise<number> => [...(await client.committedOffsets(group, input)).values()].reduce((a, b) => a + b, 0);
    await until(
      'every line checkpointed, alerts on Kafka and webhook jobs tried',
      async () => (await committed()) >= lines.length && kafka.values.length > 0 && receiver.arrivals.length > 0,
      90_000,
      200,
    ).catch(async (e: unknown) => {
      throw new Error(
        `${(e as Error).message} (committed ${await committed()}, ${kafka.values.length} alerts, ${receiver.arrivals.length} POSTs)\n${p.stderr}`,
      );
    });
    const before = kafka.ids().size;

    await redis.stop();
    // Input keeps coming while Redis is away: first_seen cannot be asked, checkpoints cannot be stored.
    await produceFinalWatermark(client, input, PARTITIONS, lastTs + 86_400_000);
    await sleep(OUTAGE_MS);
    expect(p.child.exitCode, p.stderr).toBeNull();
    await redis.start();
    const back = Date.now();

    await until('every alert of vigil run on Kafka', () => [...expected.keys()].every((id) => kafka.ids().has(id)), 120_000, 200).catch((e: unknown) => {
      const { missing } = difference(new Set(expected.keys()), kafka.ids());
      throw new Error(`${(e as Error).message}: ${missing.length} of ${expected.size} missing\n${p.stderr.slice(-4000)}`);
    });
    const resumedMs = Date.now() - back;
    await until('the whole input checkpointed', async () => (await committed()) >= lines.length + PARTITIONS, 60_000, 200);
    await sleep(2000);
    const ids = kafka.ids();
    expect(difference(new Set(expected.keys()), ids)).toEqual({ missing: [], extra: [] });
    // first_seen answered as vigil run's in-memory store did: each vehicle reported new once, none missed.
    const newVehicles = kafka.values.filter((v) => v.value['rule'] === 'first-entry');
    const byKey = new Map<string, Set<string>>();
    for (const v of newVehicles) byKey.set(String(v.value['key']), (byKey.get(String(v.value['key'])) ?? new Set()).add(String(v.value['id'])));
    expect([...byKey].filter(([, s]) => s.size > 1)).toEqual([]);
    expect(byKey.size).toBe(firstEntries.length);

    // The webhook jobs enqueued before the outage survived it; every alert is delivered once per id.
    receiver.mode = { kind: 'up' };
    await until('every alert answered by the receiver', () => [...ids].every((id) => receiver.answeredCounts().has(id)), 120_000, 200).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\n${p.stderr.slice(-4000)}`);
    });
    await sleep(2000);
    const answered = receiver.answeredCounts();
    expect([...answered.keys()].sort()).toEqual([...ids].sort());
    expect([...answered].filter(([, n]) => n !== 1)).toEqual([]);
    expect(p.child.exitCode, p.stderr).toBeNull();
    console.log(
      `redis outage: down ${OUTAGE_MS / 1000} s with ${before} of ${expected.size} alerts out before; all ${expected.size} on Kafka ` +
        `${(resumedMs / 1000).toFixed(1)} s after Redis was back (${kafka.values.length - ids.size} sent again); ${answered.size} delivered once each, ` +
        `${receiver.arrivals.length} POSTs in all`,
    );
    p.kill('SIGTERM');
    expect((await p.exited).code, p.stderr).toBe(0);
  }, 360_000);
});
