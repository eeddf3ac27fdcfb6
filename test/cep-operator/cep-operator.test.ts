import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CepOperator, type CepOutput } from '../../src/cep/cep-operator.js';
import { AfterMatchSkipStrategy, compile, type Nfa, Pattern } from '../../src/cep/index.js';
import { type DataStream, decodeCheckpoint, encodeCheckpoint, OutputTag } from '../../src/core/index.js';
import { type Ev, ev, type Line, makeJob, runJob } from '../core/harness.js';

// Events: k = key, v = kind (1 = a, 2 = b, 3 = c), ts = event time.
const isKind = (kind: number) => (e: Ev) => e.v === kind;

const fmt = (o: CepOutput<Ev>): string =>
  `${o.kind}:${String(o.key)}@${o.timestamp}:${Object.entries(o.match)
    .map(([v, es]) => `${v}=${es.map((e) => e.ts).join('+')}`)
    .join(',')}`;

/** Matches and timeouts (from the timeout side output) merged into one stream of strings. */
function cep(nfa: () => Nfa<Ev>) {
  return (s: DataStream<Ev>) => {
    const timeoutTag = new OutputTag<CepOutput<Ev>>('timeouts');
    const matches = s.keyBy((e) => e.k).transform('cep', (key) => new CepOperator<Ev>({ uid: 'cep', key, nfa: nfa(), timeoutTag }));
    return matches.map('fmt', fmt).union('all', matches.sideOutput(timeoutTag).map('fmt-timeouts', fmt));
  };
}

const aThenB = () => compile(Pattern.begin<Ev>('a').where(isKind(1)).followedBy('b').where(isKind(2)).within(100));

describe('CepOperator (event time)', () => {
  it('orders events by event time before matching, whatever the arrival order within the bound', async () => {
    const r = await runJob([ev('x', 50, 2), ev('x', 10, 1), ev('y', 30, 2), ev('y', 20, 1)], cep(aThenB), { bound: 100 });
    expect(r.out).toEqual(['match:y@30:a=20,b=30', 'match:x@50:a=10,b=50']);
  });

  it('breaks timestamp ties by arrival order', async () => {
    const r = await runJob(
      [ev('x', 10, 1), ev('x', 10, 2)],
      cep(() => compile(Pattern.begin<Ev>('a').where(isKind(1)).next('b').where(isKind(2)))),
    );
    expect(r.out).toEqual(['match:x@10:a=10,b=10']);
    const swapped = await runJob(
      [ev('x', 10, 2), ev('x', 10, 1)],
      cep(() => compile(Pattern.begin<Ev>('a').where(isKind(1)).next('b').where(isKind(2)))),
    );
    expect(swapped.out).toEqual([]);
  });

  it('with a comparator, breaks timestamp ties by it whatever the arrival order (Flink: CEP.pattern(input, pattern, comparator))', async () => {
    // Two events of one timestamp that either could start the match (a duplicate capture): the comparator (by id)
    // decides which enters the NFA first, so the match takes the same one in either arrival order.
    type Idd = Ev & { readonly id: string };
    const byId = (a: Ev, b: Ev): number => ((a as Idd).id < (b as Idd).id ? -1 : (a as Idd).id > (b as Idd).id ? 1 : 0);
    const aNextB = () => compile(Pattern.begin<Ev>('a').where(isKind(1)).next('b').where(isKind(2)).within(100));
    const ids = (o: CepOutput<Ev>): string =>
      Object.entries(o.match)
        .map(([v, es]) => `${v}=${es.map((e) => (e as Idd).id).join('+')}`)
        .join(',');
    const build = (s: DataStream<Ev>) =>
      s
        .keyBy((e) => e.k)
        .transform('cep', (key) => new CepOperator<Ev>({ uid: 'cep', key, nfa: aNextB(), compareTies: byId }))
        .map('ids', ids);
    const lane1: Idd = { ...ev('x', 10, 1), id: 'r1' };
    const lane2: Idd = { ...ev('x', 10, 1), id: 'r2' };
    const b: Idd = { ...ev('x', 20, 2), id: 'r3' };
    const inOrder = await runJob([lane1, lane2, b], build, { bound: 50 });
    const swapped = await runJob([lane2, lane1, b], build, { bound: 50 });
    const late = await runJob([b, lane2, lane1], build, { bound: 50 });
    expect(inOrder.out).toEqual(['a=r2,b=r3']);
    expect(swapped.out).toEqual(inOrder.out);
    expect(late.out).toEqual(inOrder.out);
    // Across a checkpoint taken while both wait for the watermark.
    const opts = { bound: 50, batchSize: 1 };
    const first = makeJob([[lane2, lane1, b]], build, opts);
    for (let i = 0; i < 2; i++) await first.task.step();
    const second = makeJob([[lane2, lane1, b]], build, opts);
    await second.task.restore(decodeCheckpoint(encodeCheckpoint(first.task.snapshot())));
    await second.task.run();
    expect([...first.out.values, ...second.out.values]).toEqual(inOrder.out);
  });

  it('sends events behind the watermark to the late output', async () => {
    const r = await runJob([ev('x', 100, 1), ev('x', 50, 2), ev('x', 99, 2), ev('x', 150, 2)], cep(aThenB));
    expect(r.late.map((l) => (l.record as Ev).ts)).toEqual([50, 99]);
    expect(r.out).toEqual(['match:x@150:a=100,b=150']);
  });

  describe('allowed lateness', () => {
    const lateFmt = (o: CepOutput<Ev>): string => (o.late === true ? 'late ' : '') + fmt(o);
    const lenient =
      (lateness: number, nfa: () => Nfa<Ev> = aThenB) =>
      (s: DataStream<Ev>) =>
        s
          .keyBy((e) => e.k)
          .transform('cep', (key) => new CepOperator<Ev>({ uid: 'cep', key, nfa: nfa(), allowedLatenessMs: lateness }))
          .map('fmt', lateFmt);
    const skipPast = () =>
      compile(Pattern.begin<Ev>('a', AfterMatchSkipStrategy.skipPastLastEvent()).where(isKind(1)).followedBy('b').where(isKind(2)).within(100));

    it('matches a late event with the events that came on time, marked late; beyond the lateness it is refused', async () => {
      // b@60 waits for an `a`; a@50 arrives when the watermark is at 199 (late by 149 < 500): matched with b@60.
      // a@10 later (watermark 999, late by 989 > 500) goes to the late output.
      const r = await runJob([ev('x', 60, 2), ev('x', 200, 3), ev('x', 50, 1), ev('y', 1000, 3), ev('x', 10, 1)], lenient(500));
      expect(r.out).toEqual(['late match:x@60:a=50,b=60']);
      expect(r.late.map((l) => (l.record as Ev).ts)).toEqual([10]);
    });

    it('a late partial match goes on with the events to come', async () => {
      const r = await runJob([ev('x', 100, 3), ev('x', 80, 1), ev('x', 150, 2)], lenient(500));
      expect(r.out).toEqual(['match:x@150:a=80,b=150']);
    });

    it('under a skip strategy, does not emit a late match that takes an event an emitted match took', async () => {
      // a@40 + b@60 matched on time; a late a@30 would match b@60 as well: that b is taken.
      const r = await runJob([ev('x', 40, 1), ev('x', 60, 2), ev('x', 200, 3), ev('x', 30, 1)], lenient(500, skipPast));
      expect(r.out).toEqual(['match:x@60:a=40,b=60']);
      // With no skip, both matches stand.
      const noSkip = await runJob([ev('x', 40, 1), ev('x', 60, 2), ev('x', 200, 3), ev('x', 30, 1)], lenient(500));
      expect(noSkip.out).toEqual(['match:x@60:a=40,b=60', 'late match:x@60:a=30,b=60']);
    });

    it('keeps the events it needs across a snapshot and restore', async () => {
      const input = [ev('x', 40, 1), ev('x', 60, 2), ev('x', 70, 2), ev('x', 200, 3), ev('x', 30, 1), ev('x', 35, 1)];
      const build = lenient(500);
      const whole = await runJob(input, build);
      const opts = { batchSize: 1 };
      const first = makeJob([input], build, opts);
      for (let i = 0; i < 4; i++) await first.task.step();
      const second = makeJob([input], build, opts);
      await second.task.restore(decodeCheckpoint(encodeCheckpoint(first.task.snapshot())));
      await second.task.run();
      // Snapshot after four events: a@30 and a@35 come after the restore and need the kept b@60.
      expect(whole.out).toEqual(['match:x@60:a=40,b=60', 'late match:x@60:a=30,b=60', 'late match:x@60:a=35,b=60']);
      expect([...first.out.values, ...second.out.values]).toEqual(whole.out);
    });

    it('property: with a small kept-events budget, snapshot at any point + restore gives the uninterrupted output', async () => {
      // The snapshot writes the kept events in the order the budget drops them, so a restored operator drops the same.
      const line: fc.Arbitrary<Line> = fc.record({ k: fc.constantFrom('x', 'y'), ts: fc.integer({ min: 0, max: 300 }), v: fc.integer({ min: 1, max: 3 }) });
      const budgeted = (maxKeptEvents: number) => (s: DataStream<Ev>) => {
        const timeoutTag = new OutputTag<CepOutput<Ev>>('timeouts');
        const m = s
          .keyBy((e) => e.k)
          .transform('cep', (key) => new CepOperator<Ev>({ uid: 'cep', key, nfa: aThenB(), timeoutTag, allowedLatenessMs: 150, maxKeptEvents }));
        return m.map('fmt', lateFmt).union('all', m.sideOutput(timeoutTag).map('fmt-timeouts', lateFmt));
      };
      await fc.assert(
        fc.asyncProperty(
          fc.array(line, { maxLength: 30 }),
          fc.integer({ min: 0, max: 60 }),
          fc.integer({ min: 1, max: 6 }),
          fc.nat(15),
          async (lines, bound, budget, cut) => {
            const opts = { bound, batchSize: 2 };
            const whole = await runJob(lines, budgeted(budget), opts);
            const first = makeJob([lines], budgeted(budget), opts);
            for (let i = 0; i < cut && (await first.task.step()) !== 'end'; i++);
            const second = makeJob([lines], budgeted(budget), opts);
            await second.task.restore(decodeCheckpoint(encodeCheckpoint(first.task.snapshot())));
            await second.task.run();
            expect([...first.out.values, ...second.out.values]).toEqual(whole.out);
          },
        ),
        { numRuns: 150 },
      );
    });
  });

  it('times out partial matches when the watermark passes start + within, with no further event of the key', async () => {
    const withTimeout = () => compile(Pattern.begin<Ev>('a').where(isKind(1)).followedBy('b').where(isKind(2)).within(100));
    const r = await runJob([ev('x', 10, 1), ev('other', 500, 3)], cep(withTimeout), { finalWatermark: false });
    expect(r.out).toEqual(['timeout:x@110:a=10']);
  });

  it('forgets expired partial matches of keys whose expiry emits nothing (no timeout output), with no timer per key', async () => {
    // No timeout side output: expiring only forgets. The sweep (every quarter of `within`) drops those keys.
    let op: CepOperator<Ev> | undefined;
    const nfa = () => compile(Pattern.begin<Ev>('a').where(isKind(1)).next('b').where(isKind(2)).within(100));
    const build = (s: DataStream<Ev>) =>
      s
        .keyBy((e) => e.k)
        .transform('cep', (key) => (op = new CepOperator<Ev>({ uid: 'cep', key, nfa: nfa() })))
        .map('fmt', fmt);
    const keys = ['k1', 'k2', 'k3', 'k4'];
    const lines = [...keys.map((k, i) => ev(k, 10 + i, 1)), ev('k1', 20, 2), ev('other', 400, 3)];
    const r = await runJob(lines, build, { finalWatermark: false });
    expect(r.out).toEqual(['match:k1@20:a=10,b=20']);
    expect(op?.partialMatches()).toBe(0);
    expect(op?.snapshotState().nfa).toEqual([]);
  });

  it('completes a pattern ending in not followed by when within expires', async () => {
    const absence = () => compile(Pattern.begin<Ev>('a').where(isKind(1)).notFollowedBy('c').where(isKind(3)).within(100));
    const r = await runJob([ev('x', 10, 1), ev('y', 20, 1), ev('y', 50, 3), ev('z', 1_000, 2)], cep(absence), { finalWatermark: false });
    expect(r.out).toEqual(['match:x@110:a=10']);
  });

  it('discards timeouts when no timeout side output is given', async () => {
    const r = await runJob([ev('x', 10, 1), ev('other', 500, 3)], (s) =>
      s
        .keyBy((e) => e.k)
        .transform('cep', (key) => new CepOperator<Ev>({ uid: 'cep', key, nfa: aThenB() }))
        .map('fmt', fmt),
    );
    expect(r.out).toEqual([]);
  });

  it('frees the state of keys with nothing pending', async () => {
    const job = makeJob([[ev('x', 10, 1), ev('x', 20, 2), ev('y', 500, 3)]], cep(aThenB));
    await job.task.run();
    const snap = job.task.snapshot().operators['cep'] as { nfa: unknown[] };
    expect(snap.nfa).toEqual([]);
  });

  it('property: snapshot at any point + restore gives the same output as one uninterrupted run', async () => {
    const line: fc.Arbitrary<Line> = fc.record({ k: fc.constantFrom('x', 'y'), ts: fc.integer({ min: 0, max: 400 }), v: fc.integer({ min: 1, max: 3 }) });
    const nfa = () =>
      compile(Pattern.begin<Ev>('a').where(isKind(1)).followedBy('b').where(isKind(2)).oneOrMore().followedBy('c').where(isKind(3)).within(150));
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { maxLength: 40 }),
        fc.integer({ min: 0, max: 80 }),
        fc.integer({ min: 1, max: 4 }),
        fc.nat(20),
        async (lines, bound, batchSize, cut) => {
          const opts = { bound, batchSize };
          const whole = await runJob(lines, cep(nfa), opts);
          const first = makeJob([lines], cep(nfa), opts);
          for (let i = 0; i < cut && (await first.task.step()) !== 'end'; i++);
          const cp = decodeCheckpoint(encodeCheckpoint(first.task.snapshot()));
          const second = makeJob([lines], cep(nfa), opts);
          await second.task.restore(cp);
          await second.task.run();
          expect([...first.out.values, ...second.out.values]).toEqual(whole.out);
          expect([...first.late.values, ...second.late.values]).toEqual(whole.late);
        },
      ),
      { numRuns: 150 },
    );
  });
});
