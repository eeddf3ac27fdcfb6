// Conformance cases re-expressed from Apache Flink's TimesRangeITCase (flink-cep,
// org.apache.flink.cep.nfa.TimesRangeITCase): same inputs, same expected matches.
// Nothing skipped: every case uses only times(from, to) with the contract's modifiers.
import { describe, it } from 'vitest';
import { cThen, end, m1, m2, m3, s, thenB, withGaps } from './consecutive-data.js';
import { ev, expectMatches, feedPattern, type Timed } from './harness.js';

describe('Flink TimesRangeITCase', () => {
  it('testTimesRange', () => {
    const inputs: Timed[] = [
      [s, 1],
      [m1, 2],
      [m2, 3],
      [m3, 4],
      [end, 6],
    ];
    const pattern = thenB(cThen('next').times(1, 3).allowCombinations());
    expectMatches(feedPattern(pattern, inputs), [
      [s, m1, m2, m3, end],
      [s, m1, m2, end],
      [s, m1, m3, end],
      [s, m1, end],
    ]);
  });

  it('testTimesRangeFromZero', () => {
    const inputs: Timed[] = [
      [s, 1],
      [m1, 2],
      [m2, 3],
      [m3, 4],
      [end, 6],
    ];
    const pattern = thenB(cThen('next').times(0, 2).allowCombinations());
    expectMatches(feedPattern(pattern, inputs), [
      [s, m1, m2, end],
      [s, m1, m3, end],
      [s, m1, end],
      [s, end],
    ]);
  });

  it('testTimesRangeNonStrict', () => {
    const pattern = thenB(cThen('followedByAny').times(1, 3).allowCombinations());
    expectMatches(feedPattern(pattern, withGaps()), [
      [s, m1, m2, m3, end],
      [s, m1, m2, end],
      [s, m1, m3, end],
      [s, m2, m3, end],
      [s, m1, end],
      [s, m2, end],
      [s, m3, end],
    ]);
  });

  it('testTimesRangeStrict', () => {
    const pattern = thenB(cThen('followedByAny').times(0, 3).consecutive());
    expectMatches(feedPattern(pattern, withGaps()), [
      [s, m2, m3, end],
      [s, m1, end],
      [s, m2, end],
      [s, m3, end],
      [s, end],
    ]);
  });

  it('testTimesRangeStrictOptional', () => {
    const pattern = thenB(cThen('followedByAny').times(1, 3).consecutive().optional());
    expectMatches(feedPattern(pattern, withGaps()), [
      [s, m2, m3, end],
      [s, m1, end],
      [s, m2, end],
      [s, m3, end],
      [s, end],
    ]);
  });

  it('testTimesRangeStrictOptional1', () => {
    const inputs: Timed[] = [
      [s, 1],
      [m1, 3],
      [m2, 5],
      [m3, 6],
      [end, 7],
    ];
    const pattern = thenB(cThen('next').times(1, 3).consecutive().optional());
    expectMatches(feedPattern(pattern, inputs), [
      [s, m1, m2, m3, end],
      [s, m1, m2, end],
      [s, m1, end],
      [s, end],
    ]);
  });

  it('testTimesRangeNonStrictOptional1', () => {
    const inputs: Timed[] = [
      [s, 1],
      [ev(23, 'f', 1.0), 2],
      [end, 7],
    ];
    const pattern = thenB(cThen('followedBy').times(1, 3).optional());
    expectMatches(feedPattern(pattern, inputs), [[s, end]]);
  });

  it('testTimesRangeNonStrictOptional2', () => {
    const pattern = thenB(cThen('followedByAny').times(2, 3).allowCombinations().optional());
    expectMatches(feedPattern(pattern, withGaps()), [
      [s, m1, m2, m3, end],
      [s, m1, m2, end],
      [s, m1, m3, end],
      [s, m2, m3, end],
      [s, end],
    ]);
  });

  it('testTimesRangeNonStrictOptional3', () => {
    const pattern = thenB(cThen('followedByAny').times(2, 3).optional());
    expectMatches(feedPattern(pattern, withGaps()), [
      [s, m1, m2, m3, end],
      [s, m1, m2, end],
      [s, m2, m3, end],
      [s, end],
    ]);
  });

  it('testTimesRangeNonStrictWithNext', () => {
    const inputs: Timed[] = [
      [s, 1],
      [m1, 2],
      [ev(23, 'f', 1.0), 3],
      [m2, 4],
      [ev(23, 'f', 1.0), 5],
      [m3, 6],
      [end, 7],
    ];
    const pattern = thenB(cThen('next').times(2, 3).allowCombinations());
    expectMatches(feedPattern(pattern, inputs), [
      [s, m1, m2, m3, end],
      [s, m1, m2, end],
      [s, m1, m3, end],
    ]);
  });

  it('testTimesRangeNotStrictWithFollowedBy', () => {
    const inputs: Timed[] = [
      [s, 1],
      [m1, 2],
      [m2, 4],
      [m3, 6],
      [end, 7],
    ];
    const pattern = thenB(cThen('followedBy').times(2, 3));
    expectMatches(feedPattern(pattern, inputs), [
      [s, m1, m2, m3, end],
      [s, m1, m2, end],
    ]);
  });

  it('testTimesRangeNotStrictWithFollowedByAny', () => {
    const inputs: Timed[] = [
      [s, 1],
      [m1, 2],
      [m2, 4],
      [m3, 6],
      [end, 7],
    ];
    const pattern = thenB(cThen('followedByAny').times(2, 3).allowCombinations());
    expectMatches(feedPattern(pattern, inputs), [
      [s, m1, m2, m3, end],
      [s, m1, m2, end],
      [s, m2, m3, end],
      [s, m1, m3, end],
    ]);
  });
});
