/**
 * The Kafka broker stopped for 30 s under a running `vigil serve`, then started again: the same process resumes by
 * itself, and the alert topic ends up with exactly the alert ids `vigil run` gives on the same input (none lost,
 * none new). The broker is a private one (services/kafka/start.sh on a port of its own): the shared broker on 9092
 * is never touched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaClient } from '../../src/io/kafka/client.js';
import { Leftovers, produceFinalWatermark, produceLines, ServeProcess, sampleTraffic, serveFlags, TopicReader, until } from '../serve/harness.js';
import { difference, PrivateKafka, referenceAlerts, serviceLog, sleep } from './outage-harness.js';

const PARTITIONS = 2;
const OUTAGE_MS = 30_000;
const kafka = new PrivateKafka();
const leftovers = new Leftovers();
let client: KafkaClient | undefined;
let serve: ServeProcess | undefined;
const readers: TopicReader[] = [];

beforeAll(async () => {
  // The first start on a clean clone may fetch the broker's jars (start.sh): minutes, not seconds.
  await kafka.start();
  client = new KafkaClient({ brokers: kafka.brokers, clientId: 'vigil-test-outage-kafka' });
}, 600_000);

afterAll(async () => {
  serve?.kill('SIGKILL');
  for (const r of readers) await r.stop().catch(() => undefined);
  await client?.close().catch(() => undefined);
  // Leftovers in the shared Redis (checkpoints, first_seen, history); the broker's topics go with its data folder.
  await leftovers.cleanRedis();
  await kafka.remove();
}, 120_000);

describe('vigil serve through a Kafka broker outage', () => {
  it('resumes by itself after the broker was down for 30 s, with the alert ids of vigil run', async () => {
    const c = client as KafkaClient;
    const { lines, lastTs } = sampleTraffic();
    const expected = await referenceAlerts(lines);
    expect(expected.size).toBeGreaterThan(10);
    const [input, alerts, late, dead] = ['in', 'alerts', 'late', 'dlq'].map((t) => `vigil-outage-${t}`) as [string, string, string, string];
    // Alerts carry their event time as the message time: the sample's, months back, which the broker's 24 h
    // retention would delete when it restarts. Kept for good here (the broker is deleted with its data).
    await c.ensureTopics([{ topic: input, partitions: PARTITIONS }, { topic: alerts, config: { 'retention.ms': '-1' } }, { topic: late }, { topic: dead }]);
    const group = leftovers.group('vigil-outage-kafka');
    const flags = serveFlags({ input, group, alerts, late, dead, firstSeenPrefix: leftovers.firstSeenPrefix(), checkpointSeconds: 1 });
    const half = Math.floor(lines.length / 2);
    await produceLines(c, input, lines.slice(0, half));
    const p = new ServeProcess([...flags, '--port', '0'], { kafka: kafka.brokers });
    serve = p;
    // A fresh broker creates its offsets topic on first use: the group's coordinator may not answer yet.
    const committed = async (): Promise<number> =>
      [...(await c.committedOffsets(group, input).catch(() => new Map<number, number>())).values()].reduce((a, b) => a + b, 0);
    await until('the first half checkpointed', async () => (await committed()) >= half, 90_000, 200).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\n${p.stderr}`);
    });
    await c.close();

    const stoppedAt = Date.now();
    await kafka.stop();
    await sleep(OUTAGE_MS);
    // Still the same process: it waited for the broker instead of exiting.
    expect(p.child.exitCode, p.stderr).toBeNull();
    await kafka.start();
    const back = Date.now();
    await produceLines(c, input, lines.slice(half));
    await produceFinalWatermark(c, input, PARTITIONS, lastTs + 86_400_000);
    // Read from the start after the restart: the topic holds what was sent before the outage and after it.
    const reader = new TopicReader(c, alerts);
    readers.push(reader);
    await reader.start();
    await until('every alert of vigil run on the alert topic', () => [...expected.keys()].every((id) => reader.ids().has(id)), 180_000, 200).catch(
      (e: unknown) => {
        const { missing } = difference(new Set(expected.keys()), reader.ids());
        throw new Error(`${(e as Error).message}: ${missing.length} of ${expected.size} missing\n${serviceLog(p.stderr)}\n${p.stderr.slice(-1500)}`);
      },
    );
    const resumedMs = Date.now() - back;
    // Strays would come with the rest: wait for the whole input to be checkpointed, then compare.
    await until('the whole input checkpointed', async () => (await committed()) >= lines.length + PARTITIONS, 60_000, 200);
    await sleep(2000);
    expect(difference(new Set(expected.keys()), reader.ids())).toEqual({ missing: [], extra: [] });
    expect(p.child.exitCode, p.stderr).toBeNull();
    console.log(
      `kafka outage: broker down ${((back - stoppedAt) / 1000).toFixed(1)} s (restart included); every one of ${expected.size} alerts on the topic ` +
        `${(resumedMs / 1000).toFixed(1)} s after the broker was back; ${reader.values.length} messages (${reader.values.length - expected.size} sent again)`,
    );
    // Stopped while the broker is away again: it says what it could not close and exits 0 within its 30 s deadline
    // (the next process resumes from the last checkpoint), instead of hanging on the clients' retries.
    await reader.stop().catch(() => undefined);
    await c.close();
    await kafka.stop();
    p.kill('SIGTERM');
    const exit = await p.exited;
    expect(exit.code, p.stderr).toBe(0);
    expect(p.stderr).toMatch(/not stopped after|not closed cleanly|no final checkpoint/);
  }, 420_000);
});
