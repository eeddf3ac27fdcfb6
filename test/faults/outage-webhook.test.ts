/**
 * A webhook receiver down (503) for two minutes, then slow (2 s an answer): every alert reaches Kafka as if there
 * were no webhook (all of them while the receiver has not answered one), and once it is back each alert is delivered
 * once per idempotency key (webhook-id), signed. Prints how long the alert topic took with and without the route.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { KafkaClient } from '../../src/io/kafka/client.js';
import { connectRedis } from '../../src/io/redis/client.js';
import { requireBroker } from '../io/kafka/broker.js';
import { TestReceiver, unlinkPrefix } from '../io/webhook/receiver.js';
import {
  BROKERS,
  Leftovers,
  produceFinalWatermark,
  produceLines,
  REDIS,
  rulesRoutedTo,
  rulesWithWebhook,
  ServeProcess,
  sampleTraffic,
  serveFlags,
  TopicReader,
  uniqueName,
  until,
} from '../serve/harness.js';
import { difference, referenceAlerts, sleep } from './outage-harness.js';

const PARTITIONS = 2;
const DOWN_MS = 120_000;
const SLOW_MS = 2000;
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const client = new KafkaClient({ brokers: BROKERS, clientId: 'vigil-test-outage-webhook' });
const receiver = new TestReceiver(SECRET);
const leftovers = new Leftovers();
const topics: string[] = [];
const groups: string[] = [];
const processes: ServeProcess[] = [];
const readers: TopicReader[] = [];

beforeAll(async () => {
  await requireBroker();
  await receiver.start();
  vi.stubEnv('HOOK_SECRET', SECRET);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  for (const p of processes) p.kill('SIGKILL');
  for (const r of readers) await r.stop().catch(() => undefined);
  await receiver.close();
  await client.deleteTopics(topics).catch(() => undefined);
  await leftovers.clean(client);
  const redis = await connectRedis({ url: REDIS, connectionName: 'vigil-test-outage-webhook-leftovers' });
  for (const g of groups) await unlinkPrefix(redis, `vigil-webhooks.${g}`);
  redis.disconnect();
  await client.close();
});

interface Run {
  readonly process: ServeProcess;
  readonly reader: TopicReader;
  readonly started: number;
}

/** A serve process over its own copy of the input (every line and the final watermark), its rules from `rules(alerts)`. */
async function run(name: string, rules: (alerts: string) => string): Promise<Run> {
  const { lines, lastTs } = sampleTraffic();
  const [input, alerts, late, dead] = ['in', 'alerts', 'late', 'dlq'].map((t) => uniqueName(`vigil-outage-wh-${name}-${t}`)) as [
    string,
    string,
    string,
    string,
  ];
  topics.push(input, alerts, late, dead);
  // The sample's event times (alerts' message times) are months back: no retention pass may delete them mid-test.
  await client.ensureTopics([{ topic: input, partitions: PARTITIONS }, { topic: alerts, config: { 'retention.ms': '-1' } }, { topic: late }, { topic: dead }]);
  await produceLines(client, input, lines);
  await produceFinalWatermark(client, input, PARTITIONS, lastTs + 86_400_000);
  const reader = new TopicReader(client, alerts);
  readers.push(reader);
  await reader.start();
  const group = leftovers.group(`vigil-outage-wh-${name}`);
  groups.push(group);
  const flags = serveFlags({ input, group, alerts, late, dead, firstSeenPrefix: leftovers.firstSeenPrefix(), checkpointSeconds: 1 });
  flags[flags.indexOf('--rules') + 1] = rules(alerts);
  const process = new ServeProcess([...flags, '--port', '0']);
  processes.push(process);
  return { process, reader, started: Date.now() };
}

/** Waits for every expected id on the run's alert topic; the milliseconds it took since the process started. */
async function allOnKafka(r: Run, expected: ReadonlySet<string>): Promise<number> {
  await until('every alert of vigil run on Kafka', () => [...expected].every((id) => r.reader.ids().has(id)), 90_000, 100).catch((e: unknown) => {
    const { missing } = difference(expected, r.reader.ids());
    throw new Error(`${(e as Error).message}: ${missing.length} of ${expected.size} missing\n${r.process.stderr.slice(-4000)}`);
  });
  return Date.now() - r.started;
}

describe('vigil serve with a webhook receiver down, then slow', () => {
  it('keeps the alert topic going while the receiver is down, and delivers every alert once per id when it is back', async () => {
    const expected = new Set((await referenceAlerts(sampleTraffic().lines)).keys());
    expect(expected.size).toBeGreaterThan(10);
    receiver.mode = { kind: 'down' };
    // Shorter back-off and breaker cool-down than the defaults (1 s, 30 s): the file's wall time stays under 3 minutes.
    const hooked = await run('hooked', (alerts) => rulesWithWebhook(alerts, receiver.url, 'backoff: 250ms, breaker_cooldown: 5s'));
    const withWebhookMs = await allOnKafka(hooked, expected);
    // Every alert reached Kafka while the receiver had taken none: the alert path does not wait for webhooks.
    expect(receiver.mode.kind).toBe('down');
    expect(receiver.answeredCounts().size).toBe(0);

    // The same input through a process without the webhook route, while the receiver is still down.
    const plain = await run('plain', rulesRoutedTo);
    const withoutMs = await allOnKafka(plain, expected);
    plain.process.kill('SIGTERM');
    expect((await plain.process.exited).code, plain.process.stderr).toBe(0);
    expect(difference(expected, plain.reader.ids())).toEqual({ missing: [], extra: [] });

    await sleep(Math.max(0, hooked.started + DOWN_MS - Date.now()));
    const downArrivals = receiver.arrivals.length;
    receiver.mode = { kind: 'slow', delayMs: SLOW_MS };
    const back = Date.now();
    await until('every alert answered by the receiver', () => [...expected].every((id) => receiver.answeredCounts().has(id)), 150_000, 200).catch(
      (e: unknown) => {
        throw new Error(`${(e as Error).message}: ${receiver.answeredCounts().size} of ${expected.size}\n${hooked.process.stderr.slice(-4000)}`);
      },
    );
    const deliveredMs = Date.now() - back;
    await sleep(2000);
    expect(difference(expected, hooked.reader.ids())).toEqual({ missing: [], extra: [] });
    const answered = receiver.answeredCounts();
    expect([...answered.keys()].sort()).toEqual([...expected].sort());
    expect([...answered].filter(([, n]) => n !== 1)).toEqual([]);
    expect(receiver.arrivals.filter((a) => !a.verified)).toEqual([]);
    console.log(
      `webhook outage: all ${expected.size} alerts on Kafka ${(withWebhookMs / 1000).toFixed(1)} s after start with the receiver down, ` +
        `${(withoutMs / 1000).toFixed(1)} s without a webhook route; ${downArrivals} POSTs in ${DOWN_MS / 1000} s down (breaker), ` +
        `all delivered once each ${(deliveredMs / 1000).toFixed(1)} s after it came back at ${SLOW_MS} ms an answer; ${receiver.arrivals.length} POSTs in all`,
    );
    hooked.process.kill('SIGTERM');
    expect((await hooked.process.exited).code, hooked.process.stderr).toBe(0);
  }, 330_000);
});
