/** Several sources read as one, and watermarks with a bound per partition. */
import { describe, expect, test } from 'vitest';
import { ArraySource, ManualClock, MultiplexSource, type PollResult } from '../../src/core/index.js';
import { WatermarkTracker } from '../../src/core/watermarks.js';

async function drain<R>(s: MultiplexSource<R>): Promise<{ partition: number; input: number; records: readonly R[] }[]> {
  const out: { partition: number; input: number; records: readonly R[] }[] = [];
  for (;;) {
    const r: PollResult<R> = await s.poll();
    if (r === 'end') return out;
    if (r === 'idle') continue;
    out.push({ partition: r.partition, input: s.current, records: r.records });
  }
}

describe('MultiplexSource', () => {
  test('renumbers partitions in input order, takes inputs in turn and knows where each batch came from', async () => {
    const m = new MultiplexSource([new ArraySource('a', [['a1', 'a2', 'a3']], 1), new ArraySource('b', [['b1'], ['c1']], 1)]);
    expect(m.partitions()).toEqual([0, 1, 2]);
    expect([0, 1, 2].map((p) => m.inputOf(p))).toEqual([0, 1, 1]);
    const batches = await drain(m);
    expect(batches.map((b) => `${b.input}:${b.partition}:${b.records.join()}`)).toEqual(['0:0:a1', '1:1:b1', '0:0:a2', '1:2:c1', '0:0:a3']);
  });

  test('positions are kept per input and a seek restores each', async () => {
    const make = (): MultiplexSource<string> => new MultiplexSource([new ArraySource('a', [['a1', 'a2']], 1), new ArraySource('b', [['b1', 'b2']], 1)]);
    const m = make();
    await m.poll();
    await m.poll();
    expect(m.positions()).toEqual({ '0/0': 1, '1/0': 1 });
    const again = make();
    await again.seek(m.positions());
    expect((await drain(again)).map((b) => b.records.join())).toEqual(['a2', 'b2']);
  });
});

describe('WatermarkTracker with a bound per partition', () => {
  test('each partition generates its own watermark; the combined one is their minimum', () => {
    const clock = new ManualClock(0);
    const t = new WatermarkTracker({ outOfOrdernessMs: 0, perPartition: (p) => (p === 1 ? { outOfOrdernessMs: 1000 } : undefined) }, clock);
    t.addPartition(0);
    t.addPartition(1);
    t.onEvent(0, 10_000);
    expect(t.onEvent(1, 10_000)).toBe(10_000 - 1000 - 1);
    expect(t.onPartitionEnd(1)).toBe(10_000 - 1);
  });

  test('an idle timeout of its own lets one partition stop holding the watermark back', () => {
    const clock = new ManualClock(0);
    const t = new WatermarkTracker({ outOfOrdernessMs: 0, perPartition: (p) => (p === 1 ? { outOfOrdernessMs: 0, idleTimeoutMs: 50 } : undefined) }, clock);
    t.addPartition(0);
    t.addPartition(1);
    t.onEvent(1, 100);
    t.onEvent(0, 500);
    expect(t.watermark).toBe(99);
    clock.set(60);
    expect(t.checkIdle()).toBe(499);
  });
});
