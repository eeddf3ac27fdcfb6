/**
 * `vigil match` ≡ the programmatic CEP API. Each case writes a small .pattern file and NDJSON inputs, runs
 * `main(['match', ...])` in-process, and compares the printed matches and timeouts with what an independently built
 * `Pattern.begin(...)` chain, compiled with `compile`, produces when the same events go through the NFA in event-time
 * order (the CEP operator's contract: events wait for the watermark, enter in timestamp order with the record id
 * breaking ties, in code-point order, as Flink's EventComparator would, and events behind the watermark are late).
 * The programmatic side never calls the DSL compiler.
 *
 * Outputs are compared per key (a match line carries no key; different keys' outputs may interleave differently):
 * a key's matches in order, and its timeouts in order.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AfterMatchSkipStrategy, compile, type Match, Pattern } from '../../src/cep/index.js';
import { compareCodePoints } from '../../src/core/index.js';
import { tempDir, vigil } from './helpers.js';

interface Ev {
  readonly id: string;
  readonly k: string;
  readonly kind: string;
  readonly v: number;
  readonly ts: number;
}
type Line = Ev | { readonly $watermark: number };

interface Case {
  readonly name: string;
  /** The DSL `match` clause. */
  readonly match: string;
  /** Extra or replacing `define` lines; by default a/b/c/d are kind == "A"/"B"/"C"/"D" for those used in match. */
  readonly defines?: Readonly<Record<string, string>>;
  readonly within?: string;
  readonly after?: string;
  /** The same pattern, built with the programmatic API. */
  readonly build: () => Pattern<Ev>;
  /** Hand-written inputs (kinds and values); ids, keys and times are filled in. */
  readonly inputs: readonly string[];
  /** Also compare on seeded random inputs over these kinds. */
  readonly random?: string;
}

const kindOf =
  (k: string) =>
  (e: Ev): boolean =>
    e.kind === k;
const A = kindOf('A');
const B = kindOf('B');
const C = kindOf('C');
const last = (events: readonly Ev[]): Ev | undefined => events[events.length - 1];

/**
 * Compact input notation: space-separated tokens `KIND[value][@time][/key]`, e.g. `A B5 C@3000/k2`. Times default
 * to 1000 ms apart in order, keys to k1, values to 1.
 */
function events(text: string): Ev[] {
  return text
    .trim()
    .split(/\s+/)
    .map((tok, i) => {
      const m = /^([A-Z])(\d+)?(?:@(\d+))?(?:\/(\w+))?$/.exec(tok);
      if (m === null) throw new Error(`bad token ${tok}`);
      return { id: `e${i + 1}`, k: m[4] ?? 'k1', kind: m[1] as string, v: Number(m[2] ?? 1), ts: m[3] === undefined ? (i + 1) * 1000 : Number(m[3]) };
    });
}

/** A deterministic pseudo-random sequence (mulberry32) for the random inputs. */
function randomEvents(seed: number, kinds: string, n: number): Ev[] {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out: Ev[] = [];
  let ts = 1000;
  for (let i = 0; i < n; i++) {
    ts += Math.floor(next() * 3) * 500; // repeated timestamps on purpose: ids break ties ('r10' before 'r9')
    out.push({
      id: `r${i + 1}`,
      k: `k${1 + Math.floor(next() * 2)}`,
      kind: kinds[Math.floor(next() * kinds.length)] as string,
      v: 1 + Math.floor(next() * 9),
      ts,
    });
  }
  return out;
}

function patternFile(c: Case, bound: number): string {
  const used = new Set(c.match.match(/\b[a-d]\b/g) ?? []);
  const defaults: Record<string, string> = { a: 'kind == "A"', b: 'kind == "B"', c: 'kind == "C"', d: 'kind == "D"' };
  const defines = { ...Object.fromEntries([...used].map((v) => [v, defaults[v] as string])), ...(c.defines ?? {}) };
  return [
    'source events',
    '  event time ts',
    `  watermark ${bound}ms out of order`,
    '',
    'pattern p',
    '  from events',
    '  key by k',
    '  define',
    ...Object.entries(defines).map(([v, cond]) => `    ${v} as ${cond}`),
    `  match ${c.match}`,
    ...(c.within === undefined ? [] : [`  within ${c.within}`]),
    ...(c.after === undefined ? [] : [`  after match ${c.after}`]),
    '',
  ].join('\n');
}

type Output = { readonly kind: 'match' | 'timeout'; readonly match: Match<Ev> };

/** The key of an output: every event in it has the same one. */
function keyOf(m: Match<Ev>): string {
  for (const list of Object.values(m)) for (const e of list) return e.k;
  return '?';
}

/**
 * Per key: its matches in order and its timeouts in order. The relative order of a match and a timeout found by the
 * same event is not compared: Vigil's CepOperator writes the event's matches before the timeouts it caused, where
 * Flink's operator (advanceTime before process) writes the timeouts first.
 */
function byKey(outputs: readonly Output[]): Record<string, { matches: Match<Ev>[]; timeouts: Match<Ev>[] }> {
  const out: Record<string, { matches: Match<Ev>[]; timeouts: Match<Ev>[] }> = {};
  for (const o of outputs) {
    const k = (out[keyOf(o.match)] ??= { matches: [], timeouts: [] });
    (o.kind === 'match' ? k.matches : k.timeouts).push(o.match);
  }
  return out;
}

/** The programmatic side: watermark per record (max - bound - 1) and explicit ones, late events dropped, per-key NFAs. */
function programmatic(build: () => Pattern<Ev>, lines: readonly Line[], bound: number, unbounded: boolean): Output[] {
  const nfa = compile(build());
  let watermark = Number.NEGATIVE_INFINITY;
  let maxTs = Number.NEGATIVE_INFINITY;
  const accepted: Ev[] = [];
  for (const l of lines) {
    if ('$watermark' in l) {
      watermark = Math.max(watermark, l.$watermark);
      continue;
    }
    if (l.ts <= watermark) continue; // late: the operator's late output, never the NFA
    accepted.push(l);
    maxTs = Math.max(maxTs, l.ts);
    watermark = Math.max(watermark, maxTs - bound - 1);
  }
  // Only what the watermark has passed enters the NFA (all of it, once a bounded input ends).
  const due = unbounded ? accepted.filter((e) => e.ts <= watermark) : accepted;
  const ordered = due.map((e, i) => ({ e, i })).sort((x, y) => x.e.ts - y.e.ts || compareCodePoints(x.e.id, y.e.id) || x.i - y.i);
  const states = new Map<string, ReturnType<typeof nfa.createState>>();
  const out: Output[] = [];
  const collect = (r: { matches: Match<Ev>[]; timedOut: { match: Match<Ev> }[] }): void => {
    for (const t of r.timedOut) out.push({ kind: 'timeout', match: t.match });
    for (const m of r.matches) out.push({ kind: 'match', match: m });
  };
  for (const { e } of ordered) {
    let st = states.get(e.k);
    if (st === undefined) states.set(e.k, (st = nfa.createState(e.k)));
    collect(nfa.process(st, e, e.ts));
  }
  const end = unbounded ? watermark : Number.POSITIVE_INFINITY;
  for (const st of states.values()) collect(nfa.advanceTime(st, end));
  return out;
}

/** The DSL side: `vigil match` in-process, stdout parsed back. */
async function viaCli(c: Case, lines: readonly Line[], bound: number, unbounded: boolean): Promise<Output[]> {
  const dir = tempDir();
  writeFileSync(join(dir, 'p.pattern'), patternFile(c, bound));
  writeFileSync(join(dir, 'in.ndjson'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  // Absolute paths: `vigil match` reads --input relative to the process's directory, not io.cwd.
  const r = await vigil(['match', '--pattern', 'p.pattern', '--input', join(dir, 'in.ndjson'), ...(unbounded ? ['--unbounded'] : [])], dir);
  expect(r.code, r.err).toBe(0);
  return r.out
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const o = JSON.parse(l) as { pattern: string; match?: Match<Ev>; timeout?: Match<Ev> };
      expect(o.pattern).toBe('p');
      return o.match !== undefined ? { kind: 'match', match: o.match } : { kind: 'timeout', match: o.timeout as Match<Ev> };
    });
}

async function expectSame(c: Case, lines: readonly Line[], options: { bound?: number; unbounded?: boolean } = {}): Promise<Output[]> {
  const bound = options.bound ?? 0;
  const unbounded = options.unbounded ?? false;
  const cli = await viaCli(c, lines, bound, unbounded);
  const api = programmatic(c.build, lines, bound, unbounded);
  expect(byKey(cli), `${c.match} over ${JSON.stringify(lines)}`).toEqual(byKey(api));
  return cli;
}

/** Event ids per variable, for the sanity checks that the cases do exercise what they claim. */
const ids = (outs: readonly Output[], kind: 'match' | 'timeout' = 'match'): string[] =>
  outs
    .filter((o) => o.kind === kind)
    .map((o) =>
      Object.entries(o.match)
        .map(([v, es]) => `${v}:${es.map((e) => e.id).join(',')}`)
        .join(' '),
    );

const cases: Case[] = [
  // ---- connectors
  { name: 'next', match: 'a next b', build: () => Pattern.begin<Ev>('a').where(A).next('b').where(B), inputs: ['A B A C B A A B'], random: 'AB' },
  {
    name: 'followed by',
    match: 'a followed by b',
    build: () => Pattern.begin<Ev>('a').where(A).followedBy('b').where(B),
    inputs: ['A C B A A C B B'],
    random: 'ABC',
  },
  {
    name: 'followed by any',
    match: 'a followed by any b',
    build: () => Pattern.begin<Ev>('a').where(A).followedByAny('b').where(B),
    inputs: ['A B C B A B'],
    random: 'ABC',
  },
  {
    name: 'not next',
    match: 'a not next c followed by b',
    build: () => Pattern.begin<Ev>('a').where(A).notNext('c').where(C).followedBy('b').where(B),
    inputs: ['A C B A D B A B'],
    random: 'ABCD',
  },
  {
    name: 'not followed by (between)',
    match: 'a not followed by c followed by b',
    build: () => Pattern.begin<Ev>('a').where(A).notFollowedBy('c').where(C).followedBy('b').where(B),
    inputs: ['A C B A D B A B'],
    random: 'ABCD',
  },
  {
    name: 'not followed by (last, with within)',
    match: 'a not followed by c',
    within: '3s',
    build: () => Pattern.begin<Ev>('a').where(A).notFollowedBy('c').where(C).within(3000),
    inputs: ['A B C A B B B A'],
    random: 'ABC',
  },
  // ---- quantifiers
  {
    name: '?',
    match: 'a followed by b? followed by c',
    build: () => Pattern.begin<Ev>('a').where(A).followedBy('b').where(B).optional().followedBy('c').where(C),
    inputs: ['A B C A C A B B C'],
    random: 'ABC',
  },
  {
    name: '+',
    match: 'a followed by b+ followed by c',
    build: () => Pattern.begin<Ev>('a').where(A).followedBy('b').where(B).oneOrMore().followedBy('c').where(C),
    inputs: ['A B B C A C'],
    random: 'ABC',
  },
  {
    name: '*',
    match: 'a followed by b* followed by c',
    build: () => Pattern.begin<Ev>('a').where(A).followedBy('b').where(B).zeroOrMore().followedBy('c').where(C),
    inputs: ['A B B C A C'],
    random: 'ABC',
  },
  {
    name: '{n}',
    match: 'a followed by b{2} followed by c',
    build: () => Pattern.begin<Ev>('a').where(A).followedBy('b').where(B).times(2).followedBy('c').where(C),
    inputs: ['A B C B B C A B B B C'],
    random: 'ABC',
  },
  {
    name: '{n,}',
    match: 'a followed by b{2,} followed by c',
    build: () => Pattern.begin<Ev>('a').where(A).followedBy('b').where(B).timesOrMore(2).followedBy('c').where(C),
    inputs: ['A B C B B B C'],
    random: 'ABC',
  },
  {
    name: '{n,m}',
    match: 'a followed by b{2,3} followed by c',
    build: () => Pattern.begin<Ev>('a').where(A).followedBy('b').where(B).times(2, 3).followedBy('c').where(C),
    inputs: ['A B B B B C'],
    random: 'ABC',
  },
  {
    name: 'trailing ? on {n}',
    match: 'a followed by b{2}? followed by c',
    build: () => Pattern.begin<Ev>('a').where(A).followedBy('b').where(B).times(2).optional().followedBy('c').where(C),
    inputs: ['A B C A B B C A C'],
    random: 'ABC',
  },
  {
    name: 'trailing ? on +',
    match: 'a followed by b+? followed by c',
    build: () => Pattern.begin<Ev>('a').where(A).followedBy('b').where(B).oneOrMore().optional().followedBy('c').where(C),
    inputs: ['A B C A C'],
    random: 'ABC',
  },
  {
    name: '{0,m}',
    match: 'a followed by b{0,2} followed by c',
    build: () => Pattern.begin<Ev>('a').where(A).followedBy('b').where(B).times(0, 2).followedBy('c').where(C),
    inputs: ['A C A B C A B B B C'],
    random: 'ABC',
  },
  {
    name: '{0,}',
    match: 'a followed by b{0,} followed by c',
    build: () => Pattern.begin<Ev>('a').where(A).followedBy('b').where(B).timesOrMore(0).followedBy('c').where(C),
    inputs: ['A C A B B C'],
    random: 'ABC',
  },
  {
    name: 'followed by any into a loop',
    match: 'a followed by any b+ followed by c',
    build: () => Pattern.begin<Ev>('a').where(A).followedByAny('b').where(B).oneOrMore().followedBy('c').where(C),
    inputs: ['A B D B C'],
    random: 'ABCD',
  },
  // ---- modifiers
  {
    // Flink: a greedy loop never hands an event that it could take to the next state, so c is the first
    // event after the loop that is not a b (c's own condition overlaps b's on B7).
    name: 'greedy',
    match: 'a followed by b+ greedy followed by c',
    defines: { c: 'v > 5' },
    build: () =>
      Pattern.begin<Ev>('a')
        .where(A)
        .followedBy('b')
        .where(B)
        .oneOrMore()
        .greedy()
        .followedBy('c')
        .where((e) => e.v > 5),
    inputs: ['A B1 B7 B2 C9'],
    random: 'ABC',
  },
  {
    name: 'consecutive',
    match: 'a followed by b{3} consecutive followed by c',
    build: () => Pattern.begin<Ev>('a').where(A).followedBy('b').where(B).times(3).consecutive().followedBy('c').where(C),
    inputs: ['A B B D B C A B B B C'],
    random: 'ABCD',
  },
  {
    name: 'any (allowCombinations)',
    match: 'a followed by b{2} any followed by c',
    build: () => Pattern.begin<Ev>('a').where(A).followedBy('b').where(B).times(2).allowCombinations().followedBy('c').where(C),
    inputs: ['A B D B B C'],
    random: 'ABCD',
  },
  {
    name: 'until',
    match: 'a followed by b+ until v > 5 followed by c',
    defines: { b: 'kind == "B" or kind == "C"' },
    build: () =>
      Pattern.begin<Ev>('a')
        .where(A)
        .followedBy('b')
        .where((e) => B(e) || C(e))
        .oneOrMore()
        .until((e) => e.v > 5)
        .followedBy('c')
        .where(C),
    inputs: ['A B1 C2 B9 C1'],
    random: 'ABC',
  },
  {
    name: 'iterative condition (w.f is the last event of w, aggregates over a variable)',
    match: 'a followed by b+ followed by c',
    defines: { b: 'kind == "B" and v >= a.v', c: 'kind == "C" and sum(b.v) > 4' },
    build: () =>
      Pattern.begin<Ev>('a')
        .where(A)
        .followedBy('b')
        .where((e, ctx) => B(e) && e.v >= (last(ctx.events('a'))?.v ?? Number.NaN))
        .oneOrMore()
        .followedBy('c')
        .where((e, ctx) => C(e) && ctx.events('b').reduce((s, x) => s + x.v, 0) > 4),
    inputs: ['A2 B1 B3 C1 B4 C1'],
    random: 'ABC',
  },
  {
    name: 'greedy * (zero or more) with consecutive',
    match: 'a next b* consecutive greedy followed by c',
    defines: { c: 'v > 5' },
    build: () =>
      Pattern.begin<Ev>('a')
        .where(A)
        .next('b')
        .where(B)
        .zeroOrMore()
        .consecutive()
        .greedy()
        .followedBy('c')
        .where((e) => e.v > 5),
    inputs: ['A B2 B8 C9 A C7'],
    random: 'ABC',
  },
  {
    // DSL.md: in `define v` the aggregates over v include the event under test; in `until` they do not.
    name: 'aggregates over the looping variable in define (with the current event) and until (without)',
    match: 'a followed by b+ until count(b) >= 3 or sum(b.v) > 8 followed by c',
    defines: { b: 'kind == "B" and avg(b.v) <= 5 and first(b.v) <= v' },
    build: () =>
      Pattern.begin<Ev>('a')
        .where(A)
        .followedBy('b')
        .where((e, ctx) => {
          const vs = [...ctx.events('b').map((x) => x.v), e.v];
          return B(e) && vs.reduce((s, x) => s + x, 0) / vs.length <= 5 && (vs[0] as number) <= e.v;
        })
        .oneOrMore()
        .until((_e, ctx) => ctx.events('b').length >= 3 || ctx.events('b').reduce((s, x) => s + x.v, 0) > 8)
        .followedBy('c')
        .where(C),
    inputs: ['A B2 B3 B4 B5 C A B6 B1 B9 C'],
    random: 'ABC',
  },
  // ---- skip strategies (overlapping matches so each strategy prunes something different)
  ...(
    [
      ['no skip', undefined, () => AfterMatchSkipStrategy.noSkip()],
      ['skip to next', 'skip to next', () => AfterMatchSkipStrategy.skipToNext()],
      ['skip past last event', 'skip past last event', () => AfterMatchSkipStrategy.skipPastLastEvent()],
      ['skip to first b', 'skip to first b', () => AfterMatchSkipStrategy.skipToFirst('b')],
      ['skip to last b', 'skip to last b', () => AfterMatchSkipStrategy.skipToLast('b')],
      ['skip to last a', 'skip to last a', () => AfterMatchSkipStrategy.skipToLast('a')],
    ] as const
  ).map(
    ([name, after, skip]): Case => ({
      name: `after match ${name}`,
      match: 'a+ followed by b+ followed by c',
      ...(after === undefined ? {} : { after }),
      build: () => Pattern.begin<Ev>('a', skip()).where(A).oneOrMore().followedBy('b').where(B).oneOrMore().followedBy('c').where(C),
      inputs: ['A A B B C B C'],
      random: 'ABC',
    }),
  ),
  // ---- within and timeouts
  {
    name: 'within',
    match: 'a followed by b',
    within: '2500ms',
    build: () => Pattern.begin<Ev>('a').where(A).followedBy('b').where(B).within(2500),
    inputs: ['A C C B A B', 'A@1000 B@3500 A@4000 B@6499'],
    random: 'ABC',
  },
  {
    name: 'timeouts of partial matches (several keys, within)',
    match: 'a followed by b+ followed by c',
    within: '3s',
    build: () => Pattern.begin<Ev>('a').where(A).followedBy('b').where(B).oneOrMore().followedBy('c').where(C).within(3000),
    inputs: ['A/k1 A/k2 B/k1 B/k2 C/k2 B/k1 A/k1'],
    random: 'ABC',
  },
];

describe('vigil match ≡ programmatic Pattern API', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const first = await expectSame(c, events(c.inputs[0] as string));
      for (const input of c.inputs.slice(1)) await expectSame(c, events(input));
      for (let seed = 1; seed <= 3 && c.random !== undefined; seed++) await expectSame(c, randomEvents(seed * 7919 + c.name.length, c.random, 24));
      // The hand-written input was chosen to produce output: a case where both sides print nothing proves little.
      expect(first.length, 'the hand-written input produces output').toBeGreaterThan(0);
    });
  }

  it('the hand-written inputs show each feature doing its job', async () => {
    const byName = (n: string): Case => cases.find((c) => c.name === n) as Case;
    const run = async (n: string, input?: string): Promise<Output[]> => viaCli(byName(n), events(input ?? (byName(n).inputs[0] as string)), 0, false);
    const sorted = (xs: string[]): string[] => [...xs].sort();
    expect(sorted(ids(await run('next')))).toEqual(['a:e1 b:e2', 'a:e7 b:e8']);
    expect(sorted(ids(await run('not next')))).toEqual(['a:e4 b:e6', 'a:e7 b:e8']);
    // The last A's pending match completes when the final watermark passes its window.
    expect(sorted(ids(await run('not followed by (last, with within)')))).toEqual(['a:e4', 'a:e8']);
    expect(sorted(ids(await run('{n}')))).toEqual(['a:e1 b:e2,e4 c:e6', 'a:e7 b:e8,e9 c:e11']);
    expect(sorted(ids(await run('greedy')))).toEqual(['a:e1 b:e2,e3,e4 c:e5']);
    expect(sorted(ids(await run('until')))).toEqual(['a:e1 b:e2 c:e3', 'a:e1 b:e2,e3 c:e5']);
    expect(sorted(ids(await run('within', 'A@1000 B@3500 A@4000 B@6499')))).toEqual(['a:e3 b:e4']);
    expect(ids(await run('within', 'A@1000 B@3500 A@4000 B@6499'), 'timeout')).toEqual(['a:e1']);
    expect(ids(await run('after match skip past last event'))).toEqual(['a:e1,e2 b:e3,e4 c:e5']);
    expect((await run('after match no skip')).length).toBeGreaterThan((await run('after match skip past last event')).length);
  });

  // Every skip strategy against several shapes, with and without `within`, on seeded random inputs.
  const shapes: ReadonlyArray<readonly [string, (skip: AfterMatchSkipStrategy) => Pattern<Ev>]> = [
    ['a+ followed by b', (k) => Pattern.begin<Ev>('a', k).where(A).oneOrMore().followedBy('b').where(B)],
    ['a followed by b{2,3} followed by c', (k) => Pattern.begin<Ev>('a', k).where(A).followedBy('b').where(B).times(2, 3).followedBy('c').where(C)],
    ['a followed by any b+ followed by c', (k) => Pattern.begin<Ev>('a', k).where(A).followedByAny('b').where(B).oneOrMore().followedBy('c').where(C)],
    ['a not followed by c followed by b', (k) => Pattern.begin<Ev>('a', k).where(A).notFollowedBy('c').where(C).followedBy('b').where(B)],
    ['a next b* followed by c', (k) => Pattern.begin<Ev>('a', k).where(A).next('b').where(B).zeroOrMore().followedBy('c').where(C)],
  ];
  const skips: ReadonlyArray<readonly [string | undefined, () => AfterMatchSkipStrategy]> = [
    [undefined, () => AfterMatchSkipStrategy.noSkip()],
    ['skip to next', () => AfterMatchSkipStrategy.skipToNext()],
    ['skip past last event', () => AfterMatchSkipStrategy.skipPastLastEvent()],
    ['skip to first b', () => AfterMatchSkipStrategy.skipToFirst('b')],
    ['skip to last b', () => AfterMatchSkipStrategy.skipToLast('b')],
  ];
  for (const [match, shape] of shapes) {
    for (const within of [undefined, 4000]) {
      it(`every skip strategy: ${match}${within === undefined ? '' : ` within ${within}ms`}`, async () => {
        let outputs = 0;
        for (const [after, skip] of skips) {
          const c: Case = {
            name: match,
            match,
            ...(after === undefined ? {} : { after }),
            ...(within === undefined ? {} : { within: `${within}ms` }),
            build: () => (within === undefined ? shape(skip()) : shape(skip()).within(within)),
            inputs: [],
          };
          for (let seed = 11; seed <= 13; seed++) outputs += (await expectSame(c, randomEvents(seed, 'ABC', 30))).length;
        }
        expect(outputs).toBeGreaterThan(0);
      });
    }
  }

  it('out-of-order input under a watermark bound, with a late event', async () => {
    const c = cases.find((x) => x.name === 'followed by') as Case;
    // B at 2500 arrives after C at 4000 (watermark 1999): in time, it enters the NFA after the A at 2000.
    // The A at 500 arrives behind the watermark (3999): late, never matched.
    const lines = events('A@1000 C@4000 B@2500 A@2000 B@6000 A@500 B@7000');
    const out = await expectSame(c, lines, { bound: 2000 });
    expect(ids(out).sort()).toEqual(['a:e1 b:e3', 'a:e4 b:e3']);
  });

  it('explicit watermarks and --unbounded: what the watermark has not passed stays pending', async () => {
    const c = cases.find((x) => x.name === 'timeouts of partial matches (several keys, within)') as Case;
    const lines: Line[] = events('A@1000/k1 B@2000/k1 A@2500/k2 B@5000/k2 C@6000/k1');
    lines.splice(3, 0, { $watermark: 4500 });
    const bounded = await expectSame(c, lines, { bound: 60000 });
    const unbounded = await expectSame(c, lines, { bound: 60000, unbounded: true });
    // Bounded: everything times out at the end. Unbounded: only what the explicit watermark (4500) passed.
    expect(ids(bounded, 'timeout').sort()).toEqual(['a:e1 b:e2', 'a:e3 b:e4']);
    expect(ids(unbounded, 'timeout')).toEqual(['a:e1 b:e2']);
  });
});
