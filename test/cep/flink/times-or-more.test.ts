// Conformance cases re-expressed from Apache Flink's TimesOrMoreITCase (flink-cep,
// org.apache.flink.cep.nfa.TimesOrMoreITCase): same inputs, same expected matches.
// Nothing skipped. (Flink's testTimesOrMoreStrict really uses times(2).consecutive(); kept as is.)
import { describe, it } from 'vitest';
import { cThen, end, m1, m2, m3, s, thenB, withGaps } from './consecutive-data.js';
import { ev, expectMatches, feedPattern, type Timed } from './harness.js';

describe('Flink TimesOrMoreITCase', () => {
  it('testTimesOrMore', () => {
    const startEvent = ev(40, 'c', 1.0);
    const middleEvent1 = ev(41, 'a', 2.0);
    const middleEvent2 = ev(42, 'a', 3.0);
    const middleEvent3 = ev(43, 'a', 4.0);
    const end1 = ev(44, 'b', 5.0);
    const inputs: Timed[] = [
      [startEvent, 1],
      [middleEvent1, 2],
      [middleEvent2, 3],
      [middleEvent3, 4],
      [end1, 6],
    ];
    // c a{2,} b
    const pattern = thenB(cThen('followedBy').timesOrMore(2).allowCombinations());
    expectMatches(feedPattern(pattern, inputs), [
      [startEvent, middleEvent1, middleEvent2, middleEvent3, end1],
      [startEvent, middleEvent1, middleEvent2, end1],
      [startEvent, middleEvent1, middleEvent3, end1],
    ]);
  });

  it('testTimesOrMoreNonStrict', () => {
    const pattern = thenB(cThen('followedByAny').timesOrMore(2).allowCombinations());
    expectMatches(feedPattern(pattern, withGaps()), [
      [s, m1, m2, m3, end],
      [s, m1, m2, end],
      [s, m1, m3, end],
      [s, m2, m3, end],
    ]);
  });

  it('testTimesOrMoreStrict', () => {
    const pattern = thenB(cThen('followedByAny').times(2).consecutive());
    expectMatches(feedPattern(pattern, withGaps()), [[s, m2, m3, end]]);
  });

  it('testTimesOrMoreStrictOptional', () => {
    const pattern = thenB(cThen('followedByAny').timesOrMore(2).consecutive().optional());
    expectMatches(feedPattern(pattern, withGaps()), [
      [s, m2, m3, end],
      [s, end],
    ]);
  });

  it('testTimesOrMoreStrictOptional2', () => {
    const inputs: Timed[] = [
      [s, 1],
      [m1, 3],
      [m2, 5],
      [m3, 6],
      [end, 7],
    ];
    const pattern = thenB(cThen('next').timesOrMore(2).consecutive().optional());
    expectMatches(feedPattern(pattern, inputs), [
      [s, m1, m2, m3, end],
      [s, m1, m2, end],
      [s, end],
    ]);
  });

  it('testTimesOrMoreNonStrictOptional', () => {
    const inputs: Timed[] = [
      [s, 1],
      [ev(23, 'f', 1.0), 2],
      [end, 7],
    ];
    const pattern = thenB(cThen('followedBy').timesOrMore(2).optional());
    expectMatches(feedPattern(pattern, inputs), [[s, end]]);
  });

  it('testTimesOrMoreNonStrictOptional2', () => {
    const pattern = thenB(cThen('followedByAny').timesOrMore(2).allowCombinations().optional());
    expectMatches(feedPattern(pattern, withGaps()), [
      [s, m1, m2, m3, end],
      [s, m1, m2, end],
      [s, m1, m3, end],
      [s, m2, m3, end],
      [s, end],
    ]);
  });

  it('testTimesOrMoreNonStrictOptional3', () => {
    const pattern = thenB(cThen('followedByAny').timesOrMore(2).optional());
    expectMatches(feedPattern(pattern, withGaps()), [
      [s, m1, m2, m3, end],
      [s, m1, m2, end],
      [s, m2, m3, end],
      [s, end],
    ]);
  });

  it('testTimesOrMoreNonStrictWithNext', () => {
    const inputs: Timed[] = [
      [s, 1],
      [m1, 2],
      [ev(23, 'f', 1.0), 3],
      [m2, 4],
      [ev(23, 'f', 1.0), 5],
      [m3, 6],
      [end, 7],
    ];
    const pattern = thenB(cThen('next').timesOrMore(2).allowCombinations());
    expectMatches(feedPattern(pattern, inputs), [
      [s, m1, m2, m3, end],
      [s, m1, m2, end],
      [s, m1, m3, end],
    ]);
  });

  it('testTimesOrMoreNotStrictWithFollowedBy', () => {
    const inputs: Timed[] = [
      [s, 1],
      [m1, 2],
      [m2, 4],
      [m3, 6],
      [end, 7],
    ];
    const pattern = thenB(cThen('followedBy').timesOrMore(2));
    expectMatches(feedPattern(pattern, inputs), [
      [s, m1, m2, m3, end],
      [s, m1, m2, end],
    ]);
  });

  it('testTimesOrMoreNotStrictWithFollowedByAny', () => {
    const inputs: Timed[] = [
      [s, 1],
      [m1, 2],
      [m2, 4],
      [m3, 6],
      [end, 7],
    ];
    const pattern = thenB(cThen('followedByAny').timesOrMore(2).allowCombinations());
    expectMatches(feedPattern(pattern, inputs), [
      [s, m1, m2, m3, end],
      [s, m1, m2, end],
      [s, m2, m3, end],
      [s, m1, m3, end],
    ]);
  });
});
