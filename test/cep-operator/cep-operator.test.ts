import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CepOperator, type CepOutput } from '../../src/cep/cep-operator.js';
import { compile, type Nfa, Pattern } from '../../src/cep/index.js';
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
