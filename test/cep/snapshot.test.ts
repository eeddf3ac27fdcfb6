import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compile,
  decodeNfaState,
  encodeNfaState,
  type MatchContext,
  type Nfa,
  type NfaKeyState,
  type NfaOutput,
  Pattern,
  AfterMatchSkipStrategy as Skip,
} from '../../src/cep/index.js';
import { type Ev, kind, sig } from './helpers.js';

const above = (e: Ev, ctx: MatchContext<Ev>): boolean => e.k === 'b' && (e.v ?? 0) > (ctx.events('a')[0]?.v ?? 0);
const PATTERNS: Array<[string, () => Pattern<Ev>]> = [
  ['a b (cross-event), within', () => Pattern.begin<Ev>('a').where(kind('a')).followedBy('b').where(above).within(6)],
  // finished matches are often held back here (an earlier `a` with a higher value still waits)
  ['a b (cross-event), skip to next, within', () => Pattern.begin<Ev>('a', Skip.skipToNext()).where(kind('a')).followedBy('b').where(above).within(6)],
  [
    'a b+ c, skip past last',
    () =>
      Pattern.begin<Ev>('a', Skip.skipPastLastEvent())
        .where(kind('a'))
        .followedByAny('b')
        .where(kind('b'))
        .oneOrMore()
        .followedBy('c')
        .where(kind('c'))
        .within(8),
  ],
  [
    'a b{1,3} skip to last b',
    () => Pattern.begin<Ev>('a', Skip.skipToLast('b')).where(kind('a')).followedBy('b').where(kind('b')).times(1, 3).next('c').where(kind('c')),
  ],
  ['a !b c', () => Pattern.begin<Ev>('a').where(kind('a')).notFollowedBy('n').where(kind('b')).followedBy('c').where(kind('c')).within(5)],
  ['a then no b, within', () => Pattern.begin<Ev>('a', Skip.skipToNext()).where(kind('a')).notFollowedBy('n').where(kind('b')).within(4)],
  ['a* b c greedy', () => Pattern.begin<Ev>('a').where(kind('a')).oneOrMore().optional().greedy().next('b').where(kind('b')).followedBy('c').where(kind('c'))],
];

function collect(out: NfaOutput<Ev>, into: string[]): void {
  for (const m of out.matches) into.push(`M ${sig(m)}`);
  for (const t of out.timedOut) into.push(`T ${sig(t.match)} @${t.timeoutTimestamp}`);
}

function feed(nfa: Nfa<Ev>, st: NfaKeyState<Ev>, evs: readonly [Ev, number][], into: string[]): void {
  for (const [e, ts] of evs) collect(nfa.process(st, e, ts), into);
}

const inputArb = fc
  .array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'x'), fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 2 })), { maxLength: 14 })
  .map((rows) => {
    let ts = 0;
    return rows.map(([k, v, dt], i): [Ev, number] => {
      ts += dt;
      return [{ k, i, v }, ts];
    });
  });

describe('NFA state snapshots', () => {
  for (const [name, make] of PATTERNS) {
    it(`restoring mid-stream gives the same output: ${name}`, () => {
      // The first example cuts right after a finished match was held back (a0 with value 5 still waits).
      const held: [Ev, number][] = [
        [{ k: 'a', i: 0, v: 5 }, 0],
        [{ k: 'a', i: 1, v: 1 }, 1],
        [{ k: 'b', i: 2, v: 3 }, 2],
        [{ k: 'b', i: 3, v: 6 }, 3],
      ];
      fc.assert(
        fc.property(inputArb, fc.nat(), (input, cut) => {
          const nfa = compile(make());
          const whole: string[] = [];
          const st = nfa.createState();
          feed(nfa, st, input, whole);
          collect(nfa.advanceTime(st, 1_000), whole);

          const split: string[] = [];
          const at = input.length === 0 ? 0 : cut % (input.length + 1);
          const first = nfa.createState();
          feed(nfa, first, input.slice(0, at), split);
          // Through JSON, as a checkpoint would store it; restored into a freshly compiled NFA of the same pattern.
          const json = JSON.stringify(encodeNfaState(nfa, first));
          const nfa2 = compile(make());
          const restored = decodeNfaState(nfa2, JSON.parse(json));
          expect(restored.buffer.eventCount).toBe(first.buffer.eventCount);
          expect(restored.buffer.nodeCount).toBe(first.buffer.nodeCount);
          expect(nfa2.partialMatchCount(restored)).toBe(nfa.partialMatchCount(first));
          expect(restored.completed.length).toBe(first.completed.length);
          if (input === held && name.includes('skip to next')) expect(first.completed).toHaveLength(1);
          feed(nfa2, restored, input.slice(at), split);
          collect(nfa2.advanceTime(restored, 1_000), split);

          expect(split).toEqual(whole);
          expect([restored.buffer.eventCount, restored.buffer.nodeCount]).toEqual([st.buffer.eventCount, st.buffer.nodeCount]);
        }),
        { numRuns: 150, examples: [[held, 3]] },
      );
    });
  }

  it('stores each event once, however many partial matches share it', () => {
    const nfa = compile(Pattern.begin<Ev>('a').where(kind('a')).followedByAny('b').where(kind('b')).followedBy('c').where(kind('c')));
    const st = nfa.createState();
    [
      { k: 'a', i: 0 },
      { k: 'a', i: 1 },
      { k: 'b', i: 2 },
      { k: 'b', i: 3 },
    ].forEach((e) => {
      nfa.process(st, e, e.i);
    });
    const snap = encodeNfaState(nfa, st);
    expect(snap.events.map(([seq]) => seq).sort()).toEqual([0, 1, 2, 3]);
    expect(snap.nodes).toHaveLength(6); // a0, a1, and b2 / b3 after each of them
    expect(snap.partials).toHaveLength(7); // two waiting for b, four waiting for c, the start state
  });

  it('encodes events with a codec and refuses a snapshot of another pattern', () => {
    const p = (): Pattern<Ev> => Pattern.begin<Ev>('a').where(kind('a')).followedBy('b').where(kind('b'));
    const nfa = compile(p());
    const st = nfa.createState();
    nfa.process(st, { k: 'a', i: 0, v: 7 }, 0);
    const codec = {
      encode: (e: Ev) => `${e.k}|${e.i}|${e.v ?? ''}`,
      decode: (d: unknown) => {
        const [k, i, v] = String(d).split('|');
        return { k: k!, i: Number(i), v: v === '' ? undefined : Number(v) };
      },
    };
    const snap = encodeNfaState(nfa, st, codec);
    expect(snap.events[0]![2]).toBe('a|0|7');
    const back = decodeNfaState(nfa, snap, codec);
    expect(nfa.process(back, { k: 'b', i: 1 }, 1).matches.map(sig)).toEqual(['a=0 b=1']);
    const other = compile(Pattern.begin<Ev>('a').where(kind('a')).next('b').where(kind('b')).next('c'));
    expect(() => decodeNfaState(other, snap, codec)).toThrow(/different pattern/);
  });
});
