// Property test: the runtime for `a next b` (pair-runtime.ts) behaves exactly as the generic NFA on the same
// compiled pattern: the same matches and timeouts after every event and time advance, the same partial-match
// counts and expiry times, the same snapshots, and a snapshot taken from either restores into the other.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AfterMatchSkipStrategy, compile, decodeNfaState, encodeNfaState, type MatchContext, type Nfa, type NfaOutput, Pattern } from '../../src/cep/index.js';
import { NfaRuntime } from '../../src/cep/nfa.js';
import { compilePattern } from '../../src/cep/nfa-compiler.js';
import { PairRuntime, pairShape } from '../../src/cep/pair-runtime.js';

interface Ev {
  readonly i: number;
  readonly k: 'x' | 'y' | 'z';
  readonly v: number;
}
type Step = { kind: 'event'; k: Ev['k']; v: number; gap: number } | { kind: 'advance'; gap: number } | { kind: 'snapshot' };

const SKIPS: Array<() => AfterMatchSkipStrategy> = [
  () => AfterMatchSkipStrategy.noSkip(),
  () => AfterMatchSkipStrategy.skipPastLastEvent(),
  () => AfterMatchSkipStrategy.skipToNext(),
  () => AfterMatchSkipStrategy.skipToFirst('a'),
  () => AfterMatchSkipStrategy.skipToLast('b'),
];

interface Spec {
  readonly skip: number;
  readonly within: number;
  readonly aKinds: readonly Ev['k'][] | null;
  /** b's condition: by kind, or by comparing with `a` through the context (as hop's `b` reads `a.checkpoint`). */
  readonly bRule: 'kind' | 'sameValue' | 'events' | 'none';
}

function build(spec: Spec): Pattern<Ev> {
  let p = Pattern.begin<Ev>('a', SKIPS[spec.skip]!());
  const aKinds = spec.aKinds;
  if (aKinds !== null) p = p.where((e) => aKinds.includes(e.k));
  p = p.next('b');
  if (spec.bRule === 'kind') p = p.where((e) => e.k !== 'z');
  else if (spec.bRule === 'sameValue') p = p.where((e, ctx: MatchContext<Ev>) => e.v === ctx.last('a')?.v && ctx.last('b') === undefined);
  else if (spec.bRule === 'events')
    p = p.where((e, ctx: MatchContext<Ev>) => ctx.events('a').length === 1 && ctx.events('b').length === 0 && e.v >= ctx.events('a')[0]!.v);
  if (spec.within > 0) p = p.within(spec.within);
  return p;
}

const ids = (out: NfaOutput<Ev>): string =>
  JSON.stringify({
    matches: out.matches.map((m) => Object.entries(m).map(([k, es]) => [k, es.map((e) => e.i)])),
    timedOut: out.timedOut.map((t) => [t.timeoutTimestamp, Object.entries(t.match).map(([k, es]) => [k, es.map((e) => e.i)])]),
  });

const specArb = fc.record({
  skip: fc.integer({ min: 0, max: SKIPS.length - 1 }),
  within: fc.constantFrom(0, 1, 2, 3, 5, 10),
  aKinds: fc.option(fc.subarray(['x', 'y', 'z'] as const, { minLength: 1 }), { nil: null }),
  bRule: fc.constantFrom('kind', 'sameValue', 'events', 'none') as fc.Arbitrary<Spec['bRule']>,
});
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('event' as const),
      k: fc.constantFrom('x', 'y', 'z') as fc.Arbitrary<Ev['k']>,
      v: fc.integer({ min: 0, max: 2 }),
      gap: fc.integer({ min: 0, max: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('advance' as const), gap: fc.integer({ min: 0, max: 6 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('snapshot' as const) }) },
);

describe('pair runtime (a next b)', () => {
  it('is chosen for a next b only', () => {
    expect(compile(Pattern.begin<Ev>('a').next('b').within(5))).toBeInstanceOf(PairRuntime);
    expect(
      compile(
        Pattern.begin<Ev>('a')
          .where((e) => e.k === 'x')
          .next('b'),
      ),
    ).toBeInstanceOf(PairRuntime);
    expect(compile(Pattern.begin<Ev>('a').followedBy('b'))).not.toBeInstanceOf(PairRuntime);
    expect(compile(Pattern.begin<Ev>('a').next('b').oneOrMore())).not.toBeInstanceOf(PairRuntime);
    expect(compile(Pattern.begin<Ev>('a').next('b').optional())).not.toBeInstanceOf(PairRuntime);
    expect(compile(Pattern.begin<Ev>('a').next('b').next('c'))).not.toBeInstanceOf(PairRuntime);
    expect(compile(Pattern.begin<Ev>('a').oneOrMore().next('b'))).not.toBeInstanceOf(PairRuntime);
    expect(compile(Pattern.begin<Ev>('a').next('b').notFollowedBy('c').within(3))).not.toBeInstanceOf(PairRuntime);
  });

  it('matches, times out, counts and snapshots exactly as the generic NFA', () => {
    fc.assert(
      fc.property(specArb, fc.array(stepArb, { maxLength: 40 }), fc.boolean(), (spec, steps, timeouts) => {
        const compiled = compilePattern(build(spec));
        const shape = pairShape(compiled);
        expect(shape).not.toBeNull();
        const generic: Nfa<Ev> = new NfaRuntime<Ev>(compiled, { timeouts });
        const pair: Nfa<Ev> = new PairRuntime<Ev>(compiled, shape!, { timeouts });
        let gs = generic.createState('k');
        let ps = pair.createState('k');
        let ts = 0;
        let i = 0;
        let swap = false;
        for (const step of steps) {
          if (step.kind === 'snapshot') {
            // Each runtime restores the other's snapshot: the format is one.
            const g = encodeNfaState(generic, gs);
            const p = encodeNfaState(pair, ps);
            expect(JSON.stringify(p)).toBe(JSON.stringify(g));
            swap = !swap;
            gs = decodeNfaState(generic, swap ? p : g, undefined, 'k');
            ps = decodeNfaState(pair, swap ? g : p, undefined, 'k');
            continue;
          }
          ts += step.gap;
          const out =
            step.kind === 'event'
              ? [generic.process(gs, { i, k: step.k, v: step.v }, ts), pair.process(ps, { i: i++, k: step.k, v: step.v }, ts)]
              : [generic.advanceTime(gs, ts), pair.advanceTime(ps, ts)];
          expect(ids(out[1]!)).toBe(ids(out[0]!));
          expect(pair.partialMatchCount(ps)).toBe(generic.partialMatchCount(gs));
          expect(pair.nextTimeout(ps)).toBe(generic.nextTimeout(gs));
          expect(pair.expiryMayEmit(ps)).toBe(generic.expiryMayEmit(gs));
          expect(ps.nodeCount).toBe(gs.nodeCount);
        }
        expect(JSON.stringify(encodeNfaState(pair, ps))).toBe(JSON.stringify(encodeNfaState(generic, gs)));
      }),
      { numRuns: 600 },
    );
  });
});
