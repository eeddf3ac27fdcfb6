import { describe, expect, it } from 'vitest';
import { count, MAX_WATERMARK, ManualClock, MIN_WATERMARK, tumbling, WatermarkTracker } from '../../src/core/index.js';
import { type Ev, ev, makeJob, runJob } from './harness.js';

describe('WatermarkTracker', () => {
  it('is maxTs - bound - 1 per partition, as Flink bounded out-of-orderness', () => {
    const t = new WatermarkTracker({ outOfOrdernessMs: 30_000 }, new ManualClock());
    t.addPartition(0);
    expect(t.watermark).toBe(MIN_WATERMARK);
    expect(t.onEvent(0, 100_000)).toBe(69_999);
    expect(t.onEvent(0, 90_000)).toBe(69_999); // out of order: no change
    expect(t.onEvent(0, 100_001)).toBe(70_000);
  });

  it('holds the bound the source measures when it is less than the declared one, never more, and never goes back', () => {
    let measured = Number.POSITIVE_INFINITY;
    const t = new WatermarkTracker({ outOfOrdernessMs: 300_000, currentBound: () => measured }, new ManualClock());
    t.addPartition(0);
    expect(t.onEvent(0, 1_000_000)).toBe(699_999); // not measured yet: the declared 5 minutes
    expect(t.effectiveBound).toBe(300_000);
    measured = 4000;
    expect(t.onEvent(0, 1_000_001)).toBe(996_000);
    measured = 60_000; // the feed got worse: the watermark waits for the newest records to catch up
    expect(t.onEvent(0, 1_000_002)).toBe(996_000);
    expect(t.onEvent(0, 1_061_000)).toBe(1_000_999);
    measured = 900_000;
    expect(t.effectiveBound).toBe(300_000);
  });

  it("keeps the strategy's own state in its snapshot and gives it back on restore", () => {
    let learned: unknown = { offsets: [0, 90_000] };
    const state = { snapshot: () => learned, restore: (s: unknown) => (learned = s) };
    const t = new WatermarkTracker({ outOfOrdernessMs: 1000, state }, new ManualClock());
    t.onEvent(0, 5000);
    const snap = JSON.parse(JSON.stringify(t.snapshot()));
    expect(snap.strategy).toEqual({ offsets: [0, 90_000] });
    learned = null;
    t.restore(snap);
    expect(learned).toEqual({ offsets: [0, 90_000] });
    expect(new WatermarkTracker({ outOfOrdernessMs: 1000 }, new ManualClock()).snapshot()).not.toHaveProperty('strategy');
  });

  it('takes the minimum over partitions and never goes backwards', () => {
    const t = new WatermarkTracker({ outOfOrdernessMs: 0 }, new ManualClock());
    t.addPartition(0);
    t.addPartition(1);
    expect(t.onEvent(0, 100)).toBe(MIN_WATERMARK); // partition 1 has seen nothing yet
    expect(t.onEvent(1, 50)).toBe(49);
    expect(t.onEvent(1, 200)).toBe(99);
    expect(t.onEvent(0, 10)).toBe(99);
  });

  it('stops an idle partition from holding the watermark back, and resumes it without regressing', () => {
    const clock = new ManualClock(0);
    const t = new WatermarkTracker({ outOfOrdernessMs: 0, idleTimeoutMs: 1_000 }, clock);
    t.addPartition(0);
    t.addPartition(1);
    t.onEvent(0, 10);
    t.onEvent(1, 500);
    expect(t.watermark).toBe(9);
    clock.advance(999);
    t.markActive(1);
    t.onEvent(1, 600);
    expect(t.checkIdle()).toBe(9);
    clock.advance(1);
    expect(t.checkIdle()).toBe(599); // partition 0 idle since t=0
    t.onEvent(0, 20); // active again but far behind: the combined watermark holds, it does not go back
    expect(t.watermark).toBe(599);
    t.onEvent(0, 700);
    expect(t.watermark).toBe(599);
    t.onEvent(1, 800);
    expect(t.watermark).toBe(699);
  });

  it('holds when every partition is idle, and finished partitions count as +inf', () => {
    const clock = new ManualClock(0);
    const t = new WatermarkTracker({ outOfOrdernessMs: 0, idleTimeoutMs: 10 }, clock);
    t.onEvent(0, 100);
    clock.advance(20);
    expect(t.checkIdle()).toBe(99);
    const u = new WatermarkTracker({ outOfOrdernessMs: 0 }, clock);
    u.onEvent(0, 100);
    u.onEvent(1, 5);
    expect(u.onPartitionEnd(1)).toBe(99);
    expect(u.onPartitionEnd(0)).toBe(MAX_WATERMARK);
  });

  it('takes explicit watermarks forward only', () => {
    const t = new WatermarkTracker({ outOfOrdernessMs: 0 }, new ManualClock());
    t.onEvent(0, 10);
    expect(t.onExplicitWatermark(0, 500)).toBe(500);
    expect(t.onExplicitWatermark(0, 100)).toBe(500);
    expect(t.onEvent(0, 400)).toBe(500);
  });
});

describe('task: watermarks, dead letters and the end of input', () => {
  const flows = (s: import('../../src/core/index.js').DataStream<Ev>) =>
    s.keyBy((e) => e.k).window('w', { assigner: tumbling(10), aggregate: count<Ev>(), result: (f) => [f.key, f.window.start, f.result] as const });

  it('advances the watermark to +inf at the end of a bounded input, firing every window', async () => {
    const r = await runJob([ev('a', 1), ev('b', 25)], flows);
    expect(r.out).toEqual([
      ['a', 0, 1],
      ['b', 20, 1],
    ]);
    expect(r.task.watermark).toBe(MAX_WATERMARK);
  });

  it('keeps windows open at the end of an unbounded prefix', async () => {
    const r = await runJob([ev('a', 1), ev('b', 25)], flows, { finalWatermark: false });
    expect(r.out).toEqual([['a', 0, 1]]);
  });

  it('lets the strategy cap how far a record moves the watermark (a clock it cannot vouch for), the record going through', async () => {
    const lines = [ev('a', 1000), ev('a', 86_400_000, 0), ev('a', 2000)];
    // v = 0 marks a record whose clock nobody vouches for: it moves nothing.
    const capped = await runJob(lines, (s) => s, {
      finalWatermark: false,
      watermarkTime: (e, ts) => ((e as { v: number }).v === 0 ? Number.NEGATIVE_INFINITY : ts),
    });
    expect(capped.task.watermark).toBe(1999);
    expect(capped.out.map((e) => e.ts)).toEqual([1000, 86_400_000, 2000]);
    const plain = await runJob(lines, (s) => s, { finalWatermark: false });
    expect(plain.task.watermark).toBe(86_399_999);
  });

  it('applies explicit watermark control lines', async () => {
    const r = await runJob([ev('a', 1), { wm: 9 }, ev('a', 5)], flows, { finalWatermark: false });
    expect(r.out).toEqual([['a', 0, 1]]);
    expect(r.late.map((l) => (l.record as Ev).ts)).toEqual([5]);
  });

  it('sends records without a valid event time and unreadable lines to the dead-letter output, with reasons', async () => {
    const r = await runJob([ev('a', 1), { k: 'a', ts: Number.NaN, v: 1 }, { bad: 'x{' }, ev('a', 2)], flows, { batchSize: 2 });
    expect(r.dead).toEqual([
      { reason: 'bad ts NaN', source: 'src', partition: 0, offset: 1, raw: { k: 'a', ts: Number.NaN, v: 1 } },
      { reason: 'bad line: "x{"', source: 'src', partition: 0, offset: 2, raw: { bad: 'x{' } },
    ]);
    expect(r.out).toEqual([['a', 0, 2]]);
    expect(r.task.metrics.total('vigil_dead_letters_total')).toBe(2);
    expect(r.task.metrics.total('vigil_records_in_total')).toBe(4);
  });

  it('combines partitions by minimum: a slow partition holds windows open until it catches up', async () => {
    const job = makeJob([[ev('a', 1), ev('a', 50)], [ev('b', 2)]], flows, { batchSize: 1, finalWatermark: false });
    await job.task.step(); // p0: ts 1
    await job.task.step(); // p1: ts 2 -> wm = min(0, 1) = 0
    await job.task.step(); // p0: ts 50 -> wm = min(49, 1) = 1
    expect(job.out.values).toEqual([]);
    expect(job.task.watermark).toBe(1);
  });

  it('lets an idle partition stop holding the watermark back', async () => {
    const clock = new ManualClock(0);
    // Partition 1 delivers one record and then nothing more for a long time.
    const job = makeJob([[ev('a', 1), ev('a', 50), ev('a', 60), ev('a', 70)], [ev('b', 2)]], flows, {
      batchSize: 1,
      finalWatermark: false,
      idleTimeoutMs: 1_000,
      clock,
    });
    for (let i = 0; i < 3; i++) await job.task.step(); // p0 ts 1, p1 ts 2, p0 ts 50
    expect(job.task.watermark).toBe(1);
    clock.advance(1_000);
    await job.task.step(); // p0 ts 60; p1 has been silent for the idle timeout
    expect(job.task.watermark).toBe(59);
    expect(job.out.values).toEqual([
      ['a', 0, 1],
      ['b', 0, 1],
      ['a', 50, 1],
    ]);
  });
});
