import { describe, expect, it } from 'vitest';
import { ArraySource, CollectSink, JobGraph, ManualClock, Task, count, tumbling } from '../../src/core/index.js';
import { ev, parseLine, type Ev, type Line } from './harness.js';

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
          records.forEach((r, i) => (r.seen = i));
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
    expect(calls).toEqual([[1, 20], [60, 61]]);
    // ts 20 arrived after the explicit watermark 50: late for the window, still seen by the stateless map.
    expect(out.values).toEqual(['a@1#0', 'a[0]=1', 'a@20#1', 'a@60#0', 'b@61#1', 'a[60]=1', 'b[60]=1']);
    expect(task.metrics.total('vigil_late_records_total')).toBe(1);
    expect(dead.values).toHaveLength(1);
  });
});
