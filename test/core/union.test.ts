import { describe, expect, it } from 'vitest';
import { count, ManualClock, MetricRegistry, type Output, silentLogger, tumbling, UnionOperator } from '../../src/core/index.js';
import { type Ev, ev, runJob } from './harness.js';

describe('union', () => {
  it('merges streams from several branches into one', async () => {
    const r = await runJob([ev('k', 1), ev('k', 5), ev('k', 50), ev('k', 300)], (s) => {
      const a = s.filter('a', (e) => e.ts < 100);
      const b = s.filter('b', (e) => e.ts >= 5);
      return a
        .union('u', b)
        .keyBy((e) => e.k)
        .window('w', { assigner: tumbling(200), aggregate: count<Ev>(), result: (f) => [f.window.start, f.result] });
    });
    // a: 1, 5, 50; b: 5, 50, 300.
    expect(r.out).toEqual([
      [0, 5],
      [200, 1],
    ]);
    expect(r.late).toEqual([]);
  });

  it('forwards the minimum of its inputs watermarks, never going back', () => {
    const emitted: number[] = [];
    const output: Output<unknown> = { collect: () => {}, side: () => {}, emitWatermark: (w) => emitted.push(w) };
    const u = new UnionOperator('u', 2);
    u.open({ output, clock: new ManualClock(), metrics: new MetricRegistry(), log: silentLogger });
    u.input(0).processWatermark(100);
    expect(emitted).toEqual([]); // input 1 has said nothing yet
    u.input(1).processWatermark(50);
    u.input(1).processWatermark(150);
    u.input(0).processWatermark(120);
    u.input(0).processWatermark(110);
    expect(emitted).toEqual([50, 100, 120]);
    const restored = new UnionOperator('u', 2);
    restored.open({ output, clock: new ManualClock(), metrics: new MetricRegistry(), log: silentLogger });
    restored.restoreState(JSON.parse(JSON.stringify(u.snapshotState())));
    restored.input(0).processWatermark(130);
    expect(emitted).toEqual([50, 100, 120, 130]);
  });
});
