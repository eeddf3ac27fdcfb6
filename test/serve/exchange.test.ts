import { describe, expect, it } from 'vitest';
import {
  type ExchangeItem,
  type ExchangeMessage,
  ExchangeReader,
  ExchangeWriter,
  PartitionFeed,
  partitionOf,
  producerId,
  RecordJson,
} from '../../src/app/service/exchange.js';
import type { EventCodec } from '../../src/cep/snapshot.js';
import type { SourceBatch, SourcePositions } from '../../src/core/index.js';
import { identityCodec, identityOf, setIdentity } from '../../src/dsl/compile/identity.js';
import type { KafkaSink } from '../../src/io/kafka/kafka-sink.js';

// ---------------------------------------------------------------------------------------------------------------
// Helpers

const codec = identityCodec as EventCodec<unknown>;

interface Written {
  readonly partition: number;
  readonly key: string | null;
  readonly body: Record<string, unknown>;
  readonly timestamp: number;
}

/** Stands in for the repartition topic's KafkaSink: keeps what was written. */
function fakeSink(): { sink: KafkaSink<ExchangeMessage>; written: Written[]; raw: ExchangeMessage[] } {
  const written: Written[] = [];
  const raw: ExchangeMessage[] = [];
  const sink = {
    write(m: ExchangeMessage, timestamp: number): void {
      raw.push(m);
      written.push({ partition: m.partition, key: m.key, body: JSON.parse(m.body) as Record<string, unknown>, timestamp });
    },
  };
  return { sink: sink as unknown as KafkaSink<ExchangeMessage>, written, raw };
}

type Rec = { k: string | null; n: number };
const byK = (r: unknown): string => (r as Rec).k as string;

function writer(partitions = 4, producer = 'p#0#0') {
  const s = fakeSink();
  const w = new ExchangeWriter('exchange-out:x:0', producer, byK, partitions, s.sink, new RecordJson(codec));
  return { w, ...s };
}

/*
 * The tests read records out of the writer's messages whichever way they are framed: one message per record
 * ({f, s, t, v}) or one per producer, partition and batch ({f, b: [{s, t, v}, ...]}). Records may wait in the writer
 * until flushWatermark, so the tests flush before they look; watermark and idle messages ({f, w}, {f, i: 1}) are
 * the same either way.
 */
interface Envelope {
  readonly partition: number;
  readonly f: unknown;
  readonly s: unknown;
  readonly t: unknown;
  readonly v: unknown;
}

function recordsWritten(written: readonly Written[]): Envelope[] {
  const out: Envelope[] = [];
  for (const m of written) {
    const body = m.body as { f?: unknown; s?: unknown; t?: unknown; v?: unknown; b?: Array<{ s: unknown; t: unknown; v: unknown }> };
    if (Array.isArray(body.b)) for (const r of body.b) out.push({ partition: m.partition, f: body.f, s: r.s, t: r.t, v: r.v });
    else if (body.s !== undefined) out.push({ partition: m.partition, f: body.f, s: body.s, t: body.t, v: body.v });
  }
  return out;
}

/** The watermark and idle messages, in order. */
const controlsWritten = (written: readonly Written[]): Written[] => written.filter((m) => 'w' in m.body || 'i' in m.body);

/** One record's message as a real writer frames it: producer `f`, sequence number `s`, event time `t`. */
function rec(f: string, s: number, t: number, v: unknown = { k: 'a', n: s }): string {
  const { w, raw } = writer(1, f);
  w.restoreState({ seq: s - 1 });
  w.processElement(v, t);
  w.flushWatermark();
  if (raw.length !== 1) throw new Error(`expected one message for one record, got ${raw.length}`);
  return (raw[0] as ExchangeMessage).body;
}
const wm = (f: string, w: number): string => JSON.stringify({ f, w });
const idle = (f: string): string => JSON.stringify({ f, i: 1 });

/** A reader over partition 0 of topic 't'; `batch` pushes lines and polls them through. */
function reader(expected: readonly string[], seeks: number[] = []) {
  const feed = new PartitionFeed<string>('t', 0, async (offset) => {
    seeks.push(offset);
  });
  const r = new ExchangeReader(feed, expected, codec);
  let offset = 0;
  const batch = async (...lines: string[]): Promise<ExchangeItem[]> => {
    feed.push({ partition: 0, records: lines, firstOffset: offset, endOfPartition: false });
    offset += lines.length;
    const b = await r.poll();
    if (typeof b === 'string') throw new Error(`poll gave '${b}'`);
    return [...b.records];
  };
  return { feed, reader: r, batch, seeks };
}

const watermarksOf = (items: readonly ExchangeItem[]): number[] => items.flatMap((i) => ('w' in i ? [i.w] : []));
const recordsOf = (items: readonly ExchangeItem[]): unknown[] => items.flatMap((i) => ('v' in i ? [i.v] : []));

// ---------------------------------------------------------------------------------------------------------------
// partitionOf

describe('partitionOf', () => {
  it('is FNV-1a 32 of the key modulo the partitions (a stable mapping: repartition topics outlive processes)', () => {
    // FNV-1a("") = 0x811c9dc5, FNV-1a("a") = 0xe40c292c, FNV-1a("foobar") = 0xbf9cf968 (published test vectors).
    expect(partitionOf('', 1_000_000)).toBe(0x811c9dc5 % 1_000_000);
    expect(partitionOf('a', 1_000_000)).toBe(0xe40c292c % 1_000_000);
    expect(partitionOf('foobar', 1_000_000)).toBe(0xbf9cf968 % 1_000_000);
    expect(partitionOf('foobar', 2 ** 32 - 1)).toBe(0xbf9cf968 % (2 ** 32 - 1));
  });

  it('is stable and within range', () => {
    for (const n of [1, 2, 3, 7, 16, 100]) {
      for (let i = 0; i < 300; i++) {
        const key = `plate-${i}-ÄÖ-${'x'.repeat(i % 7)}`;
        const p = partitionOf(key, n);
        expect(Number.isInteger(p)).toBe(true);
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThan(n);
        expect(partitionOf(key, n)).toBe(p);
      }
    }
    expect(partitionOf('anything', 1)).toBe(0);
  });

  it('spreads keys over the partitions', () => {
    const n = 8;
    const counts = new Array<number>(n).fill(0);
    for (let i = 0; i < 4000; i++) {
      const p = partitionOf(`AB${String(i).padStart(4, '0')}`, n);
      counts[p] = (counts[p] ?? 0) + 1;
    }
    // 500 expected per partition; allow a wide margin, but no empty or hogging partition.
    for (const c of counts) {
      expect(c).toBeGreaterThan(350);
      expect(c).toBeLessThan(650);
    }
  });

  it('producer ids name the stage, partition and writer', () => {
    expect(producerId('by-plate', 3, 1)).toBe('by-plate#3#1');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// ExchangeWriter

describe('ExchangeWriter', () => {
  it("writes each record to its key's partition as {f, s, t, v} with a sequence number rising by one", () => {
    const { w, written } = writer(4, 'st#2#0');
    const recs: Rec[] = [
      { k: 'a', n: 1 },
      { k: 'b', n: 2 },
      { k: 'a', n: 3 },
      { k: 'zzz', n: 4 },
      { k: 'plate-77', n: 5 },
    ];
    recs.forEach((r, i) => {
      w.processElement(r, 100 + i);
    });
    w.flushWatermark();
    const got = recordsWritten(written).sort((x, y) => (x.s as number) - (y.s as number));
    expect(got).toEqual(recs.map((r, i) => ({ partition: partitionOf(r.k as string, 4), f: 'st#2#0', s: i + 1, t: 100 + i, v: r })));
    expect(new Set(got.map((e) => e.partition)).size).toBeGreaterThan(1);
    expect(controlsWritten(written)).toEqual([]);

    // The numbers go on rising across flushes.
    written.length = 0;
    w.processElement({ k: 'b', n: 6 }, 200);
    w.flushWatermark();
    expect(recordsWritten(written).map((e) => e.s)).toEqual([6]);
  });

  it('a record with a null key still travels, to the partition of the empty key', () => {
    const { w, written } = writer(5);
    w.processElement({ k: null, n: 1 }, 7);
    w.flushWatermark();
    expect(recordsWritten(written).map((e) => [e.partition, e.s])).toEqual([[partitionOf('', 5), 1]]);
  });

  it('encodes the record with the codec (a window result keeps its identity across the exchange)', () => {
    const { w, written } = writer(2);
    const r = { k: 'a', n: 1 };
    setIdentity(r, 'win|a|0|60');
    w.processElement(r, 5);
    w.flushWatermark();
    const [e] = recordsWritten(written);
    expect(e?.v).toEqual([{ k: 'a', n: 1 }, 'win|a|0|60']);
    expect(identityOf(identityCodec.decode(e?.v))).toBe('win|a|0|60');
  });

  it('flushWatermark sends no watermark before there is one', () => {
    const { w, written } = writer();
    w.flushWatermark();
    w.processWatermark(Number.NEGATIVE_INFINITY);
    w.flushWatermark();
    expect(written).toEqual([]);
  });

  it('flushWatermark broadcasts {f, w} to every partition, only when the watermark moved', () => {
    const { w, written } = writer(3, 'p#0#1');
    w.processWatermark(10);
    w.processWatermark(20); // several watermarks between flushes: the latest goes
    expect(written).toEqual([]); // nothing before the flush
    w.flushWatermark();
    expect(written).toEqual([0, 1, 2].map((p) => ({ partition: p, key: null, body: { f: 'p#0#1', w: 20 }, timestamp: -1 })));
    written.length = 0;

    w.flushWatermark();
    w.processWatermark(15); // backwards: ignored
    w.flushWatermark();
    w.processWatermark(20); // unchanged
    w.flushWatermark();
    w.processElement({ k: 'a', n: 1 }, 25); // a record does not move the watermark
    w.flushWatermark();
    expect(controlsWritten(written)).toEqual([]);

    w.processWatermark(30);
    w.flushWatermark();
    expect(controlsWritten(written).map((m) => [m.partition, m.body])).toEqual([0, 1, 2].map((p) => [p, { f: 'p#0#1', w: 30 }]));
  });

  it('records of a batch go before the watermark that follows them, on every partition they use', () => {
    const { w, written } = writer(3);
    w.processElement({ k: 'a', n: 1 }, 5);
    w.processElement({ k: 'b', n: 2 }, 6);
    w.processWatermark(6);
    w.flushWatermark();
    for (let p = 0; p < 3; p++) {
      const kinds = written.filter((m) => m.partition === p).map((m) => ('w' in m.body ? 'w' : 'i' in m.body ? 'i' : 'r'));
      expect(kinds.at(-1)).toBe('w');
      expect(kinds.filter((k) => k === 'w')).toHaveLength(1);
    }
    expect(recordsWritten(written)).toHaveLength(2);
  });

  it('the final watermark (+Infinity) travels as MAX_SAFE_INTEGER (JSON has no Infinity)', () => {
    const { w, written } = writer(2);
    w.processWatermark(Number.POSITIVE_INFINITY);
    w.flushWatermark();
    expect(written.map((m) => m.body)).toEqual([
      { f: 'p#0#0', w: Number.MAX_SAFE_INTEGER },
      { f: 'p#0#0', w: Number.MAX_SAFE_INTEGER },
    ]);
  });

  it('markIdle broadcasts {f, i: 1} once, and again only after a record ended the idle spell', () => {
    const { w, written } = writer(3, 'p#1#0');
    w.markIdle();
    expect(written).toEqual([0, 1, 2].map((p) => ({ partition: p, key: null, body: { f: 'p#1#0', i: 1 }, timestamp: -1 })));
    written.length = 0;
    w.markIdle();
    w.markIdle();
    expect(written).toEqual([]);
    w.processElement({ k: 'a', n: 1 }, 5);
    written.length = 0;
    w.markIdle();
    expect(controlsWritten(written).map((m) => m.body)).toEqual([0, 1, 2].map(() => ({ f: 'p#1#0', i: 1 })));
  });

  // The service calls markIdle() in one pass and flushWatermark() after it, every pass: the unchanged watermark
  // must not follow the idle marker (a reader would count the producer again).
  it('flushWatermark after markIdle sends nothing when the watermark has not moved', () => {
    const { w, written } = writer(3);
    w.processWatermark(10);
    w.flushWatermark();
    w.markIdle();
    written.length = 0;
    w.flushWatermark();
    w.flushWatermark();
    expect(written).toEqual([]);
  });

  it("an idle writer stops holding back the reader's watermark (writer -> reader, as the service loops)", async () => {
    const a = writer(1, 'A');
    const b = writer(1, 'B');
    const { batch } = reader(['A', 'B']);
    const drain = (): string[] => {
      const lines = [...a.raw, ...b.raw].map((m) => m.body);
      a.raw.length = 0;
      b.raw.length = 0;
      return lines;
    };
    a.w.processWatermark(10);
    b.w.processWatermark(10);
    a.w.flushWatermark();
    b.w.flushWatermark();
    expect(watermarksOf(await batch(...drain()))).toEqual([10]);
    // A has had no input for the idle timeout: the service marks its writers idle, then flushes every writer.
    a.w.markIdle();
    b.w.processWatermark(50);
    a.w.flushWatermark();
    b.w.flushWatermark();
    // B alone decides now.
    expect(watermarksOf(await batch(...drain()))).toEqual([50]);
  });

  it('snapshotState/restoreState keep the sequence, so a restored writer numbers records as before', () => {
    const { w } = writer(2);
    w.processElement({ k: 'a', n: 1 }, 1);
    w.processElement({ k: 'b', n: 2 }, 2);
    w.flushWatermark();
    const snap = JSON.parse(JSON.stringify(w.snapshotState())) as unknown;
    w.processElement({ k: 'c', n: 3 }, 3); // after the checkpoint: will be replayed

    const again = writer(2);
    again.w.restoreState(snap);
    again.w.processElement({ k: 'c', n: 3 }, 3);
    again.w.processElement({ k: 'd', n: 4 }, 4);
    again.w.flushWatermark();
    const got = recordsWritten(again.written).sort((x, y) => (x.s as number) - (y.s as number));
    expect(got.map((e) => [e.s, e.v])).toEqual([
      [3, { k: 'c', n: 3 }],
      [4, { k: 'd', n: 4 }],
    ]);

    const fresh = writer(2);
    fresh.w.restoreState(undefined);
    fresh.w.processElement({ k: 'a', n: 1 }, 1);
    fresh.w.flushWatermark();
    expect(recordsWritten(fresh.written).map((e) => e.s)).toEqual([1]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// PartitionFeed

describe('PartitionFeed', () => {
  const b = (firstOffset: number, ...records: string[]): SourceBatch<string> => ({ partition: 2, records, firstOffset, endOfPartition: false });

  it('hands out pushed batches in order, then idle; positions are after the last batch handed out', async () => {
    const feed = new PartitionFeed<string>('rep', 2, async () => {});
    expect(feed.name).toBe('kafka:rep#2');
    expect(feed.partitions()).toEqual([2]);
    expect(await feed.poll()).toBe('idle');
    expect(feed.positions()).toEqual({});
    feed.push(b(10, 'x', 'y'));
    feed.push(b(12, 'z'));
    expect(feed.pending).toBe(2);
    expect(feed.positions()).toEqual({}); // pushed is not read
    expect(await feed.poll()).toEqual(b(10, 'x', 'y'));
    expect(feed.positions()).toEqual({ 2: 12 });
    expect(feed.pending).toBe(1);
    expect(await feed.poll()).toEqual(b(12, 'z'));
    expect(feed.positions()).toEqual({ 2: 13 });
    expect(await feed.poll()).toBe('idle');
    expect(feed.positions()).toEqual({ 2: 13 });
  });

  it("seek calls back with the partition's offset, drops what was queued and takes the offset as its position", async () => {
    const seeks: number[] = [];
    const feed = new PartitionFeed<string>('rep', 2, async (o) => {
      seeks.push(o);
    });
    feed.push(b(10, 'x'));
    feed.push(b(11, 'y'));
    await feed.seek({ 2: 5, 's:A': 3, emitted: 9 });
    expect(seeks).toEqual([5]);
    expect(feed.pending).toBe(0);
    expect(await feed.poll()).toBe('idle');
    expect(feed.positions()).toEqual({ 2: 5 });
  });

  it("seek without this partition's offset does nothing", async () => {
    const seeks: number[] = [];
    const feed = new PartitionFeed<string>('rep', 2, async (o) => {
      seeks.push(o);
    });
    feed.push(b(10, 'x'));
    await feed.seek({ 0: 5, 1: 7 });
    expect(seeks).toEqual([]);
    expect(feed.pending).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// ExchangeReader

describe('ExchangeReader', () => {
  it('hands out records with their event time, decoded with the codec', async () => {
    const { batch, reader: r } = reader(['A']);
    expect(r.name).toBe('kafka:t#0');
    expect(r.partitions()).toEqual([0]);
    const items = await batch(rec('A', 1, 100, { k: 'a', n: 1 }), rec('A', 2, 90, [{ k: 'b', n: 2 }, 'id-b']));
    expect(items).toEqual([
      { t: 100, v: { k: 'a', n: 1 } },
      { t: 90, v: { k: 'b', n: 2 } },
    ]);
    expect(identityOf(items[1] && 'v' in items[1] ? (items[1].v as Record<string, never>) : {})).toBe('id-b');
  });

  it("keeps the topic's offsets on the batch it hands out, and idle when nothing was pushed", async () => {
    const { feed, reader: r } = reader(['A']);
    expect(await r.poll()).toBe('idle');
    feed.push({ partition: 0, records: [rec('A', 1, 1), wm('A', 0), rec('A', 1, 1)], firstOffset: 40, endOfPartition: false });
    const b = await r.poll();
    // Three messages in, two items out (the duplicate dropped): offsets are the topic's, not the items'.
    expect(b).toEqual({ partition: 0, records: [{ t: 1, v: { k: 'a', n: 1 } }, { w: 0 }], firstOffset: 40, endOfPartition: false });
    expect(r.positions()[0]).toBe(43);
  });

  it('drops records whose sequence number it has seen from that producer (a producer replaying)', async () => {
    const { batch } = reader(['A', 'B']);
    expect(recordsOf(await batch(rec('A', 1, 1, 'a1'), rec('A', 2, 2, 'a2'), rec('B', 1, 3, 'b1')))).toEqual(['a1', 'a2', 'b1']);
    // A restored from a checkpoint taken after its record 1 sends 2 and 3 again, then goes on.
    expect(recordsOf(await batch(rec('A', 2, 2, 'a2'), rec('A', 3, 4, 'a3'), rec('B', 2, 5, 'b2'), rec('A', 3, 4, 'a3'), rec('A', 4, 6, 'a4')))).toEqual([
      'a3',
      'b2',
      'a4',
    ]);
    // A replaying from its very start is dropped whole; B's numbers are its own.
    expect(recordsOf(await batch(rec('A', 1, 1, 'a1'), rec('B', 3, 7, 'b3')))).toEqual(['b3']);
  });

  it('its watermark is the minimum over the expected producers, handed out only when it rises', async () => {
    const { batch } = reader(['A', 'B']);
    expect(await batch(wm('A', 10))).toEqual([]); // B has said nothing yet
    expect(await batch(wm('B', 5))).toEqual([{ w: 5 }]);
    expect(await batch(wm('A', 20))).toEqual([]); // still B's 5
    expect(await batch(wm('B', 30))).toEqual([{ w: 20 }]);
    expect(await batch(wm('A', 15))).toEqual([]); // A never goes back
    expect(await batch(wm('A', 25), wm('B', 40))).toEqual([{ w: 25 }]);
    expect(await batch(wm('A', 50), rec('A', 1, 51, 'x'), wm('B', 60))).toEqual([{ w: 40 }, { t: 51, v: 'x' }, { w: 50 }]);
  });

  it('a producer marked idle is left out of the minimum, and counts again once it sends', async () => {
    const { batch } = reader(['A', 'B']);
    expect(watermarksOf(await batch(wm('A', 10), wm('B', 30)))).toEqual([10]);
    expect(await batch(idle('A'))).toEqual([{ w: 30 }]);
    expect(watermarksOf(await batch(wm('B', 40)))).toEqual([40]);
    // A is back (a record): its old watermark, 10, holds the minimum again, which never goes back.
    expect(await batch(rec('A', 1, 45, 'a'))).toEqual([{ t: 45, v: 'a' }]);
    expect(await batch(wm('B', 80))).toEqual([]);
    expect(await batch(wm('A', 60))).toEqual([{ w: 60 }]);
    // Back by a watermark alone.
    expect(await batch(idle('B'))).toEqual([]); // A's 60 is the minimum already
    expect(await batch(wm('A', 90))).toEqual([{ w: 90 }]);
    expect(await batch(wm('B', 85), wm('A', 100))).toEqual([]); // B counts again: min(85, 100) is below 90
    expect(await batch(wm('B', 95))).toEqual([{ w: 95 }]);
  });

  it('with every expected producer idle it hands out no watermark', async () => {
    const { batch } = reader(['A', 'B']);
    expect(await batch(wm('A', 10), idle('A'), idle('B'))).toEqual([]);
  });

  it('a producer it does not expect never holds the watermark, though its records pass (and are deduplicated)', async () => {
    const { batch } = reader(['A']);
    expect(await batch(wm('X', 1))).toEqual([]);
    expect(await batch(wm('A', 10))).toEqual([{ w: 10 }]);
    expect(await batch(rec('X', 1, 3, 'x1'), rec('X', 1, 3, 'x1'), wm('A', 20))).toEqual([{ t: 3, v: 'x1' }, { w: 20 }]);
    expect(await batch(wm('X', 2), wm('A', 30))).toEqual([{ w: 30 }]);
  });

  it('positions carry the offset, s:/w:/i: per producer and the watermark handed out', async () => {
    const { batch, reader: r } = reader(['A', 'B', 'C']);
    await batch(rec('A', 1, 1), rec('A', 2, 2), wm('A', 10), rec('B', 1, 3), wm('B', 12), idle('C'), wm('X', 4));
    expect(r.positions()).toEqual({
      0: 7,
      's:A': 2,
      'w:A': 10,
      's:B': 1,
      'w:B': 12,
      's:C': 0,
      'i:C': 1,
      's:X': 0,
      'w:X': 4,
      // X (unexpected) was made idle, then its watermark set it active; it is never waited for either way.
      emitted: 10,
    });
  });

  it('seek of its positions into a fresh reader restores dedupe and watermark state (and seeks the feed)', async () => {
    const first = reader(['A', 'B', 'C']);
    await first.batch(rec('A', 1, 1, 'a1'), rec('A', 2, 2, 'a2'), wm('A', 10), rec('B', 1, 3, 'b1'), wm('B', 12), idle('C'));
    expect(watermarksOf(await first.batch(wm('A', 20)))).toEqual([12]);
    // The checkpoint stores the positions as JSON.
    const saved = JSON.parse(JSON.stringify(first.reader.positions())) as SourcePositions;
    expect(saved[0]).toBe(7);

    const seeks: number[] = [];
    const again = reader(['A', 'B', 'C'], seeks);
    again.feed.push({ partition: 0, records: [rec('A', 1, 1, 'stale')], firstOffset: 0, endOfPartition: false });
    await again.reader.seek(saved);
    expect(seeks).toEqual([7]);
    expect(again.feed.pending).toBe(0);
    expect(again.reader.positions()).toEqual(first.reader.positions());

    // What the producers send again after the checkpoint is dropped; what is new passes.
    expect(recordsOf(await again.batch(rec('A', 2, 2, 'a2'), rec('B', 1, 3, 'b1'), rec('A', 3, 4, 'a3'), rec('B', 2, 5, 'b2')))).toEqual(['a3', 'b2']);
    // C is still idle, the minimum is min(A 20, B 12) and 12 was handed out already.
    expect(await again.batch(wm('B', 12))).toEqual([]);
    expect(await again.batch(wm('B', 18))).toEqual([{ w: 18 }]);
    expect(await again.batch(wm('B', 30))).toEqual([{ w: 20 }]);
  });

  it("seek restores a producer's watermark when none was handed out yet (emitted -Infinity is null in JSON)", async () => {
    const first = reader(['A', 'B']);
    await first.batch(wm('A', 10)); // nothing handed out: B is unknown yet
    const saved = JSON.parse(JSON.stringify(first.reader.positions())) as SourcePositions;
    const again = reader(['A', 'B']);
    await again.reader.seek(saved);
    expect(await again.batch(wm('B', 5))).toEqual([{ w: 5 }]);
    expect(await again.batch(wm('B', 50))).toEqual([{ w: 10 }]); // A's 10 was restored
  });
});

describe('RecordJson', () => {
  it('serialises a record once for the writers that follow each other, and each new record anew', () => {
    let calls = 0;
    const counting: EventCodec<unknown> = {
      encode: (v) => {
        calls++;
        return v;
      },
      decode: (v) => v,
    };
    const json = new RecordJson(counting);
    const a = { k: 'a', n: 1 };
    const b = { k: 'b', n: 2 };
    expect(json.of(a)).toBe('{"k":"a","n":1}');
    expect(json.of(a)).toBe('{"k":"a","n":1}');
    expect(calls).toBe(1);
    expect(json.of(b)).toBe('{"k":"b","n":2}');
    expect(json.of(a)).toBe('{"k":"a","n":1}');
    expect(calls).toBe(3);
  });
});
