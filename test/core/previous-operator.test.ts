/** PreviousOperator alone: its state bound (keys forgotten `keepMs` after their last record) and its snapshots. */
import { describe, expect, it } from 'vitest';
import { MetricRegistry, type Output, PreviousOperator, silentLogger, systemClock } from '../../src/core/index.js';

interface Ev {
  readonly k: string;
  readonly ts: number;
  readonly v: string;
}

function operator(lateness?: { allowedLatenessMs: number; maxKept?: number }): { op: PreviousOperator<Ev, string, string>; out: string[]; late: Ev[] } {
  const out: string[] = [];
  const late: Ev[] = [];
  const op = new PreviousOperator<Ev, string, string>({
    uid: 'prev',
    key: (e) => e.k,
    tie: () => 0,
    keepMs: 100,
    remember: (e) => e.v,
    emit: (e, previous, update) => `${e.k}${e.ts}:${previous ?? '-'}${update ? '!' : ''}`,
    ...lateness,
  });
  const output: Output<string> = {
    collect: (v) => out.push(v),
    side: (_tag, v) => late.push(v as Ev),
    emitWatermark: () => {},
  };
  op.open({ output, clock: systemClock, metrics: new MetricRegistry(), log: silentLogger });
  return { op, out, late };
}

describe('PreviousOperator', () => {
  it('forgets a key once the watermark is keepMs past its last record, and holds nothing released', () => {
    const { op, out } = operator();
    op.processElement({ k: 'a', ts: 10, v: 'x' }, 10);
    op.processElement({ k: 'b', ts: 20, v: 'y' }, 20);
    expect(op.size).toEqual({ keys: 0, held: 2, kept: 0 });
    op.processWatermark(50);
    expect(op.size).toEqual({ keys: 2, held: 0, kept: 0 });
    op.processElement({ k: 'a', ts: 105, v: 'z' }, 105);
    op.processWatermark(110); // a's last record is now 105, b's 20: b goes at 120
    expect(op.size).toEqual({ keys: 2, held: 0, kept: 0 });
    op.processWatermark(120);
    expect(op.size).toEqual({ keys: 1, held: 0, kept: 0 });
    op.processWatermark(205);
    expect(op.size).toEqual({ keys: 0, held: 0, kept: 0 });
    expect(out).toEqual(['a10:-', 'b20:-', 'a105:x']);
  });

  it('restores from a snapshot to the same results', () => {
    const input: Ev[] = [
      { k: 'a', ts: 10, v: 'p' },
      { k: 'a', ts: 30, v: 'q' },
      { k: 'a', ts: 20, v: 'r' },
      { k: 'a', ts: 60, v: 's' },
    ];
    const whole = operator();
    for (const e of input) whole.op.processElement(e, e.ts);
    whole.op.processWatermark(25);
    whole.op.processWatermark(100);
    const first = operator();
    for (const e of input.slice(0, 3)) first.op.processElement(e, e.ts);
    first.op.processWatermark(25);
    const snapshot = JSON.parse(JSON.stringify(first.op.snapshotState())) as unknown;
    const second = operator();
    second.op.restoreState(snapshot);
    second.op.processElement(input[3] as Ev, 60);
    second.op.processElement({ k: 'a', ts: 15, v: 'late' }, 15);
    second.op.processWatermark(100);
    expect([...first.out, ...second.out]).toEqual(whole.out);
    expect(whole.out).toEqual(['a10:-', 'a20:p', 'a30:r', 'a60:q']);
    expect(second.late.map((e) => e.v)).toEqual(['late']);
  });

  it('keeps records for the allowed lateness only, within its budget, and restores them', () => {
    const { op, out, late } = operator({ allowedLatenessMs: 50, maxKept: 3 });
    for (const ts of [10, 20, 30, 40]) op.processElement({ k: 'a', ts, v: `v${ts}` }, ts);
    op.processWatermark(45);
    // Four released, three kept (the budget): v10 is let go, the previous record of what comes before v20.
    expect(op.size).toEqual({ keys: 1, held: 0, kept: 3 });
    op.processElement({ k: 'a', ts: 15, v: 'v15' }, 15); // within 50 of 45: taken, before v20
    expect(out.slice(4)).toEqual(['a15:v10', 'a20:v15!']);
    op.processElement({ k: 'a', ts: 5, v: 'v5' }, 5); // before v10, which the budget let go: its place is unknown
    expect(late.map((e) => e.v)).toEqual(['v5']);
    op.processWatermark(75); // horizon 25: v15 and v20 go
    expect(op.size).toEqual({ keys: 1, held: 0, kept: 2 });
    const restored = operator({ allowedLatenessMs: 50, maxKept: 3 });
    restored.op.restoreState(JSON.parse(JSON.stringify(op.snapshotState())) as unknown);
    restored.op.processElement({ k: 'a', ts: 35, v: 'v35' }, 35);
    restored.op.processElement({ k: 'a', ts: 24, v: 'v24' }, 24); // 51 behind: late
    expect(restored.out).toEqual(['a35:v30', 'a40:v35!']);
    expect(restored.late.map((e) => e.v)).toEqual(['v24']);
  });
});
