import { describe, expect, it } from 'vitest';
import {
  avg,
  collect,
  composite,
  count,
  first,
  last,
  max,
  min,
  OutputTag,
  session,
  sliding,
  stddev,
  sum,
  tumbling,
  type WindowFiring,
} from '../../src/core/index.js';
import { type Ev, ev, runJob } from './harness.js';

interface Row {
  k: string;
  start: number;
  end: number;
  n: number;
  s: number | null;
  update: boolean;
}
const toRow = (f: WindowFiring<{ n: number; s: number | null }>): Row => ({
  k: String(f.key),
  start: f.window.start,
  end: f.window.end,
  n: f.result.n,
  s: f.result.s,
  update: f.update,
});
const agg = () => composite<Ev, { n: number; s: number | null }>({ n: count(), s: sum((e: Ev) => e.v) });

describe('tumbling windows (Flink boundaries)', () => {
  it('puts a record at end - 1 in the window and a record at end in the next; fires at end - 1', async () => {
    const r = await runJob([ev('a', 0), ev('a', 59_999), ev('a', 60_000)], (s) =>
      s.keyBy((e) => e.k).window('w', { assigner: tumbling(60_000), aggregate: agg(), result: toRow }),
    );
    expect(r.out).toEqual([
      { k: 'a', start: 0, end: 60_000, n: 2, s: 2, update: false },
      { k: 'a', start: 60_000, end: 120_000, n: 1, s: 1, update: false },
    ]);
    // A window result carries event time window_end - 1, as Flink.
    expect(r.outTs).toEqual([59_999, 119_999]);
  });

  it('fires exactly when the watermark reaches end - 1, not before', async () => {
    // bound 0: watermark = maxTs - 1. ts 60_000 gives watermark 59_999 which fires [0, 60_000).
    const fired: number[] = [];
    await runJob(
      [ev('a', 10), ev('a', 59_999), { wm: 59_998 }, ev('a', 60_000)],
      (s) =>
        s
          .keyBy((e) => e.k)
          .window('w', { assigner: tumbling(60_000), aggregate: count<Ev>(), result: (f) => f.result })
          .map('m', (n, ts) => {
            fired.push(ts);
            return n;
          }),
      { finalWatermark: false },
    );
    expect(fired).toEqual([59_999]);
  });

  it('aligns windows with an offset (a traffic day starting at local midnight, UTC+8)', async () => {
    const day = 86_400_000;
    const offset = -8 * 3_600_000;
    const midnightShanghai = Date.parse('2026-11-27T00:00:00+08:00');
    const r = await runJob([ev('a', midnightShanghai - 1), ev('a', midnightShanghai), ev('a', midnightShanghai + day - 1)], (s) =>
      s.keyBy((e) => e.k).window('w', { assigner: tumbling(day, offset), aggregate: agg(), result: toRow }),
    );
    expect(r.out.map((x) => [x.start, x.n])).toEqual([
      [midnightShanghai - day, 1],
      [midnightShanghai, 2],
    ]);
  });

  it('keeps keys apart and computes every incremental aggregate', async () => {
    const r = await runJob(
      [ev('a', 1, 5), ev('b', 2, 7), ev('a', 3, 1), ev('a', 2, 9)],
      (s) =>
        s
          .keyBy((e) => e.k)
          .window('w', {
            assigner: tumbling(10),
            aggregate: composite<Ev, Record<string, unknown>>({
              count: count(),
              sum: sum((e: Ev) => e.v),
              avg: avg((e: Ev) => e.v),
              min: min((e: Ev) => e.v),
              max: max((e: Ev) => e.v),
              first: first((e: Ev) => e.v),
              last: last((e: Ev) => e.v),
            }),
            result: (f) => ({ key: f.key, ...f.result }),
          }),
      { bound: 5 },
    );
    expect(r.out).toEqual([
      // first/last are by event time: the record at ts 3 is last although ts 2 arrived after it.
      { key: 'a', count: 3, sum: 15, avg: 5, min: 1, max: 9, first: 5, last: 1 },
      { key: 'b', count: 1, sum: 7, avg: 7, min: 7, max: 7, first: 7, last: 7 },
    ]);
  });

  it('skips null and non-numeric values in sum/avg/min/max, as SQL does, and yields null for no values', async () => {
    const lines = [{ k: 'a', ts: 1, v: null as unknown as number }, ev('a', 2, 4)];
    const r = await runJob(lines, (s) =>
      s
        .keyBy((e) => e.k)
        .window('w', {
          assigner: tumbling(10),
          aggregate: composite<Ev, Record<string, unknown>>({
            n: count(),
            nv: count((e: Ev) => e.v),
            avg: avg((e: Ev) => e.v),
            min: min((e: Ev) => (e.v === 4 ? null : e.v)),
          }),
          result: (f) => f.result,
        }),
    );
    expect(r.out).toEqual([{ n: 2, nv: 1, avg: 4, min: null }]);
  });

  it('computes the sample standard deviation, null below two values, and merges partial accumulators exactly', () => {
    const sd = stddev((x: number) => x);
    const all = [2, 4, 4, 4, 5, 5, 7, 9];
    const one = all.reduce((acc, x) => sd.add(acc, x, 0), sd.create());
    // mean 5, squared deviations sum to 32: sqrt(32 / 7)
    expect(sd.result(one)).toBeCloseTo(Math.sqrt(32 / 7), 12);
    const left = all.slice(0, 3).reduce((acc, x) => sd.add(acc, x, 0), sd.create());
    const right = all.slice(3).reduce((acc, x) => sd.add(acc, x, 0), sd.create());
    expect(sd.result(sd.merge(left, right))).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(sd.result(sd.add(sd.create(), 3, 0))).toBeNull();
    // Large values with a small spread: no cancellation (a naive sum of squares loses it).
    const big = [1e9 + 1, 1e9 + 2, 1e9 + 3].reduce((acc, x) => sd.add(acc, x, 0), sd.create());
    expect(sd.result(big)).toBeCloseTo(1, 9);
  });

  it('gives whole-window functions every record of the window', async () => {
    const r = await runJob([ev('a', 1, 3), ev('a', 4, 1), ev('a', 12, 2)], (s) =>
      s
        .keyBy((e) => e.k)
        .window('w', {
          assigner: tumbling(10),
          aggregate: collect<Ev>(),
          result: (f) => f.result.map((e) => e.v).sort(),
        }),
    );
    expect(r.out).toEqual([[1, 3], [2]]);
  });
});

describe('sliding windows', () => {
  it('assigns a record to size/slide windows and fires them in end order', async () => {
    const r = await runJob([ev('a', 7), ev('a', 12)], (s) => s.keyBy((e) => e.k).window('w', { assigner: sliding(10, 5), aggregate: agg(), result: toRow }));
    expect(r.out.map((x) => [x.start, x.end, x.n])).toEqual([
      [0, 10, 1],
      [5, 15, 2],
      [10, 20, 1],
    ]);
  });

  it('sends a record to the late output only when every one of its windows is late', async () => {
    // Watermark after ts 30 (bound 0) is 29. ts 22 -> windows [20,30) and [15,25): both have end - 1 <= 29, all late.
    // ts 26 -> windows [25,35) (open) and [20,30) (late): accepted by one, so not a late record.
    const r = await runJob([ev('a', 30), ev('a', 22), ev('a', 26)], (s) =>
      s.keyBy((e) => e.k).window('w', { assigner: sliding(10, 5), aggregate: agg(), result: toRow }),
    );
    expect(r.late.map((l) => (l.record as Ev).ts)).toEqual([22]);
    expect(r.out.find((x) => x.start === 25)?.n).toBe(2);
    expect(r.out.find((x) => x.start === 20)).toBeUndefined();
  });
});

describe('allowed lateness', () => {
  const build = (lateness: number) => (s: import('../../src/core/index.js').DataStream<Ev>) =>
    s.keyBy((e) => e.k).window('w', { assigner: tumbling(60_000), aggregate: agg(), result: toRow, allowedLateness: lateness });

  it('re-fires a window with the updated result for each record within lateness, marked as an update', async () => {
    const r = await runJob([ev('a', 1_000), ev('a', 70_000), ev('a', 2_000), ev('a', 3_000)], build(120_000));
    expect(r.out.filter((x) => x.start === 0)).toEqual([
      { k: 'a', start: 0, end: 60_000, n: 1, s: 1, update: false },
      { k: 'a', start: 0, end: 60_000, n: 2, s: 2, update: true },
      { k: 'a', start: 0, end: 60_000, n: 3, s: 3, update: true },
    ]);
    expect(r.late).toEqual([]);
  });

  it('drops the window state at end - 1 + lateness and sends later records to the late output', async () => {
    // After ts 180_000 the watermark is 179_999 = 59_999 + 120_000: window [0, 60_000) is gone.
    const r = await runJob([ev('a', 1_000), ev('a', 180_000), ev('a', 2_000)], build(120_000));
    expect(r.late).toEqual([{ operator: 'w', timestamp: 2_000, record: ev('a', 2_000) }]);
    expect(r.out.filter((x) => x.start === 0)).toHaveLength(1);
    expect(r.task.metrics.total('vigil_late_records_total')).toBe(1);
  });

  it('with zero lateness a record behind the watermark is late even if its window has state', async () => {
    const r = await runJob([ev('a', 1_000), ev('a', 60_000), ev('a', 59_999), ev('a', 60_001)], build(0));
    expect(r.late.map((l) => (l.record as Ev).ts)).toEqual([59_999]);
  });

  it('fires a window for the first time (not an update) when its first record arrives within lateness', async () => {
    const r = await runJob([ev('a', 70_000), ev('a', 1_000)], build(120_000));
    expect(r.out[0]).toEqual({ k: 'a', start: 0, end: 60_000, n: 1, s: 1, update: false });
  });

  it('routes late records to a named side output as well as the run late output', async () => {
    const tag = new OutputTag<Ev>('flow_late');
    const r = await runJob([ev('a', 100), ev('a', 1)], (s) => {
      const w = s.keyBy((e) => e.k).window('w', { assigner: tumbling(10), aggregate: agg(), result: toRow, lateTag: tag });
      return w.sideOutput(tag).map('late-ts', (e) => ({ k: e.k, start: -1, end: -1, n: 0, s: e.ts, update: false }));
    });
    expect(r.out).toEqual([{ k: 'a', start: -1, end: -1, n: 0, s: 1, update: false }]);
    expect(r.late).toHaveLength(1);
  });
});

describe('session windows', () => {
  const build =
    (gap: number, lateness = 0) =>
    (s: import('../../src/core/index.js').DataStream<Ev>) =>
      s.keyBy((e) => e.k).window('w', { assigner: session(gap), aggregate: agg(), result: toRow, allowedLateness: lateness });

  it('opens a session per gap and closes it gap after its last record', async () => {
    const r = await runJob([ev('a', 0), ev('a', 5), ev('a', 20), ev('b', 3)], build(10), { bound: 100 });
    expect(r.out.map((x) => [x.k, x.start, x.end, x.n])).toEqual([
      ['b', 3, 13, 1],
      ['a', 0, 15, 2],
      ['a', 20, 30, 1],
    ]);
  });

  it('merges sessions bridged by an out-of-order record, combining their aggregates', async () => {
    const r = await runJob([ev('a', 0, 1), ev('a', 15, 2), ev('a', 8, 4)], build(10), { bound: 100 });
    expect(r.out).toEqual([{ k: 'a', start: 0, end: 25, n: 3, s: 7, update: false }]);
  });

  it('merges sessions that only touch (Flink intersects: [0,10) and [10,20))', async () => {
    const r = await runJob([ev('a', 0), ev('a', 10)], build(10), { bound: 100 });
    expect(r.out.map((x) => [x.start, x.end, x.n])).toEqual([[0, 20, 2]]);
  });

  it('re-fires a merged session within lateness as an update', async () => {
    // Session [0,10) fires at watermark 9; a record at 5 arrives within lateness and merges into it.
    const r = await runJob([ev('a', 0), ev('a', 40), ev('a', 5)], build(10, 100));
    expect(r.out.filter((x) => x.start === 0)).toEqual([
      { k: 'a', start: 0, end: 10, n: 1, s: 1, update: false },
      { k: 'a', start: 0, end: 15, n: 2, s: 2, update: true },
    ]);
  });

  it('sends a record whose own session would already be past lateness to the late output', async () => {
    const r = await runJob([ev('a', 100), ev('a', 50)], build(10));
    expect(r.late.map((l) => (l.record as Ev).ts)).toEqual([50]);
  });
});
