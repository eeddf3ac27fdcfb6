// Conformance cases re-expressed from Apache Flink's GreedyITCase (flink-cep,
// org.apache.flink.cep.nfa.GreedyITCase): same inputs, same expected matches.
//
// Skipped (outside the contract):
// - testGreedyZeroOrMoreBeforeGroupPattern: uses a group pattern, followedBy(Pattern).times(2).
import { describe, it } from 'vitest';
import { byName, type Event, ev, expectMatches, feedPattern, Pattern, type Timed } from './harness.js';

const dummy = (): Event => ev(1, 'dummy', 1111);

/** c a* d, or c a+ d when `zero` is false; greedy; optional until(price > 3). */
function cAd(zero: boolean, until: boolean): Pattern<Event> {
  let p = Pattern.begin<Event>('start').where(byName('c')).followedBy('middle').where(byName('a')).oneOrMore();
  if (zero) p = p.optional();
  p = p.greedy();
  if (until) p = p.until((e) => e.price > 3.0);
  return p.followedBy('end').where(byName('d'));
}

describe('Flink GreedyITCase', () => {
  it('testGreedyZeroOrMore', () => {
    const c = ev(40, 'c', 1.0);
    const a1 = ev(41, 'a', 2.0);
    const a2 = ev(42, 'a', 2.0);
    const a3 = ev(43, 'a', 2.0);
    const d = ev(44, 'd', 3.0);
    const inputs: Timed[] = [
      [c, 1],
      [a1, 2],
      [a2, 3],
      [a3, 4],
      [d, 5],
    ];
    expectMatches(feedPattern(cAd(true, false), inputs), [[c, a1, a2, a3, d]]);
  });

  it('testGreedyZeroOrMoreInBetween', () => {
    const c = ev(40, 'c', 1.0);
    const a1 = ev(41, 'a', 2.0);
    const a2 = ev(42, 'a', 2.0);
    const a3 = ev(43, 'a', 2.0);
    const d = ev(44, 'd', 3.0);
    const inputs: Timed[] = [
      [c, 1],
      [dummy(), 2],
      [a1, 3],
      [dummy(), 4],
      [a2, 5],
      [dummy(), 6],
      [a3, 7],
      [d, 8],
    ];
    expectMatches(feedPattern(cAd(true, false), inputs), [[c, a1, a2, a3, d]]);
  });

  it('testGreedyZeroOrMoreWithDummyEventsAfterQuantifier', () => {
    const c = ev(40, 'c', 1.0);
    const a1 = ev(41, 'a', 2.0);
    const a2 = ev(42, 'a', 2.0);
    const d = ev(44, 'd', 3.0);
    const inputs: Timed[] = [
      [c, 1],
      [a1, 2],
      [a2, 3],
      [ev(43, 'dummy', 2.0), 4],
      [d, 5],
    ];
    expectMatches(feedPattern(cAd(true, false), inputs), [[c, a1, a2, d]]);
  });

  it('testGreedyZeroOrMoreWithDummyEventsBeforeQuantifier', () => {
    const c = ev(40, 'c', 1.0);
    const d = ev(44, 'd', 3.0);
    const inputs: Timed[] = [
      [c, 1],
      [ev(43, 'dummy', 2.0), 2],
      [d, 5],
    ];
    expectMatches(feedPattern(cAd(true, false), inputs), [[c, d]]);
  });

  it('testGreedyUntilZeroOrMoreWithDummyEventsAfterQuantifier', () => {
    const c = ev(40, 'c', 1.0);
    const a1 = ev(41, 'a', 2.0);
    const a2 = ev(42, 'a', 3.0);
    const a3 = ev(43, 'a', 3.0);
    const d = ev(45, 'd', 3.0);
    const inputs: Timed[] = [
      [c, 1],
      [a1, 2],
      [a2, 3],
      [a3, 4],
      [ev(44, 'a', 4.0), 5],
      [d, 6],
    ];
    expectMatches(feedPattern(cAd(true, true), inputs), [[c, a1, a2, a3, d]]);
  });

  it('testGreedyUntilWithDummyEventsBeforeQuantifier', () => {
    const c = ev(40, 'c', 1.0);
    const a1 = ev(41, 'a', 2.0);
    const a2 = ev(42, 'a', 3.0);
    const a3 = ev(43, 'a', 3.0);
    const d = ev(45, 'd', 3.0);
    const inputs: Timed[] = [
      [c, 1],
      [ev(44, 'a', 4.0), 2],
      [a1, 3],
      [a2, 4],
      [a3, 5],
      [d, 6],
    ];
    expectMatches(feedPattern(cAd(true, true), inputs), [[c, d]]);
  });

  it('testGreedyOneOrMore', () => {
    const c = ev(40, 'c', 1.0);
    const a1 = ev(41, 'a', 2.0);
    const a2 = ev(42, 'a', 2.0);
    const a3 = ev(43, 'a', 2.0);
    const d = ev(44, 'd', 3.0);
    const inputs: Timed[] = [
      [c, 1],
      [a1, 2],
      [a2, 3],
      [a3, 4],
      [d, 5],
    ];
    expectMatches(feedPattern(cAd(false, false), inputs), [[c, a1, a2, a3, d]]);
  });

  it('testGreedyOneOrMoreInBetween', () => {
    const c = ev(40, 'c', 1.0);
    const a1 = ev(41, 'a', 2.0);
    const a2 = ev(42, 'a', 2.0);
    const a3 = ev(43, 'a', 2.0);
    const d = ev(44, 'd', 3.0);
    const inputs: Timed[] = [
      [c, 1],
      [dummy(), 2],
      [a1, 3],
      [dummy(), 4],
      [a2, 5],
      [dummy(), 6],
      [a3, 7],
      [d, 8],
    ];
    expectMatches(feedPattern(cAd(false, false), inputs), [[c, a1, a2, a3, d]]);
  });

  it('testGreedyOneOrMoreWithDummyEventsAfterQuantifier', () => {
    const c = ev(40, 'c', 1.0);
    const a1 = ev(41, 'a', 2.0);
    const a2 = ev(42, 'a', 2.0);
    const d = ev(44, 'd', 3.0);
    const inputs: Timed[] = [
      [c, 1],
      [a1, 2],
      [a2, 3],
      [ev(43, 'dummy', 2.0), 4],
      [d, 5],
    ];
    expectMatches(feedPattern(cAd(false, false), inputs), [[c, a1, a2, d]]);
  });

  it('testGreedyOneOrMoreWithDummyEventsBeforeQuantifier', () => {
    const inputs: Timed[] = [
      [ev(40, 'c', 1.0), 1],
      [ev(43, 'dummy', 2.0), 2],
      [ev(44, 'd', 3.0), 5],
    ];
    expectMatches(feedPattern(cAd(false, false), inputs), []);
  });

  it('testGreedyUntilOneOrMoreWithDummyEventsAfterQuantifier', () => {
    const c = ev(40, 'c', 1.0);
    const a1 = ev(41, 'a', 2.0);
    const a2 = ev(42, 'a', 3.0);
    const a3 = ev(43, 'a', 3.0);
    const d = ev(45, 'd', 3.0);
    const inputs: Timed[] = [
      [c, 1],
      [a1, 2],
      [a2, 3],
      [a3, 4],
      [ev(44, 'a', 4.0), 5],
      [d, 6],
    ];
    expectMatches(feedPattern(cAd(false, true), inputs), [[c, a1, a2, a3, d]]);
  });

  it('testGreedyUntilOneOrMoreWithDummyEventsBeforeQuantifier', () => {
    const inputs: Timed[] = [
      [ev(40, 'c', 1.0), 1],
      [ev(44, 'a', 4.0), 2],
      [ev(41, 'a', 2.0), 3],
      [ev(42, 'a', 3.0), 4],
      [ev(43, 'a', 3.0), 5],
      [ev(45, 'd', 3.0), 6],
    ];
    expectMatches(feedPattern(cAd(false, true), inputs), []);
  });

  it('testEndWithZeroOrMoreGreedy', () => {
    const c = ev(40, 'c', 1.0);
    const a1 = ev(41, 'a', 2.0);
    const a2 = ev(42, 'a', 2.0);
    const a3 = ev(43, 'a', 2.0);
    const inputs: Timed[] = [
      [c, 1],
      [a1, 2],
      [a2, 3],
      [ev(44, 'dummy', 2.0), 4],
      [a3, 5],
    ];
    const pattern = Pattern.begin<Event>('start').where(byName('c')).followedBy('end').where(byName('a')).oneOrMore().optional().greedy();
    expectMatches(feedPattern(pattern, inputs), [[c], [c, a1], [c, a1, a2], [c, a1, a2, a3]]);
  });

  it('testEndWithZeroOrMoreConsecutiveGreedy', () => {
    const c = ev(40, 'c', 1.0);
    const a1 = ev(41, 'a', 2.0);
    const a2 = ev(42, 'a', 2.0);
    const a3 = ev(43, 'a', 2.0);
    const inputs: Timed[] = [
      [c, 1],
      [a1, 2],
      [a2, 3],
      [ev(44, 'dummy', 2.0), 4],
      [a3, 5],
    ];
    const pattern = Pattern.begin<Event>('start').where(byName('c')).followedBy('end').where(byName('a')).oneOrMore().optional().consecutive().greedy();
    expectMatches(feedPattern(pattern, inputs), [[c], [c, a1], [c, a1, a2]]);
  });

  it('testEndWithGreedyTimesRange', () => {
    const c = ev(40, 'c', 1.0);
    const a1 = ev(41, 'a', 2.0);
    const a2 = ev(42, 'a', 2.0);
    const a3 = ev(43, 'a', 2.0);
    const a4 = ev(44, 'a', 2.0);
    const inputs: Timed[] = [
      [c, 1],
      [a1, 2],
      [a2, 3],
      [a3, 4],
      [a4, 5],
      [ev(44, 'dummy', 2.0), 6],
    ];
    const pattern = Pattern.begin<Event>('start').where(byName('c')).followedBy('end').where(byName('a')).times(2, 5).greedy();
    expectMatches(feedPattern(pattern, inputs), [
      [c, a1, a2],
      [c, a1, a2, a3],
      [c, a1, a2, a3, a4],
    ]);
  });

  it('testGreedyTimesRange', () => {
    const c = ev(40, 'c', 1.0);
    const a1 = ev(41, 'a', 2.0);
    const a2 = ev(42, 'a', 2.0);
    const a3 = ev(43, 'a', 2.0);
    const a4 = ev(44, 'a', 2.0);
    const d = ev(45, 'd', 2.0);
    const inputs: Timed[] = [
      [c, 1],
      [a1, 2],
      [a2, 3],
      [a3, 4],
      [a4, 5],
      [d, 6],
    ];
    const pattern = Pattern.begin<Event>('start')
      .where(byName('c'))
      .followedBy('middle')
      .where(byName('a'))
      .times(2, 5)
      .greedy()
      .followedBy('end')
      .where(byName('d'));
    expectMatches(feedPattern(pattern, inputs), [[c, a1, a2, a3, a4, d]]);
  });
});
