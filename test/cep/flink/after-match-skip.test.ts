// Conformance cases re-expressed from Apache Flink's AfterMatchSkipITCase (flink-cep,
// org.apache.flink.cep.nfa.AfterMatchSkipITCase): same inputs, same expected matches.
//
// Notes on the translation:
// - Flink feeds these records without timestamps; here they get timestamps 1, 2, 3, ... in
//   arrival order (no pattern here has a window, so timestamps do not affect the result).
// - Where Flink sets the skip strategy on the test harness (TwoVariablesFollowedByAny,
//   QuantifierAtEndOfPattern, MissedSkipTo), it is set in Pattern.begin(name, skip) here, the
//   contract's only place for it; the NFA behaves the same.
// - testSkipToLastNonExistentPositionWithoutException uses skipToFirst("b") in Flink (sic); kept.
// - testSharedBufferIsProperlyCleared asserts Flink's "shared buffer is empty" as "no partial match
//   is left beyond a fresh key state's".
//
// Skipped (outside the contract):
// - testSkipToFirstElementOfMatch, testSkipToFirstNonExistentPosition,
//   testSkipToLastNonExistentPosition: they need throwExceptionOnMiss(), which the contract lacks.
import { describe, expect, it } from 'vitest';
import { AfterMatchSkipStrategy, byName, compile, type Event, ev, expectMatches, feed, feedPattern, Pattern, type Timed } from './harness.js';

/** Records in arrival order with timestamps 1..n. */
const inOrder = (...events: Event[]): Timed[] => events.map((e, i) => [e, i + 1] as const);
const nameHas =
  (s: string) =>
  (e: Event): boolean =>
    e.name.includes(s);

describe('Flink AfterMatchSkipITCase', () => {
  describe('a{3} over six a', () => {
    const a = [1, 2, 3, 4, 5, 6].map((i) => ev(i, 'a', 0.0));
    const [a1, a2, a3, a4, a5, a6] = a as [Event, Event, Event, Event, Event, Event];

    it('testNoSkip', () => {
      const pattern = Pattern.begin<Event>('start', AfterMatchSkipStrategy.noSkip()).where(byName('a')).times(3);
      expectMatches(feedPattern(pattern, inOrder(...a)), [
        [a1, a2, a3],
        [a2, a3, a4],
        [a3, a4, a5],
        [a4, a5, a6],
      ]);
    });

    it('testSkipPastLast', () => {
      const pattern = Pattern.begin<Event>('start', AfterMatchSkipStrategy.skipPastLastEvent()).where(byName('a')).times(3);
      expectMatches(feedPattern(pattern, inOrder(...a)), [
        [a1, a2, a3],
        [a4, a5, a6],
      ]);
    });
  });

  describe('two variables followedByAny', () => {
    const a1 = ev(1, 'a', 0.0);
    const b1 = ev(2, 'b', 0.0);
    const a2 = ev(4, 'a', 0.0);
    const b2 = ev(5, 'b', 0.0);
    const compute = (skip: AfterMatchSkipStrategy) =>
      feedPattern(Pattern.begin<Event>('start', skip).where(byName('a')).followedByAny('end').where(byName('b')), inOrder(a1, b1, a2, b2));

    it('testNoSkipWithFollowedByAny', () => {
      expectMatches(compute(AfterMatchSkipStrategy.noSkip()), [
        [a1, b1],
        [a1, b2],
        [a2, b2],
      ]);
    });

    it('testSkipToNextWithFollowedByAny', () => {
      expectMatches(compute(AfterMatchSkipStrategy.skipToNext()), [
        [a1, b1],
        [a2, b2],
      ]);
    });
  });

  describe('quantifier at the end of the pattern', () => {
    const a1 = ev(1, 'a', 0.0);
    const b1 = ev(2, 'b', 0.0);
    const b2 = ev(4, 'b', 0.0);
    const b3 = ev(5, 'b', 0.0);
    const compute = (skip: AfterMatchSkipStrategy) =>
      feedPattern(Pattern.begin<Event>('start', skip).where(byName('a')).next('end').where(byName('b')).oneOrMore(), inOrder(a1, b1, b2, b3));

    it('testNoSkipWithQuantifierAtTheEnd', () => {
      expectMatches(compute(AfterMatchSkipStrategy.noSkip()), [
        [a1, b1, b2, b3],
        [a1, b1, b2],
        [a1, b1],
      ]);
    });

    it('testSkipToNextWithQuantifierAtTheEnd', () => {
      expectMatches(compute(AfterMatchSkipStrategy.skipToNext()), [[a1, b1]]);
    });
  });

  it('testSkipToFirst', () => {
    const ab = [1, 2, 3, 4, 5, 6].map((i) => ev(i, 'ab', 0.0));
    const [ab1, ab2, ab3, ab4, ab5, ab6] = ab as [Event, Event, Event, Event, Event, Event];
    const pattern = Pattern.begin<Event>('start', AfterMatchSkipStrategy.skipToFirst('end'))
      .where(nameHas('a'))
      .times(2)
      .next('end')
      .where(nameHas('b'))
      .times(2);
    expectMatches(feedPattern(pattern, inOrder(...ab)), [
      [ab1, ab2, ab3, ab4],
      [ab3, ab4, ab5, ab6],
    ]);
  });

  it('testSkipToLast', () => {
    const ab = [1, 2, 3, 4, 5, 6, 7].map((i) => ev(i, 'ab', 0.0));
    const [ab1, ab2, ab3, ab4, ab5, ab6, ab7] = ab as [Event, Event, Event, Event, Event, Event, Event];
    const pattern = Pattern.begin<Event>('start', AfterMatchSkipStrategy.skipToLast('end'))
      .where(nameHas('a'))
      .times(2)
      .next('end')
      .where(nameHas('b'))
      .times(2);
    expectMatches(feedPattern(pattern, inOrder(...ab)), [
      [ab1, ab2, ab3, ab4],
      [ab4, ab5, ab6, ab7],
    ]);
  });

  it('testSkipPastLast2', () => {
    const a1 = ev(1, 'a1', 0.0);
    const a2 = ev(2, 'a2', 0.0);
    const b1 = ev(3, 'b1', 0.0);
    const b2 = ev(4, 'b2', 0.0);
    const c1 = ev(5, 'c1', 0.0);
    const c2 = ev(6, 'c2', 0.0);
    const d1 = ev(7, 'd1', 0.0);
    const d2 = ev(7, 'd2', 0.0);
    const pattern = Pattern.begin<Event>('a', AfterMatchSkipStrategy.skipPastLastEvent())
      .where(nameHas('a'))
      .followedByAny('b')
      .where(nameHas('b'))
      .followedByAny('c')
      .where(nameHas('c'))
      .followedBy('d')
      .where(nameHas('d'));
    expectMatches(feedPattern(pattern, inOrder(a1, a2, b1, b2, c1, c2, d1, d2)), [[a1, b1, c1, d1]]);
  });

  it('testSkipPastLast3', () => {
    const a1 = ev(1, 'a1', 0.0);
    const c = ev(2, 'c', 0.0);
    const a2 = ev(3, 'a2', 0.0);
    const b2 = ev(4, 'b2', 0.0);
    const pattern = Pattern.begin<Event>('a', AfterMatchSkipStrategy.skipPastLastEvent()).where(nameHas('a')).next('b').where(nameHas('b'));
    expectMatches(feedPattern(pattern, inOrder(a1, c, a2, b2)), [[a2, b2]]);
  });

  describe('ab c ab c', () => {
    const ab1 = ev(1, 'ab1', 0.0);
    const c1 = ev(2, 'c1', 0.0);
    const ab2 = ev(3, 'ab2', 0.0);
    const c2 = ev(4, 'c2', 0.0);

    it('testSkipToFirstWithOptionalMatch', () => {
      const pattern = Pattern.begin<Event>('x', AfterMatchSkipStrategy.skipToFirst('b'))
        .where(nameHas('x'))
        .oneOrMore()
        .optional()
        .next('b')
        .where(nameHas('b'))
        .next('c')
        .where(nameHas('c'));
      expectMatches(feedPattern(pattern, inOrder(ab1, c1, ab2, c2)), [
        [ab1, c1],
        [ab2, c2],
      ]);
    });

    it('testSkipToFirstAtStartPosition', () => {
      const pattern = Pattern.begin<Event>('b', AfterMatchSkipStrategy.skipToFirst('b')).where(nameHas('b')).next('c').where(nameHas('c'));
      expectMatches(feedPattern(pattern, inOrder(ab1, c1, ab2, c2)), [
        [ab1, c1],
        [ab2, c2],
      ]);
    });
  });

  describe('a b+ with skip to first/last b', () => {
    const a1 = ev(1, 'a1', 0.0);
    const b1 = ev(2, 'b1', 0.0);
    const a2 = ev(3, 'a2', 0.0);
    const b2 = ev(4, 'b2', 0.0);
    const b3 = ev(5, 'b3', 0.0);
    const a3 = ev(3, 'a3', 0.0);
    const b4 = ev(4, 'b4', 0.0);
    const inputs = inOrder(a1, b1, a2, b2, b3, a3, b4);
    const pattern = (skip: AfterMatchSkipStrategy) =>
      Pattern.begin<Event>('a', skip).where(nameHas('a')).next('b').where(nameHas('b')).oneOrMore().consecutive();

    it('testSkipToFirstWithOneOrMore', () => {
      expectMatches(feedPattern(pattern(AfterMatchSkipStrategy.skipToFirst('b')), inputs), [
        [a1, b1],
        [a2, b2],
        [a3, b4],
      ]);
    });

    it('testSkipToLastWithOneOrMore', () => {
      expectMatches(feedPattern(pattern(AfterMatchSkipStrategy.skipToLast('b')), inputs), [
        [a1, b1],
        [a2, b2],
        [a3, b4],
      ]);
    });
  });

  describe('missed skip-to position, without exception', () => {
    const a = ev(1, 'a', 0.0);
    const c = ev(4, 'c', 0.0);
    const compute = (skip: AfterMatchSkipStrategy) =>
      feedPattern(
        Pattern.begin<Event>('a', skip).where(nameHas('a')).next('b').where(nameHas('b')).oneOrMore().optional().consecutive().next('c').where(nameHas('c')),
        inOrder(a, c),
      );

    it('testSkipToFirstNonExistentPositionWithoutException', () => {
      expectMatches(compute(AfterMatchSkipStrategy.skipToFirst('b')), [[a, c]]);
    });

    it('testSkipToLastNonExistentPositionWithoutException', () => {
      expectMatches(compute(AfterMatchSkipStrategy.skipToFirst('b')), [[a, c]]);
    });
  });

  describe('examples from the Flink docs: a+ (consecutive, greedy) next b', () => {
    const a1 = ev(1, 'a1', 0.0);
    const a2 = ev(2, 'a2', 0.0);
    const a3 = ev(3, 'a3', 0.0);
    const b1 = ev(4, 'b1', 0.0);
    const inputs = inOrder(a1, a2, a3, b1);
    const pattern = (skip: AfterMatchSkipStrategy) =>
      Pattern.begin<Event>('a', skip).where(nameHas('a')).oneOrMore().consecutive().greedy().next('b').where(nameHas('b'));

    it('testSkipPastLastWithOneOrMoreAtBeginning', () => {
      expectMatches(feedPattern(pattern(AfterMatchSkipStrategy.skipPastLastEvent()), inputs), [[a1, a2, a3, b1]]);
    });

    it('testSkipToLastWithOneOrMoreAtBeginning', () => {
      expectMatches(feedPattern(pattern(AfterMatchSkipStrategy.skipToLast('a')), inputs), [
        [a1, a2, a3, b1],
        [a3, b1],
      ]);
    });

    it('testSkipToFirstWithOneOrMoreAtBeginning', () => {
      expectMatches(feedPattern(pattern(AfterMatchSkipStrategy.skipToFirst('a')), inputs), [
        [a1, a2, a3, b1],
        [a2, a3, b1],
        [a3, b1],
      ]);
    });

    it('testNoSkipWithOneOrMoreAtBeginning', () => {
      expectMatches(feedPattern(pattern(AfterMatchSkipStrategy.noSkip()), inputs), [
        [a1, a2, a3, b1],
        [a2, a3, b1],
        [a3, b1],
      ]);
    });
  });

  it('testSkipToFirstDiscarding', () => {
    const a = ev(1, 'a', 0.0);
    const b = ev(2, 'b', 0.0);
    const c1 = ev(3, 'c1', 0.0);
    const c2 = ev(4, 'c2', 0.0);
    const c3 = ev(5, 'c3', 0.0);
    const d = ev(6, 'd', 0.0);
    const pattern = Pattern.begin<Event>('a or c', AfterMatchSkipStrategy.skipToFirst('c*'))
      .where((e) => e.name.includes('a') || e.name.includes('c'))
      .followedBy('b or c')
      .where((e) => e.name.includes('b') || e.name.includes('c'))
      .followedBy('c*')
      .where(nameHas('c'))
      .oneOrMore()
      .greedy()
      .followedBy('d')
      .where(nameHas('d'));
    expectMatches(feedPattern(pattern, inOrder(a, b, c1, c2, c3, d)), [
      [a, b, c1, c2, c3, d],
      [c1, c2, c3, d],
    ]);
  });

  it('testSkipBeforeOtherAlreadyCompleted', () => {
    const a1 = ev(1, 'a1', 0.0);
    const c1 = ev(2, 'c1', 0.0);
    const a2 = ev(3, 'a2', 1.0);
    const c2 = ev(4, 'c2', 0.0);
    const b1 = ev(5, 'b1', 1.0);
    const b2 = ev(6, 'b2', 0.0);
    const pattern = Pattern.begin<Event>('a', AfterMatchSkipStrategy.skipToFirst('c'))
      .where(nameHas('a'))
      .followedBy('c')
      .where(nameHas('c'))
      .followedBy('b')
      .where((e, ctx) => e.name.includes('b') && ctx.events('a')[0]?.price === e.price);
    expectMatches(feedPattern(pattern, inOrder(a1, c1, a2, c2, b1, b2)), [
      [a1, c1, b2],
      [a2, c2, b1],
    ]);
  });

  it('testSharedBufferIsProperlyCleared', () => {
    const pattern = Pattern.begin<Event>('start', AfterMatchSkipStrategy.skipPastLastEvent())
      .where(() => true)
      .times(2);
    const nfa = compile(pattern);
    const state = nfa.createState();
    const inputs: Timed[] = [0, 1, 2, 3].map((i) => [ev(1, 'a', 1.0), i] as const);
    feed(nfa, inputs, state);
    expect(nfa.partialMatchCount(state)).toBe(nfa.partialMatchCount(nfa.createState()));
  });
});
