import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaClient } from '../../../src/io/kafka/client.js';
import { KafkaSink } from '../../../src/io/kafka/kafka-sink.js';
import { type KafkaRecord, KafkaSource } from '../../../src/io/kafka/kafka-source.js';
import { BROKERS, requireBroker, uniqueName, until } from './broker.js';

const client = new KafkaClient({ brokers: BROKERS, clientId: 'vigil-test-sink' });
const topics: string[] = [];

beforeAll(requireBroker);
afterAll(async () => {
  await client.deleteTopics(topics).catch(() => undefined);
  await client.close();
});

interface Alert {
  readonly key: string;
  readonly n: number;
}

async function freshTopic(partitions: number): Promise<string> {
  const topic = uniqueName('vigil-it-sink');
  topics.push(topic);
  await client.ensureTopics([{ topic, partitions }]);
  return topic;
}

/**
 * Reads a topic from the start until `done` says so, then goes on reading for `settleMs` so that records that
 * must not be there have their chance to show up. read_committed unless asked otherwise.
 */
async function readUntil(topic: string, done: (got: KafkaRecord[]) => boolean, readUncommitted = false, settleMs = 300): Promise<KafkaRecord[]> {
  const src = new KafkaSource({ client, topic, groupId: uniqueName('vigil-it-reader'), readUncommitted });
  await src.start();
  const got: KafkaRecord[] = [];
  try {
    await until(
      `records on ${topic}`,
      async () => {
        const r = await src.poll();
        if (r !== 'idle' && r !== 'end') got.push(...r.records);
        return done(got);
      },
      15_000,
      5,
    );
    const settle = Date.now() + settleMs;
    while (Date.now() < settle) {
      const r = await src.poll();
      if (r !== 'idle' && r !== 'end') got.push(...r.records);
      else await new Promise((res) => setTimeout(res, 10));
    }
  } finally {
    await src.close();
  }
  return got;
}

const values = (records: readonly KafkaRecord[]): number[] => records.map((r) => (JSON.parse(r.value) as Alert).n);

describe('KafkaSink', () => {
  it('buffers writes and sends them keyed on flush: same key, same partition, in order, event time as timestamp', async () => {
    const topic = await freshTopic(3);
    const sink = new KafkaSink<Alert>({ client, topic, key: (a) => a.key, maxBatchMessages: 16 });
    for (let n = 0; n < 40; n++) sink.write({ key: `plate-${n % 5}`, n }, 1_700_000_000_000 + n);
    expect(sink.buffered).toBe(40);
    expect(sink.sentCount).toBe(0);
    await sink.flush();
    expect(sink.buffered).toBe(0);
    expect(sink.sentCount).toBe(40);
    await sink.close();

    const got = await readUntil(topic, (g) => g.length >= 40);
    expect(got).toHaveLength(40);
    const partitionOf = new Map<string, number>();
    const lastN = new Map<string, number>();
    for (const r of got) {
      const a = JSON.parse(r.value) as Alert;
      expect(r.key).toBe(a.key);
      expect(r.timestamp).toBe(1_700_000_000_000 + a.n);
      expect(partitionOf.get(a.key) ?? r.partition).toBe(r.partition);
      partitionOf.set(a.key, r.partition);
      expect(a.n).toBeGreaterThan(lastN.get(a.key) ?? -1);
      lastN.set(a.key, a.n);
    }
    // Five keys over three partitions: more than one partition is used.
    expect(new Set(partitionOf.values()).size).toBeGreaterThan(1);
  });

  it('explicit transactions: committed records are visible, aborted and uncommitted ones never reach read_committed readers', async () => {
    const topic = await freshTopic(2);
    const sink = new KafkaSink<Alert>({ client, topic, key: (a) => a.key, transaction: { transactionalId: uniqueName('vigil-it-tx'), commit: 'explicit' } });
    const write = (from: number, to: number): void => {
      for (let n = from; n < to; n++) sink.write({ key: `k${n % 3}`, n }, Date.now());
    };
    write(0, 5);
    await sink.flush(); // pre-commit: sent inside the open transaction
    await sink.abort(); // the checkpoint failed
    write(100, 105);
    await sink.flush();
    write(105, 108); // written after the flush: commit() sends them too
    await sink.commit();
    write(200, 203);
    await sink.flush();
    await sink.close(); // an explicit transaction still open at close is aborted

    const marker = new KafkaSink<Alert>({ client, topic, key: () => 'end', transaction: { transactionalId: uniqueName('vigil-it-tx'), commit: 'on-flush' } });
    marker.write({ key: 'end', n: 999 }, Date.now());
    await marker.flush();
    await marker.close();

    const committed = await readUntil(topic, (g) => [999, 100, 107].every((n) => values(g).includes(n)), false, 700);
    expect(values(committed).sort((a, b) => a - b)).toEqual([100, 101, 102, 103, 104, 105, 106, 107, 999]);
    // The aborted records did reach the broker: a read_uncommitted reader sees them.
    const all = await readUntil(topic, (g) => values(g).includes(999) && values(g).includes(4) && values(g).includes(202), true);
    expect(values(all)).toEqual(expect.arrayContaining([0, 1, 2, 3, 4, 200, 201, 202]));
  });

  it('commits source positions to a consumer group inside the transaction', async () => {
    const topic = await freshTopic(1);
    const input = await freshTopic(2); // the job's input topic, whose offsets the group commits
    const groupId = uniqueName('vigil-it-group');
    const sink = new KafkaSink<Alert>({ client, topic, key: (a) => a.key, transaction: { transactionalId: uniqueName('vigil-it-tx'), commit: 'explicit' } });
    sink.write({ key: 'a', n: 1 }, Date.now());
    await sink.commit({ groupId, topic: input, positions: { 0: 42, 1: 7 } });
    await sink.close();
    // The coordinator completes transactional offset commits after the commit returns: they show up shortly.
    let committed: Record<string, number> = {};
    await until(
      'the offsets committed in the transaction',
      async () => {
        committed = Object.fromEntries(await client.committedOffsets(groupId, input));
        return Object.keys(committed).length === 2;
      },
      10_000,
      50,
    );
    expect(committed).toEqual({ 0: 42, 1: 7 });
    const got = await readUntil(topic, (g) => g.length >= 1);
    expect(values(got)).toEqual([1]);
  });
});
