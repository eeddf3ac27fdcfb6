import { describe, expect, it } from 'vitest';
import { ArraySource, CollectSink, count, decodeCheckpoint, encodeCheckpoint, JobGraph, ManualClock, Task, tumbling } from '../../src/core/index.js';
import { type Ev, ev, type Line, parseLine } from './harness.js';

describe('batch stage (asynchronous enrichment)', () => {
  it('runs once per batch before records enter the operators, keeping records and watermarks in input order', async () => {
    const calls: number[][] = [];
    const graph = new JobGraph('t');
    const out = new CollectSink<unknown>();
    const dead = new CollectSink<unknown>();
    const lines: Line[] = [ev('a', 1), { wm: 50 }, ev('a', 20), { bad: 1 }, ev('a', 60), ev('b', 61)];
    const src = graph.source<Line, Ev & { seen?: number }>('src', {
      source: new ArraySource('src', [lines], 3),
      deserialize: parseLine,
      eventTime: { extract: (e) => e.ts, describe: () => 'no ts' },
      watermarks: { outOfOrdernessMs: 0 },
      stage: {
        async process(records, stamps) {
          calls.push([...stamps]);
          await new Promise((r) => setTimeout(r, 1));
          records.forEach((r, i) => {
            r.seen = i;
          });
        },
      },
    });
    src.map('tag', (e) => `${e.k}@${e.ts}#${String(e.seen)}`).to('out', out);
    src
      .keyBy((e) => e.k)
      .window('w', { assigner: tumbling(10), aggregate: count<Ev>(), result: (f) => `${String(f.key)}[${f.window.start}]=${f.result}` })
      .to('win', out);
    graph.deadLetters(dead);
    const task = new Task(graph, { clock: new ManualClock() });
    await task.run();
    expect(calls).toEqual([
      [1, 20],
      [60, 61],
    ]);
    // ts 20 arrived after the explicit watermark 50: late for the window, still seen by the stateless map.
    expect(out.values).toEqual(['a@1#0', 'a[0]=1', 'a@20#1', 'a@60#0', 'b@61#1', 'a[60]=1', 'b[60]=1']);
    expect(task.metrics.total('vigil_late_records_total')).toBe(1);
    expect(dead.values).toHaveLength(1);
  });
});

describe('batch stage in event-time order', () => {
  const build = (seen: string[][]) => (lines: Line[], batchSize: number) => {
    const graph = new JobGraph('t');
    const out = new CollectSink<string>();
    const src = graph.source<Line, Ev & { n?: number }>('src', {
      source: new ArraySource('src', [lines], batchSize),
      deserialize: parseLine,
      eventTime: { extract: (e) => e.ts, describe: () => 'no ts' },
      watermarks: { outOfOrdernessMs: 10 },
      stage: {
        async process(records) {
          seen.push(records.map((r) => `${r.k}${r.ts}`));
          // A running count per key, as a first_seen-like lookup would see it: only correct in event-time order.
          for (const r of records) {
            r.n = (counts.get(r.k) ?? 0) + 1;
            counts.set(r.k, r.n);
          }
        },
      },
    });
    const counts = new Map<string, number>();
    src.map('fmt', (e) => `${e.k}@${e.ts}#${String(e.n)}`).to('out', out);
    return { task: new Task(graph, { clock: new ManualClock() }), out, counts };
  };

  it('releases records in event-time order as the watermark passes them; a record already behind it passes at once', async () => {
    const seen: string[][] = [];
    const { task, out } = build(seen)([ev('a', 30), ev('a', 25), ev('a', 41), ev('a', 5), ev('a', 60)], 10);
    await task.run();
    // wm after 30: 19; after 41: 30 -> releases 25, 30; 5 arrives behind 30: late, at once; after 60: 49 -> 41; end: 60.
    expect(out.values).toEqual(['a@25#1', 'a@30#2', 'a@5#3', 'a@41#4', 'a@60#5']);
    expect(seen).toEqual([['a25', 'a30', 'a5', 'a41', 'a60']]);
  });

  it('property: snapshot with held records + restore gives the same output as one uninterrupted run', async () => {
    const fc = (await import('fast-check')).default;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ k: fc.constantFrom('a', 'b'), ts: fc.integer({ min: 0, max: 200 }), v: fc.constant(1) }), { maxLength: 30 }),
        fc.integer({ min: 1, max: 4 }),
        fc.nat(10),
        async (lines, batchSize, cut) => {
          const whole = build([])(lines, batchSize);
          await whole.task.run();
          const first = build([])(lines, batchSize);
          for (let i = 0; i < cut && (await first.task.step()) !== 'end'; i++);
          const cp = decodeCheckpoint(encodeCheckpoint(first.task.snapshot()));
          const second = build([])(lines, batchSize);
          // The lookup store is external state: carry it over, as Redis would be.
          for (const [k, n] of first.counts) second.counts.set(k, n);
          await second.task.restore(cp);
          await second.task.run();
          expect([...first.out.values, ...second.out.values]).toEqual(whole.out.values);
        },
      ),
      { numRuns: 200 },
    );
  });
});
