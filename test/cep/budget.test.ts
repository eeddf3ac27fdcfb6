// The operator-wide state budget (CepOperatorOptions.maxStateEntries): a pattern that explodes on every key at once
// stays bounded, the drops are counted and reported naming the operator, and a workload under the budget is untouched.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CepOperator, type CepOutput } from '../../src/cep/cep-operator.js';
import { compile, type Nfa, Pattern } from '../../src/cep/index.js';
import type { DataStream } from '../../src/core/index.js';
import { tempDir, vigil } from '../cli/helpers.js';
import { type Ev, ev, runJob } from '../core/harness.js';

const KEYS = 200;
const EVENTS = 200;

/** `a followed by any b+ followed by any c` where every event is an a and a b and none a c: the partial matches of a
 *  key grow without end (the per-key cap's 10,000 is reached after some 40 events). */
const bomb = (): Nfa<Ev> =>
  compile(
    Pattern.begin<Ev>('a')
      .where((e) => e.v === 1)
      .followedByAny('b')
      .where((e) => e.v === 1)
      .oneOrMore()
      .followedByAny('c')
      .where((e) => e.v === 3),
  );

/** EVENTS events for each of KEYS keys, one event time per round. */
function bombInput(keys = KEYS, events = EVENTS): Ev[] {
  const out: Ev[] = [];
  for (let i = 0; i < events; i++) for (let k = 0; k < keys; k++) out.push(ev(`k${k}`, i, 1));
  return out;
}

interface Peaks {
  partials: number;
  entries: number;
  operator: CepOperator<Ev> | null;
}

/** Runs the NFA under a CepOperator, sampling the operator's live partial matches and state before every event. */
async function run(nfa: Nfa<Ev>, input: readonly Ev[], options: { maxStateEntries?: number; warnings?: unknown[][] } = {}) {
  const peaks: Peaks = { partials: 0, entries: 0, operator: null };
  const sampled: Nfa<Ev> = Object.create(nfa) as Nfa<Ev>;
  sampled.process = (st, event, ts) => {
    const op = peaks.operator as CepOperator<Ev>;
    peaks.partials = Math.max(peaks.partials, op.partialMatches());
    peaks.entries = Math.max(peaks.entries, op.stateSize);
    return nfa.process(st, event, ts);
  };
  const build = (s: DataStream<Ev>) =>
    s
      .keyBy((e) => e.k)
      .transform('cep', (key) => {
        const op = new CepOperator<Ev>({
          uid: 'cep',
          key,
          nfa: sampled,
          ...(options.maxStateEntries === undefined ? {} : { maxStateEntries: options.maxStateEntries }),
          logger: { warn: (message, fields) => options.warnings?.push([message, fields]) },
        });
        peaks.operator = op;
        return op;
      })
      .map('count', (o: CepOutput<Ev>) => o.kind);
  const r = await runJob(input, build);
  return { peaks, out: r.out, task: r.task };
}

describe('operator-wide state budget (maxStateEntries)', () => {
  it('keeps 200 keys x 200 events of a pattern bomb bounded, counts the drops and names the operator', async () => {
    const budget = 50_000;
    const warnings: unknown[][] = [];
    const { peaks, task } = await run(bomb(), bombInput(), { maxStateEntries: budget, warnings });
    const op = peaks.operator as CepOperator<Ev>;
    // Checked after every event, shed to 90%: before any event the state is within the budget.
    expect(peaks.entries).toBeLessThanOrEqual(budget);
    expect(peaks.entries).toBeGreaterThan(budget * 0.5); // it did fill up: the bound is the budget, not the input
    // Every partial match weighs at least one entry, so the live partial matches are bounded by the budget too,
    // far below what the per-key cap alone allows (200 keys x 10,000).
    expect(peaks.partials).toBeLessThanOrEqual(budget);
    expect(op.budgetDroppedPartialMatches).toBeGreaterThan(0);
    expect(task.metrics.total('vigil_cep_budget_dropped_partial_matches_total')).toBe(op.budgetDroppedPartialMatches);
    // The first report names the operator (the pattern) and says what was dropped; reports come as the count doubles.
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings.length).toBeLessThan(40);
    expect(warnings[0]![0]).toMatch(/budget/);
    expect(warnings[0]![1]).toMatchObject({ operator: 'cep', maxStateEntries: budget });
    expect((warnings[0]![1] as { dropped: number }).dropped).toBeGreaterThan(0);
  });

  it('without a budget (one far above) the same input grows far past it', async () => {
    // 20 keys x 30 events is enough to show the growth the budget cuts off, and cheap enough to run unbounded.
    const small = bombInput(20, 30);
    const free = await run(bomb(), small, { maxStateEntries: 1e12 });
    const capped = await run(bomb(), small, { maxStateEntries: 5_000 });
    expect(free.peaks.entries).toBeGreaterThan(10 * 5_000);
    expect(capped.peaks.entries).toBeLessThanOrEqual(5_000);
    expect(free.peaks.operator?.budgetDroppedPartialMatches).toBe(0);
  });

  it('changes nothing for a workload under the budget, and keeps its entry count exact', async () => {
    const aThenB = (): Nfa<Ev> =>
      compile(
        Pattern.begin<Ev>('a')
          .where((e) => e.v === 1)
          .followedBy('b')
          .where((e) => e.v === 2)
          .within(50),
      );
    const input: Ev[] = [];
    for (let i = 0; i < 300; i++) for (let k = 0; k < 30; k++) input.push(ev(`k${k}`, i, (i + k) % 7 === 0 ? 2 : 1));
    const plain = await run(aThenB(), input);
    const budgeted = await run(aThenB(), input, { maxStateEntries: 10_000 });
    expect(budgeted.out).toEqual(plain.out);
    expect(budgeted.peaks.operator?.budgetDroppedPartialMatches).toBe(0);
    // The running count is what a walk over the keys finds (a sweep and the final watermark left nothing).
    expect(budgeted.peaks.operator?.stateSize).toBe(0);
    expect(plain.out.length).toBeGreaterThan(0);
  });

  it('rejects a budget that is not a positive integer', () => {
    expect(() => new CepOperator<Ev>({ uid: 'x', key: (e) => e.k, nfa: bomb(), maxStateEntries: 0 })).toThrow(RangeError);
  });
});

describe('vigil match with a pattern bomb', () => {
  it('finishes, and says which pattern hit the state budget and what it dropped', async () => {
    const pattern = `source events
  event time ts
  watermark 0s out of order

pattern bomb
  from events
  key by k
  define
    a as t == "x"
    b as t == "x"
    c as t == "c"
  match a followed by any b+ followed by any c
`;
    const lines: string[] = [];
    const t0 = Date.UTC(2026, 2, 2);
    for (let i = 0; i < EVENTS; i++) for (let k = 0; k < KEYS; k++) lines.push(JSON.stringify({ k: `k${k}`, t: 'x', ts: t0 + i * 1000 }));
    const dir = tempDir({ 'bomb.pattern': pattern, 'in.ndjson': `${lines.join('\n')}\n` });
    const r = await vigil(['match', '--pattern', join(dir, 'bomb.pattern'), '--input', join(dir, 'in.ndjson'), '--cep-state-budget', '50000'], dir);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/warn cep: the pattern's state budget is spent; dropping the oldest partial matches of all keys \{"operator":"pattern:bomb:cep"/);
    expect(r.err).toMatch(/vigil match: state budget: [\d,]+ partial matches dropped, the oldest first, by pattern:bomb:cep [\d,]+: .*--cep-state-budget/);
    expect(r.err).toMatch(/vigil match: 40,000 records/);
  });

  it('refuses a budget that is not a positive integer', async () => {
    const r = await vigil(['match', '--pattern', 'x.pattern', '--input', 'x.ndjson', '--cep-state-budget', '1.5']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/--cep-state-budget must be a positive integer/);
  });
});
