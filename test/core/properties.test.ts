import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  composite,
  count,
  type DataStream,
  decodeCheckpoint,
  encodeCheckpoint,
  first,
  last,
  max,
  min,
  session,
  sliding,
  sum,
  tumbling,
  type WindowAssigner,
} from '../../src/core/index.js';
import { type Ev, type Line, makeJob, runJob } from './harness.js';

const assigners: Record<string, WindowAssigner> = {
  tumbling: tumbling(100),
  sliding: sliding(100, 25),
  // No sum: every part merges exactly, so sliding windows run as panes (one accumulator per slide).
  'sliding (panes)': sliding(100, 25),
  session: session(40),
};

/** Every aggregate whose accumulators merge exactly, with (`sum`: true) or without a float-unsafe sum. */
function aggregates(withSum: boolean) {
  return composite<Ev, Record<string, unknown>>({
    n: count(),
    ...(withSum ? { s: sum((e: Ev) => e.v) } : {}),
    lo: min((e: Ev) => e.v),
    hi: max((e: Ev) => e.v),
    first: first((e: Ev) => e.v),
    last: last((e: Ev) => e.v),
  });
}

function windowJob(assigner: WindowAssigner, lateness = 0, name = '') {
  const aggregate = aggregates(!name.includes('panes'));
  return (s: DataStream<Ev>) =>
    s
      .keyBy((e) => e.k)
      .window('w', {
        assigner,
        allowedLateness: lateness,
        aggregate,
        result: (f) => JSON.stringify({ k: f.key, w: [f.window.start, f.window.end], u: f.update, ...f.result }),
      });
}

// Events with distinct timestamps per key (first/last ties would legitimately depend on arrival order) and integer
// values (float sums would depend on addition order).
const events = fc
  .uniqueArray(fc.record({ k: fc.constantFrom('a', 'b', 'c'), ts: fc.integer({ min: 0, max: 2_000 }), v: fc.integer({ min: -50, max: 50 }) }), {
    minLength: 1,
    maxLength: 60,
    selector: (e) => `${e.k}/${e.ts}`,
  })
  .map((es) => [...es].sort((x, y) => x.ts - y.ts));

describe('property: order within the out-of-orderness bound does not change results', () => {
  for (const [name, assigner] of Object.entries(assigners)) {
    it(`${name} windows give the same results for any arrival order whose delays stay within the bound`, async () => {
      await fc.assert(
        fc.asyncProperty(events, fc.integer({ min: 0, max: 300 }), fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })), async (evs, bound, rnd) => {
          const inOrder = await runJob(evs, windowJob(assigner, 0, name), { bound });
          // Each record is delayed by at most `bound`: it then never arrives behind the watermark.
          const it = rnd[Symbol.iterator]();
          const arrival = evs
            .map((e, i) => ({ e, at: e.ts + Math.floor((it.next().value as number) * bound), i }))
            .sort((x, y) => x.at - y.at || x.i - y.i)
            .map((x) => x.e);
          const shuffled = await runJob(arrival, windowJob(assigner, 0, name), { bound });
          expect(shuffled.late).toEqual([]);
          expect([...shuffled.out].sort()).toEqual([...inOrder.out].sort());
        }),
        { numRuns: 60 },
      );
    });
  }
});

describe('property: snapshot at any point, restore, continue = one uninterrupted run', () => {
  // Arbitrary arrival order (records beyond the bound are late or update windows within lateness), several
  // partitions and explicit watermarks: the restored run must reproduce the rest of the output exactly, in order.
  const line: fc.Arbitrary<Line> = fc.oneof(
    { weight: 9, arbitrary: fc.record({ k: fc.constantFrom('a', 'b', 'c', 'd'), ts: fc.integer({ min: 0, max: 3_000 }), v: fc.integer({ min: 0, max: 9 }) }) },
    { weight: 1, arbitrary: fc.record({ wm: fc.integer({ min: 0, max: 3_000 }) }) },
  );
  for (const [name, assigner] of Object.entries(assigners)) {
    it(`${name} windows with allowed lateness`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.array(line, { maxLength: 30 }), { minLength: 1, maxLength: 3 }),
          fc.integer({ min: 0, max: 200 }),
          fc.integer({ min: 1, max: 5 }),
          fc.nat(40),
          async (partitions, bound, batchSize, cut) => {
            const opts = { bound, batchSize };
            const whole = await runJob(partitions, windowJob(assigner, 150, name), opts);

            const first = makeJob(partitions, windowJob(assigner, 150, name), opts);
            for (let i = 0; i < cut && (await first.task.step()) !== 'end'; i++);
            const cp = decodeCheckpoint(encodeCheckpoint(first.task.snapshot()));

            const second = makeJob(partitions, windowJob(assigner, 150, name), opts);
            await second.task.restore(cp);
            await second.task.run();

            expect([...first.out.values, ...second.out.values]).toEqual(whole.out);
            expect([...first.out.timestamps, ...second.out.timestamps]).toEqual(whole.outTs);
            expect([...first.late.values, ...second.late.values]).toEqual(whole.late);
          },
        ),
        { numRuns: 80 },
      );
    });
  }
});

describe('property: sliding windows as panes give exactly what adding each record to each window gives', () => {
  const line: fc.Arbitrary<Line> = fc.oneof(
    { weight: 9, arbitrary: fc.record({ k: fc.constantFrom('a', 'b', 'c'), ts: fc.integer({ min: 0, max: 1_500 }), v: fc.integer({ min: -9, max: 9 }) }) },
    { weight: 1, arbitrary: fc.record({ wm: fc.integer({ min: 0, max: 1_500 }) }) },
  );
  it('same outputs, in the same order, with the same late records, for any slide dividing the size and any lateness', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(line, { maxLength: 40 }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: -100, max: 100 }),
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 0, max: 150 }),
        async (partitions, slide, panes, offset, lateness, bound) => {
          const assigner = sliding(slide * panes, slide, offset);
          const exact = aggregates(false);
          expect(exact.exactMerge).toBe(true);
          // The same aggregate without the flag: each record goes to each of its windows.
          const perWindow = { ...exact, exactMerge: false };
          const job = (aggregate: typeof exact) => (s: DataStream<Ev>) =>
            s
              .keyBy((e) => e.k)
              .window('w', {
                assigner,
                allowedLateness: lateness,
                aggregate,
                result: (f) => JSON.stringify({ k: f.key, w: [f.window.start, f.window.end], u: f.update, ...f.result }),
              });
          const viaPanes = await runJob(partitions, job(exact), { bound });
          const viaWindows = await runJob(partitions, job(perWindow), { bound });
          expect(viaPanes.out).toEqual(viaWindows.out);
          expect(viaPanes.outTs).toEqual(viaWindows.outTs);
          expect(viaPanes.late).toEqual(viaWindows.late);
        },
      ),
      { numRuns: 200 },
    );
  });
});
