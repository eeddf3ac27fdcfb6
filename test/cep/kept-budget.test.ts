// The kept-events budget (CepOperatorOptions.maxKeptEvents): with allowed lateness, the events kept for late events
// stay within the budget over all keys, the oldest go first, the drops are counted and reported once, a late event
// still matches the recent kept events, and a snapshot restored under a budget keeps it.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CepOperator, type CepOutput } from '../../src/cep/cep-operator.js';
import { compile, type Nfa, Pattern } from '../../src/cep/index.js';
import { type DataStream, decodeCheckpoint, encodeCheckpoint } from '../../src/core/index.js';
import { tempDir, vigil } from '../cli/helpers.js';
import { type Ev, ev, type Line, makeJob, runJob } from '../core/harness.js';

const isKind = (kind: number) => (e: Ev) => e.v === kind;
const aThenB = (): Nfa<Ev> => compile(Pattern.begin<Ev>('a').where(isKind(1)).followedBy('b').where(isKind(2)).within(50));

const fmt = (o: CepOutput<Ev>): string =>
  `${o.late === true ? 'late ' : ''}${o.kind}:${String(o.key)}@${o.timestamp}:${Object.entries(o.match)
    .map(([v, es]) => `${v}=${es.map((e) => e.ts).join('+')}`)
    .join(',')}`;

interface Built {
  op: CepOperator<Ev> | null;
  /** The most kept events seen before any event entered the NFA. */
  peak: number;
}

/** A CepOperator with a lateness of 1000 and the given kept-events budget (none: the default). */
function lenient(built: Built, maxKeptEvents?: number, warnings?: unknown[][]) {
  return (s: DataStream<Ev>) =>
    s
      .keyBy((e) => e.k)
      .transform('cep', (key) => {
        const nfa = aThenB();
        const sampled: Nfa<Ev> = Object.create(nfa) as Nfa<Ev>;
        sampled.process = (st, event, ts) => {
          built.peak = Math.max(built.peak, built.op?.keptEvents ?? 0);
          return nfa.process(st, event, ts);
        };
        built.op = new CepOperator<Ev>({
          uid: 'cep',
          key,
          nfa: sampled,
          allowedLatenessMs: 1000,
          ...(maxKeptEvents === undefined ? {} : { maxKeptEvents }),
          logger: { warn: (message, fields) => warnings?.push([message, fields]) },
        });
        return built.op;
      })
      .map('fmt', fmt);
}

/** b events at 10, 20, ..., 100 over keys k0..k3 in turn, z@150 to move the watermark to 149 (z waits), then two
 *  late a events: a@95 of k1 (its partner b@100 is among the newest) and a@5 of k0 (its partner b@10 is the oldest
 *  event). */
const input: Line[] = [...Array.from({ length: 10 }, (_, i) => ev(`k${i % 4}`, 10 * (i + 1), 2)), ev('z', 150, 3), ev('k1', 95, 1), ev('k0', 5, 1)];

/** The kept events in a snapshot of the operator: [key, ts]. */
function keptOf(op: CepOperator<Ev>): Array<[string, number]> {
  const kept = op.snapshotState().kept ?? [];
  return kept.map(([k, ts]) => [String(k), ts] as [string, number]).sort((a, b) => a[1] - b[1]);
}

describe('kept-events budget (maxKeptEvents)', () => {
  it('keeps at most the budget over all keys, drops the oldest first, counts the drops and warns once', async () => {
    const built: Built = { op: null, peak: 0 };
    const warnings: unknown[][] = [];
    const r = await runJob(input, lenient(built, 4, warnings), { finalWatermark: false });
    const op = built.op as CepOperator<Ev>;
    expect(built.peak).toBeLessThanOrEqual(4);
    expect(op.keptEvents).toBe(4);
    // 12 events kept in all, 8 dropped, the oldest first: b@70 for a@95, then b@80 for a@5 (a late event is not
    // dropped for being old: it is kept when it comes, and matched with what is kept then).
    expect(op.keptDropped).toBe(8);
    expect(keptOf(op)).toEqual([
      ['k0', 5],
      ['k0', 90],
      ['k1', 95],
      ['k1', 100],
    ]);
    expect(r.task.metrics.total('vigil_cep_kept_dropped_total')).toBe(8);
    const gauge = (name: string) => r.task.metrics.samples().find((m) => m.name === name)?.value;
    expect(gauge('vigil_cep_kept_events')).toBe(4);
    expect(gauge('vigil_cep_kept_budget')).toBe(4);
    // The late a@95 still matched the kept b@100; a@5's partner b@10 was dropped.
    expect(r.out).toEqual(['late match:k1@100:a=95,b=100']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]![0]).toMatch(/kept-events budget is spent/);
    expect(warnings[0]![1]).toMatchObject({ operator: 'cep', maxKeptEvents: 4, allowedLatenessMs: 1000 });
  });

  it('changes nothing under the budget', async () => {
    const built: Built = { op: null, peak: 0 };
    const r = await runJob(input, lenient(built), { finalWatermark: false });
    expect(r.out).toEqual(['late match:k1@100:a=95,b=100', 'late match:k0@10:a=5,b=10']);
    expect(built.op?.keptEvents).toBe(12);
    expect(built.op?.keptDropped).toBe(0);
    expect(r.task.metrics.total('vigil_cep_kept_dropped_total')).toBe(0);
  });

  it('prunes kept events by time as the watermark passes lateness + within, whatever the budget', async () => {
    const built: Built = { op: null, peak: 0 };
    await runJob([...input, ev('z', 1200, 3)], lenient(built), { finalWatermark: false });
    // Watermark 1199, horizon 1199 - 1000 - 50 = 149: everything before z@150 is gone.
    expect(keptOf(built.op as CepOperator<Ev>)).toEqual([['z', 150]]);
    expect(built.op?.keptDropped).toBe(0);
  });

  it('a snapshot restored under a smaller budget keeps the newest, and the bound holds after', async () => {
    const opts = { batchSize: 1, finalWatermark: false };
    const before: Built = { op: null, peak: 0 };
    const first = makeJob([input], lenient(before, 8), opts);
    for (let i = 0; i < 11; i++) await first.task.step(); // the b events and z@150 (waiting)
    expect(keptOf(before.op as CepOperator<Ev>).map(([, ts]) => ts)).toEqual([30, 40, 50, 60, 70, 80, 90, 100]);
    const checkpoint = decodeCheckpoint(encodeCheckpoint(first.task.snapshot()));

    // The same budget: the same kept events.
    const same: Built = { op: null, peak: 0 };
    const again = makeJob([input], lenient(same, 8), opts);
    await again.task.restore(checkpoint);
    expect(keptOf(same.op as CepOperator<Ev>)).toEqual(keptOf(before.op as CepOperator<Ev>));

    // A smaller one: the newest three; then the late events come and the bound holds.
    const after: Built = { op: null, peak: 0 };
    const second = makeJob([input], lenient(after, 3), opts);
    await second.task.restore(checkpoint);
    const op = after.op as CepOperator<Ev>;
    expect(keptOf(op).map(([, ts]) => ts)).toEqual([80, 90, 100]);
    expect(op.keptDropped).toBe(5);
    await second.task.run();
    expect(after.peak).toBeLessThanOrEqual(3);
    expect(op.keptEvents).toBe(3);
    expect(second.out.values).toEqual(['late match:k1@100:a=95,b=100']);
  });

  it('keeps the newest over many events of many keys (the ring wraps and grows), and a key keeps many', async () => {
    const many: Line[] = Array.from({ length: 500 }, (_, i) => ev(i % 7 === 0 ? 'hot' : `k${i % 50}`, i, 2));
    for (const budget of [10, 100, 1000]) {
      const built: Built = { op: null, peak: 0 };
      await runJob(many, lenient(built, budget), { finalWatermark: false });
      const op = built.op as CepOperator<Ev>;
      const want = Math.min(budget, 499); // ts 499 is still waiting for the watermark
      expect(op.keptEvents).toBe(want);
      expect(op.keptDropped).toBe(499 - want);
      expect(keptOf(op).map(([, ts]) => ts)).toEqual(Array.from({ length: want }, (_, i) => 499 - want + i));
    }
  });

  it('rejects a budget that is not a positive integer', () => {
    expect(() => new CepOperator<Ev>({ uid: 'x', key: (e) => e.k, nfa: aThenB(), allowedLatenessMs: 10, maxKeptEvents: 0 })).toThrow(RangeError);
  });
});

describe('vigil match with allowed lateness over the kept-events budget', () => {
  it('says which pattern dropped kept events, and refuses a bad budget', async () => {
    const pattern = `source events
  event time ts
  watermark 0s out of order

pattern pair
  from events
  key by k
  define
    a as t == "a"
    b as t == "b"
  match a followed by b
  within 1m
  allowed lateness 1h
`;
    const t0 = Date.UTC(2026, 2, 2);
    const lines: string[] = [];
    for (let i = 0; i < 100; i++) lines.push(JSON.stringify({ k: `k${i % 10}`, t: 'b', ts: t0 + i * 1000 }));
    const dir = tempDir({ 'pair.pattern': pattern, 'in.ndjson': `${lines.join('\n')}\n` });
    const r = await vigil(['match', '--pattern', join(dir, 'pair.pattern'), '--input', join(dir, 'in.ndjson'), '--cep-kept-budget', '20'], dir);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/warn cep: the pattern's kept-events budget is spent; .*\{"operator":"pattern:pair:cep"/);
    expect(r.err).toMatch(/vigil match: kept-events budget: 80 kept events dropped, the oldest first, by pattern:pair:cep 80: .*--cep-kept-budget/);
    const bad = await vigil(['match', '--pattern', 'x.pattern', '--input', 'x.ndjson', '--cep-kept-budget', '0']);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/--cep-kept-budget must be a positive integer/);
  });
});
