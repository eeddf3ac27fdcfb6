import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventTimeStage } from '../../src/core/event-time-stage.js';

type Op = { add: number } | { wm: number } | { flush: true } | { checkpoint: true };
type Out = readonly ['rec', string, number] | readonly ['wm', number];

/**
 * The contract restated: held records leave in (event time, tie order, arrival) order once the watermark reaches
 * them; without a tie order, in (event time, arrival) order.
 */
class Reference {
  private held: { ts: number; seq: number; id: string }[] = [];
  private seq = 0;
  constructor(private readonly tie: (a: string, b: string) => number = () => 0) {}
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
    const go = this.held.filter((h) => h.ts <= wm).sort((a, b) => a.ts - b.ts || this.tie(a.id, b.id) || a.seq - b.seq);
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

/** A tie order over the records `r<n>` with three ranks (n * 7 mod 3), so some ties are left to arrival order. */
const byRank = (a: unknown, b: unknown): number => ((Number(String(a).slice(1)) * 7) % 3) - ((Number(String(b).slice(1)) * 7) % 3);

describe('EventTimeStage', () => {
  it.each([
    ['(event time, arrival)', undefined],
    ['(event time, tie order, arrival)', byRank],
  ])('releases records in %s order as the watermark passes them, across checkpoints, with any disorder', async (_name, tie) => {
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
        let s = new EventTimeStage(stage, tie);
        const ref = new Reference(tie);
        const out: Out[] = [];
        const flush = async (): Promise<void> => {
          await s.flush(
            (v, ts) => out.push(['rec', String(v), ts]),
            (wm) => out.push(['wm', wm]),
          );
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
            s = new EventTimeStage(stage, tie);
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
    await s.flush(
      (v) => out.push(String(v)),
      () => {},
    );
    expect(out.slice(0, 4)).toEqual(['first-5', 'second-5', 'also-5', '137']);
    expect(out).toHaveLength(67);
  });

  it('with a tie order, releases records of one event time in that order whatever their arrival order', async () => {
    // Two captures of one millisecond (a duplicate by two lanes), among others: every arrival order releases (and
    // so looks up) them in id order, whether they share a run, start runs, or wait as stragglers beyond 64 runs.
    const byId = (a: unknown, b: unknown): number => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0);
    const release = async (adds: ReadonlyArray<readonly [string, number]>, checkpointAt = -1): Promise<string[]> => {
      let s = new EventTimeStage({ process: async () => {} }, byId);
      adds.forEach(([id, ts], i) => {
        if (i === checkpointAt) {
          const held = s.snapshot();
          s = new EventTimeStage({ process: async () => {} }, byId);
          s.restore(held, s.watermark);
        }
        s.add(id, ts);
      });
      s.advance(Number.POSITIVE_INFINITY);
      const out: string[] = [];
      await s.flush(
        (v) => out.push(String(v)),
        () => {},
      );
      return out;
    };
    const twins: Array<readonly [string, number]> = [
      ['lane2', 5],
      ['lane1', 5],
    ];
    const others: Array<readonly [string, number]> = [
      ['a', 3],
      ['b', 5],
      ['c', 9],
      ['d', 4],
    ];
    const expected = ['a', 'd', 'b', 'lane1', 'lane2', 'c'];
    for (const order of [
      [...others, ...twins],
      [...twins, ...others],
      [twins[1]!, ...others, twins[0]!],
      [others[2]!, twins[0]!, others[0]!, twins[1]!, others[1]!, others[3]!],
    ]) {
      expect(await release(order)).toEqual(expected);
      expect(await release(order, 3)).toEqual(expected);
    }
    // Beyond 64 runs: 'z-5' and 'y-5' wait in the straggler heap, 'x-5' heads a run.
    const many: Array<readonly [string, number]> = [
      ['x-5', 5],
      ['200', 200],
    ];
    for (let ts = 199; ts >= 137; ts--) many.push([String(ts), ts]);
    const tail = await release([...many, ['z-5', 5], ['y-5', 5]]);
    expect(tail.slice(0, 4)).toEqual(['x-5', 'y-5', 'z-5', '137']);
  });
});
