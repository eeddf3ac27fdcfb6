// Conformance cases re-expressed from Apache Flink's PatternTest (org.apache.flink.cep.pattern)
// and NFACompilerTest (org.apache.flink.cep.nfa.compiler): patterns Flink rejects. Flink throws
// MalformedPatternException, some while the pattern is built and some when it is compiled; here
// building and compiling happen inside the assertion, so either place satisfies it.
//
// Skipped (outside the contract): PatternTest's construction tests that inspect Pattern internals
// (getPrevious, getQuantifier, condition classes, subtype) and NFACompilerTest's tests that
// inspect the compiled state graph or window fields (testNFACompilerWithSimplePattern,
// testNoUnnecessaryStateCopiesCreated, testCheckingEmptyMatches, testWindowTimesCorrectlySet,
// testMultipleWindowTimeWithZeroLength, testCheckPatternWindowTimes: the last three also need
// WithinType.PREVIOUS_AND_CURRENT or Flink's "window 0 means no window" field semantics).
// testWindowTimeCorrectlySet is re-expressed by behaviour in nfa-windows.test.ts.
import { describe, expect, it } from 'vitest';
import { AfterMatchSkipStrategy, compile, type Event, MalformedPatternError, Pattern } from './harness.js';

const dummy = (): boolean => true;
const start = (): Pattern<Event> => Pattern.begin<Event>('start').where(dummy);

/** Builds and compiles; the contract allows the error from either step. */
const expectMalformed = (build: () => Pattern<Event>): void => {
  expect(() => compile(build())).toThrow(MalformedPatternError);
};

describe('Flink PatternTest, malformed patterns', () => {
  // Flink throws IllegalArgumentException for these two; any error is accepted here.
  it('testPatternTimesNegativeTimes', () => {
    expect(() => compile(start().times(-1))).toThrow();
  });

  it('testPatternTimesNegativeFrom', () => {
    expect(() => compile(start().times(-1, 2))).toThrow();
  });

  it('testPatternCanHaveQuantifierSpecifiedOnce1', () => {
    expectMalformed(() => start().oneOrMore().oneOrMore().optional());
  });

  it('testPatternCanHaveQuantifierSpecifiedOnce2', () => {
    expectMalformed(() => start().oneOrMore().optional().times(1));
  });

  it('testPatternCanHaveQuantifierSpecifiedOnce3', () => {
    expectMalformed(() => start().times(1).oneOrMore());
  });

  it('testPatternCanHaveQuantifierSpecifiedOnce4', () => {
    expectMalformed(() => start().oneOrMore().oneOrMore());
  });

  it('testPatternCanHaveQuantifierSpecifiedOnce5', () => {
    expectMalformed(() => start().oneOrMore().oneOrMore().optional());
  });

  it('testNotNextCannotBeOneOrMore', () => {
    expectMalformed(() => start().notNext('not').where(dummy).oneOrMore());
  });

  it('testNotNextCannotBeTimes', () => {
    expectMalformed(() => start().notNext('not').where(dummy).times(3));
  });

  it('testNotNextCannotBeOptional', () => {
    expectMalformed(() => start().notNext('not').where(dummy).optional());
  });

  it('testNotFollowedCannotBeOneOrMore', () => {
    expectMalformed(() => start().notFollowedBy('not').where(dummy).oneOrMore());
  });

  it('testNotFollowedCannotBeTimes', () => {
    expectMalformed(() => start().notFollowedBy('not').where(dummy).times(3));
  });

  it('testNotFollowedCannotBeOptional', () => {
    expectMalformed(() => start().notFollowedBy('not').where(dummy).optional());
  });

  it('testUntilCannotBeAppliedToTimes', () => {
    expectMalformed(() => start().times(1).until(dummy));
  });

  it('testUntilCannotBeAppliedToSingleton', () => {
    expectMalformed(() => start().until(dummy));
  });

  it('testUntilCannotBeAppliedTwice', () => {
    expectMalformed(() => start().until(dummy).until(dummy));
  });
});

describe('Flink NFACompilerTest, malformed patterns', () => {
  it('testNFACompilerUniquePatternName', () => {
    // Flink: "Duplicate pattern name: start. Names must be unique."
    expectMalformed(() => start().followedBy('middle').where(dummy).followedBy('start').where(dummy));
  });

  it('testNFACompilerPatternEndsWithNotFollowedBy', () => {
    // Flink: "NotFollowedBy is not supported without windowTime as a last part of a Pattern!"
    expectMalformed(() => start().followedBy('middle').where(dummy).notFollowedBy('end').where(dummy));
  });

  it('testNFACompilerPatternNotFollowedByWithIn', () => {
    // With a window, a trailing notFollowedBy is allowed (Flink then checks the state graph).
    expect(() => compile(start().notFollowedBy('middle').where(dummy).within(1))).not.toThrow();
  });

  it('testSkipToNotExistsMatchingPattern', () => {
    // Flink: "The pattern name specified in AfterMatchSkipStrategy can not be found in the given Pattern"
    expectMalformed(() =>
      Pattern.begin<Event>('start', AfterMatchSkipStrategy.skipToLast('midd'))
        .where((e) => e.name.includes('a'))
        .next('middle')
        .where((e) => e.name.includes('d'))
        .oneOrMore()
        .optional()
        .next('end')
        .where((e) => e.name.includes('c')),
    );
  });
});
