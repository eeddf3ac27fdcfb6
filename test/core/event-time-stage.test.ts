import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventTimeStage } from '../../src/core/event-time-stage.js';

type Op = { add: number } | { wm: number } | { flush: true } | { checkpoint: true };
type Out = readonly ['rec', string, number] | readonly ['wm', number];

/** The contract restated: held records leave in (event time, arrival) order once the watermark reaches them. */
class Reference {
  private held: { ts: number; seq: number; id: string }[] = [];
  private seq = 0;
  private wm = Number.NEGATIVE_INFINITY;
  private plan: Out[] = [];
  readonly out: Out[] = [];
  readonly staged: string[][] = [];
  add(id: string, ts: number): void {
    if (ts <= this.wm) this.plan.push(['rec', id, ts]);
    else this.held.push({ ts, seq: this.seq++, id });
  }
  advance(wm: number): void {
    if (wm <= this.wm) return;
    const go = this.held.filter((h) => h.ts <= wm).sort((a, b) => a.ts - b.ts || a.seq - b.seq);
    this.held = this.held.filter((h) => h.ts > wm);
    for (const h of go) this.plan.push(['rec', h.id, h.ts]);
    this.plan.push(['wm', wm]);
    this.wm = wm;
  }
  flush(): void {
    const recs = this.plan.filter((o) => o[0] === 'rec').map((o) => o[1] as string);
    if (recs.length > 0) this.staged.push(recs);
    this.out.push(...this.plan);
    this.plan = [];
  }
}

describe('EventTimeStage', () => {
  it('releases records in (event time, arrival) order as the watermark passes them, across checkpoints, with any disorder', async () => {
    // Mostly ordered input from a few skewed "cameras", with long decreasing stretches (more than 64 runs: the
    // straggler heap) and repeated event times (arrival breaks the tie).
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: -30, max: 12 }).map((d) => ({ add: d })) },
      { weight: 2, arbitrary: fc.integer({ min: -20, max: 25 }).map((d) => ({ wm: d })) },
      { weight: 1, arbitrary: fc.constant({ flush: true as const }) },
      { weight: 1, arbitrary: fc.constant({ checkpoint: true as const }) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 400 }), fc.boolean(), async (ops, scattered) => {
        const staged: string[][] = [];
        const stage = { process: async (records: unknown[]) => void staged.push(records.map(String)) };
        let s = new EventTimeStage(stage);
        const ref = new Reference();
        const out: Out[] = [];
        const flush = async (): Promise<void> => {
          await s.flush((v, ts) => out.push(['rec', String(v), ts]), (wm) => out.push(['wm', wm]));
          ref.flush();
        };
        let now = 1000;
        let n = 0;
        for (const o of ops) {
          if ('add' in o) {
            // Or, when asked, scattered over 101 event times: far more than 64 runs (the straggler heap), and ties
            // between stragglers and run heads.
            const ts = scattered ? now - ((n * 37) % 101) : now + o.add;
            const id = `r${n++}`;
            s.add(id, ts);
            ref.add(id, ts);
            if (!scattered) now = Math.max(now, ts);
          } else if ('wm' in o) {
            const wm = now - 15 + o.wm;
            s.advance(wm);
            ref.advance(wm);
          } else if ('flush' in o) await flush();
          else {
            await flush();
            const wm = s.watermark;
            const held = s.snapshot();
            s = new EventTimeStage(stage);
            s.restore(held, wm);
          }
        }
        s.advance(Number.POSITIVE_INFINITY);
        ref.advance(Number.POSITIVE_INFINITY);
        await flush();
        expect(out).toEqual(ref.out);
        expect(staged).toEqual(ref.staged);
      }),
      { numRuns: 300 },
    );
  });

  it('breaks a tie between a run and the straggler heap (beyond 64 runs) by arrival', async () => {
    const s = new EventTimeStage({ process: async () => {} });
    s.add('first-5', 5);
    s.add('200', 200); // joins first-5's run: its head stays 5
    for (let ts = 199; ts >= 137; ts--) s.add(String(ts), ts); // 63 more runs
    s.add('second-5', 5); // before every run's end, no room for a run: a straggler
    s.add('also-5', 5);
    s.advance(Number.POSITIVE_INFINITY);
    const out: string[] = [];
    await s.flush((v) => out.push(String(v)), () => {});
    expect(out.slice(0, 4)).toEqual(['first-5', 'second-5', 'also-5', '137']);
    expect(out).toHaveLength(67);
  });
});
