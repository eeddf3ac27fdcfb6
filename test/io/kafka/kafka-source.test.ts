import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CollectSink, decodeCheckpoint, encodeCheckpoint, eventTimeField, JobGraph, Task } from '../../../src/core/index.js';
import { KafkaClient } from '../../../src/io/kafka/client.js';
import { type AssignmentChange, type KafkaRecord, KafkaSource, kafkaValueDeserializer } from '../../../src/io/kafka/kafka-source.js';
import { parseNdjsonLine } from '../../../src/io/ndjson-parse.js';
import { BROKERS, requireBroker, uniqueName, until } from './broker.js';

const client = new KafkaClient({ brokers: BROKERS, clientId: 'vigil-test-source' });
const topics: string[] = [];
const sources: KafkaSource[] = [];

beforeAll(requireBroker);
afterAll(async () => {
  for (const s of sources) await s.close().catch(() => undefined);
  await client.deleteTopics(topics).catch(() => undefined);
  await client.close();
});

const T0 = 1_700_000_000_000;
const KEYS = 17;

async function freshTopic(partitions: number): Promise<string> {
  const topic = uniqueName('vigil-it-src');
  topics.push(topic);
  await client.ensureTopics([{ topic, partitions }]);
  return topic;
}

/** Produces records n = from..to-1, keyed `plate-(n % KEYS)`, so one key's records share a partition, in n order. */
async function produce(topic: string, from: number, to: number, pad = 0): Promise<void> {
  const producer = client.producer({ idempotent: true });
  await producer.connect();
  try {
    for (let start = from; start < to; start += 500) {
      const messages = [];
      for (let n = start; n < Math.min(to, start + 500); n++) {
        messages.push({ key: `plate-${n % KEYS}`, value: JSON.stringify({ id: `r${n}`, n, ts: T0 + n * 1000, pad: 'x'.repeat(pad) }) });
      }
      await producer.send({ topic, messages, acks: -1 });
    }
  } finally {
    await producer.disconnect();
  }
}

function source(topic: string, groupId: string, extra: Partial<ConstructorParameters<typeof KafkaSource>[0]> = {}): KafkaSource {
  const s = new KafkaSource({ client, topic, groupId, heartbeatIntervalMs: 300, sessionTimeoutMs: 10_000, ...extra });
  sources.push(s);
  return s;
}

interface Out {
  readonly id: string;
  readonly n: number;
  readonly key: string;
}

/** source -> parse NDJSON value -> map -> CollectSink. */
function job(src: KafkaSource): { task: Task; out: CollectSink<Out> } {
  const graph = new JobGraph('kafka-it');
  const out = new CollectSink<Out>();
  graph
    .source<KafkaRecord, Record<string, unknown>>('in', {
      source: src,
      deserialize: kafkaValueDeserializer(parseNdjsonLine),
      eventTime: eventTimeField('ts'),
      watermarks: { outOfOrdernessMs: 0 },
    })
    .map('shape', (r) => ({ id: String(r['id']), n: Number(r['n']), key: `plate-${Number(r['n']) % KEYS}` }))
    .to('out', out);
  return { task: new Task(graph), out };
}

async function stepUntil(task: Task, what: string, done: () => boolean, timeoutMs = 15_000): Promise<void> {
  await until(
    what,
    async () => {
      if (done()) return true;
      if ((await task.step()) === 'idle') await new Promise((r) => setTimeout(r, 10));
      return done();
    },
    timeoutMs,
    0,
  );
}

describe('KafkaSource', () => {
  it('feeds a task; a checkpoint taken mid-way and restored into a new consumer loses and duplicates nothing', async () => {
    const N = 600;
    const topic = await freshTopic(3);
    await produce(topic, 0, N);
    const groupId = uniqueName('vigil-it-group');

    const src1 = source(topic, groupId, { maxBuffered: 100 });
    await src1.start();
    expect(src1.partitions()).toEqual([0, 1, 2]);
    const run1 = job(src1);
    await stepUntil(run1.task, 'half the records', () => run1.out.values.length >= N / 2);
    await run1.task.flush();
    // Through the codec, as a stored checkpoint would be.
    const cp = decodeCheckpoint(encodeCheckpoint(run1.task.snapshot()));
    const atCheckpoint = run1.out.values.length;
    expect(atCheckpoint).toBeLessThan(N);
    // Positions are next offsets per partition: together they count the records handed to the task.
    const positions = cp.source.positions;
    for (const p of Object.keys(positions)) expect(['0', '1', '2']).toContain(p);
    expect(Object.values(positions).reduce((a, b) => a + b, 0)).toBe(atCheckpoint);
    await src1.commit(positions);
    expect(Object.fromEntries(await client.committedOffsets(groupId, topic))).toEqual(positions);

    // Work done after the checkpoint is lost in the "crash" that follows. The group's committed offsets even move
    // past the checkpoint (a later checkpoint that was never stored): restore must seek back regardless.
    await stepUntil(run1.task, 'more records after the checkpoint', () => run1.out.values.length >= atCheckpoint + 50);
    await src1.commit();
    expect([...(await client.committedOffsets(groupId, topic)).values()].reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(atCheckpoint + 50);
    await run1.task.close();

    const src2 = source(topic, groupId);
    await src2.start();
    const run2 = job(src2);
    await run2.task.restore(cp);
    await stepUntil(run2.task, 'the rest of the records', () => run2.out.values.length >= N - atCheckpoint);
    // Nothing more may come: step a while longer.
    const settle = Date.now() + 700;
    while (Date.now() < settle) if ((await run2.task.step()) === 'idle') await new Promise((r) => setTimeout(r, 20));

    const all = [...run1.out.values.slice(0, atCheckpoint), ...run2.out.values];
    expect(all).toHaveLength(N);
    expect(new Set(all.map((o) => o.id)).size).toBe(N);
    // Per key (hence per partition) the order of the topic is kept across the restore.
    const lastByKey = new Map<string, number>();
    for (const o of all) {
      expect(o.n).toBeGreaterThan(lastByKey.get(o.key) ?? -1);
      lastByKey.set(o.key, o.n);
    }
    // Event time flowed: the restored task's watermark reached the largest timestamp of what it read.
    expect(run2.task.watermark).toBeGreaterThanOrEqual(T0);
    await run2.task.close();
  });

  it('batches are contiguous runs of one partition with the offsets of their records', async () => {
    const topic = await freshTopic(2);
    await produce(topic, 0, 200);
    const src = source(topic, uniqueName('vigil-it-group'));
    await src.start();
    const seen = new Map<number, number[]>();
    await until('all 200 records', async () => {
      const r = await src.poll();
      if (r !== 'idle' && r !== 'end') {
        r.records.forEach((rec, i) => {
          expect(rec.partition).toBe(r.partition);
          expect(rec.offset).toBe(r.firstOffset + i);
          expect(rec.key).toMatch(/^plate-\d+$/);
          expect(rec.timestamp).toBeGreaterThan(0);
        });
        seen.set(r.partition, [...(seen.get(r.partition) ?? []), ...r.records.map((x) => x.offset)]);
      }
      return [...seen.values()].reduce((a, l) => a + l.length, 0) >= 200;
    });
    for (const [p, offsets] of seen) {
      expect(offsets).toEqual(offsets.map((_, i) => i));
      expect(src.positions()[p]).toBe(offsets.length);
    }
    expect(await src.poll()).toBe('idle');
    await src.close();
    expect(await src.poll()).toBe('end');
  });

  it('pauses fetching while its buffer is full and resumes as poll() drains it', async () => {
    const N = 1500;
    const topic = await freshTopic(3);
    await produce(topic, 0, N, 100);
    const src = source(topic, uniqueName('vigil-it-group'), { maxBuffered: 50, maxBytesPerPartition: 16 * 1024 });
    await src.start();
    await until('a first fetch', () => src.bufferedRecords > 0);
    await new Promise((r) => setTimeout(r, 1500));
    // Paused after the first fetches: far less than the topic is held (each fetch is at most 16 KiB per partition).
    const held = src.bufferedRecords;
    expect(held).toBeGreaterThanOrEqual(50);
    expect(held).toBeLessThan(N / 2);
    let got = 0;
    await until(
      'every record',
      async () => {
        const r = await src.poll();
        if (r !== 'idle' && r !== 'end') got += r.records.length;
        return got >= N;
      },
      20_000,
      0,
    );
    expect(got).toBe(N);
    await src.close();
  });

  it('a seek that drops a full, paused buffer resumes fetching (a restore after the first fetches)', async () => {
    const N = 1500;
    const topic = await freshTopic(1);
    await produce(topic, 0, N, 100);
    const src = source(topic, uniqueName('vigil-it-group'), { maxBuffered: 50, maxBytesPerPartition: 16 * 1024 });
    await src.start();
    await until('the buffer full (the consumer paused)', () => src.bufferedRecords >= 50);
    // What a restore does: back to a checkpoint's offset, dropping what was fetched past it.
    await src.seek({ 0: 100 });
    let got = 0;
    let first = -1;
    await until(
      'every record from the sought offset',
      async () => {
        const r = await src.poll();
        if (r !== 'idle' && r !== 'end') {
          if (first < 0) first = r.firstOffset;
          got += r.records.length;
        }
        return got >= N - 100;
      },
      20_000,
      0,
    );
    expect(first).toBe(100);
    expect(got).toBe(N - 100);
    await src.close();
  });

  it('reports a rebalance to onAssignment; with positions committed first, two members read every record once', async () => {
    const N = 300;
    const topic = await freshTopic(3);
    await produce(topic, 0, N);
    const groupId = uniqueName('vigil-it-group');
    const changesA: AssignmentChange[] = [];
    const a = source(topic, groupId, { onAssignment: (c) => void changesA.push(c), maxBuffered: 60 });
    await a.start();
    expect(a.partitions()).toEqual([0, 1, 2]);
    expect(changesA).toEqual([{ partitions: [0, 1, 2], assigned: [0, 1, 2], revoked: [] }]);

    const ids = { a: [] as string[], b: [] as string[] };
    const pollInto = async (s: KafkaSource, into: string[]): Promise<void> => {
      const r = await s.poll();
      if (r === 'idle' || r === 'end') return;
      expect(s.partitions()).toContain(r.partition);
      into.push(...r.records.map((x) => `${x.partition}:${x.offset}`));
    };
    await until('A to read a part', async () => {
      await pollInto(a, ids.a);
      return ids.a.length >= 100;
    });
    await a.commit(); // what A handed out is done (a checkpoint was stored)

    let releaseB: () => void = () => undefined;
    const bHookDone = new Promise<void>((r) => (releaseB = r));
    const changesB: AssignmentChange[] = [];
    const b = source(topic, groupId, {
      onAssignment: async (c) => {
        changesB.push(c);
        if (changesB.length === 1) await bHookDone; // the service restoring state: no records meanwhile
      },
    });
    const bStarted = b.start();
    // A is not polled until it knows its new assignment, so it hands out nothing of what it loses.
    await until('the rebalance to reach A and B', () => a.generation >= 2 && changesB.length >= 1, 25_000);
    expect([...a.partitions(), ...(changesB[0]?.partitions ?? [])].sort()).toEqual([0, 1, 2]);
    expect(a.partitions().length).toBeGreaterThan(0);
    expect(changesA.at(-1)?.revoked).toEqual(changesB[0]?.partitions);
    expect(changesA.at(-1)?.assigned).toEqual([]);

    // B holds its records back until its hook has finished.
    await new Promise((r) => setTimeout(r, 300));
    expect(await b.poll()).toBe('idle');
    releaseB();
    await bStarted;

    await until(
      'every record, read by A or B',
      async () => {
        await pollInto(a, ids.a);
        await pollInto(b, ids.b);
        return ids.a.length + ids.b.length >= N;
      },
      15_000,
      5,
    );
    await new Promise((r) => setTimeout(r, 300));
    await pollInto(a, ids.a);
    await pollInto(b, ids.b);
    const all = [...ids.a, ...ids.b];
    expect(all).toHaveLength(N);
    expect(new Set(all).size).toBe(N);
    await b.close();
    await a.close();
  }, 30_000);
});
