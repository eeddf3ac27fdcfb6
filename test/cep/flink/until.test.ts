// Conformance cases re-expressed from Apache Flink's UntilConditionITCase (flink-cep,
// org.apache.flink.cep.nfa.UntilConditionITCase): same inputs, same expected matches.
// Flink's "exactly one partial match is left and it is the start state" is asserted as "the
// partial match count equals that of a fresh key state".
// Nothing skipped.
import { describe, expect, it } from 'vitest';
import { byName, compile, type Event, ev, expectMatches, type FeedResult, feed, Pattern, type Timed } from './harness.js';

/** Flink's UNTIL_CONDITION: price == 5.0. */
const untilCondition = (e: Event): boolean => e.price === 5.0;

/** Feeds like Flink's harness and also checks that only the start state is left afterwards. */
function feedAndExpectOnlyStart(pattern: Pattern<Event>, inputs: Timed[]): FeedResult {
  const nfa = compile(pattern);
  const state = nfa.createState();
  const result = feed(nfa, inputs, state);
  expect(nfa.partialMatchCount(state), 'only the start state is left').toBe(nfa.partialMatchCount(nfa.createState()));
  return result;
}

const cFollowedByA = (): Pattern<Event> => Pattern.begin<Event>('start').where(byName('c')).followedBy('middle').where(byName('a'));

describe('Flink UntilConditionITCase', () => {
  const startEvent = ev(40, 'c', 1.0);
  const middleEvent1 = ev(41, 'a', 2.0);
  const middleEvent2 = ev(42, 'a', 3.0);

  describe('followedBy, until breaking (price 5) at 6', () => {
    const breaking = ev(44, 'a', 5.0);
    const ignored = ev(45, 'a', 6.0);
    const inputs: Timed[] = [
      [startEvent, 1],
      [middleEvent1, 3],
      [middleEvent2, 4],
      [breaking, 6],
      [ignored, 7],
    ];

    it('testUntilConditionFollowedByOneOrMore', () => {
      const pattern = cFollowedByA().oneOrMore().until(untilCondition).followedBy('end').where(untilCondition);
      expectMatches(feedAndExpectOnlyStart(pattern, inputs), [
        [startEvent, middleEvent1, middleEvent2, breaking],
        [startEvent, middleEvent1, breaking],
      ]);
    });

    it('testUntilConditionFollowedByZeroOrMore', () => {
      const pattern = cFollowedByA().oneOrMore().optional().until(untilCondition).followedBy('end').where(untilCondition);
      expectMatches(feedAndExpectOnlyStart(pattern, inputs), [
        [startEvent, middleEvent1, middleEvent2, breaking],
        [startEvent, middleEvent1, breaking],
        [startEvent, breaking],
      ]);
    });
  });

  describe('followedBy with combinations, three middle events', () => {
    const middleEvent3 = ev(43, 'a', 4.0);
    const breaking = ev(44, 'a', 5.0);
    const ignored = ev(45, 'a', 6.0);
    const inputs: Timed[] = [
      [startEvent, 1],
      [middleEvent1, 3],
      [middleEvent2, 4],
      [middleEvent3, 5],
      [breaking, 6],
      [ignored, 7],
    ];

    it('testUntilConditionFollowedByOneOrMoreCombinations', () => {
      const pattern = cFollowedByA().oneOrMore().allowCombinations().until(untilCondition).followedBy('end').where(untilCondition);
      expectMatches(feedAndExpectOnlyStart(pattern, inputs), [
        [startEvent, middleEvent1, middleEvent2, middleEvent3, breaking],
        [startEvent, middleEvent1, middleEvent2, breaking],
        [startEvent, middleEvent1, middleEvent3, breaking],
        [startEvent, middleEvent1, breaking],
      ]);
    });

    it('testUntilConditionFollowedByZeroOrMoreCombinations', () => {
      const pattern = cFollowedByA().oneOrMore().optional().allowCombinations().until(untilCondition).followedBy('end').where(untilCondition);
      expectMatches(feedAndExpectOnlyStart(pattern, inputs), [
        [startEvent, middleEvent1, middleEvent2, middleEvent3, breaking],
        [startEvent, middleEvent1, middleEvent2, breaking],
        [startEvent, middleEvent1, middleEvent3, breaking],
        [startEvent, middleEvent1, breaking],
        [startEvent, breaking],
      ]);
    });
  });

  describe('consecutive', () => {
    const breaking = ev(45, 'a', 5.0);
    const ignored = ev(46, 'a', 6.0);
    const inputs: Timed[] = [
      [startEvent, 1],
      [middleEvent1, 3],
      [middleEvent2, 4],
      [breaking, 7],
      [ignored, 8],
    ];

    it('testUntilConditionFollowedByOneOrMoreConsecutive', () => {
      const pattern = cFollowedByA().oneOrMore().consecutive().until(untilCondition).followedBy('end').where(untilCondition);
      expectMatches(feedAndExpectOnlyStart(pattern, inputs), [
        [startEvent, middleEvent1, middleEvent2, breaking],
        [startEvent, middleEvent1, breaking],
      ]);
    });

    it('testUntilConditionFollowedByOneOrMoreConsecutive2', () => {
      const middleB = ev(42, 'b', 3.0);
      const middleEvent3 = ev(43, 'a', 4.0);
      const pattern = cFollowedByA().oneOrMore().consecutive().until(untilCondition).followedBy('end').where(untilCondition);
      expectMatches(
        feedAndExpectOnlyStart(pattern, [
          [startEvent, 1],
          [middleEvent1, 3],
          [middleB, 4],
          [middleEvent3, 5],
          [breaking, 7],
          [ignored, 8],
        ]),
        [[startEvent, middleEvent1, breaking]],
      );
    });

    it('testUntilConditionFollowedByZeroOrMoreConsecutive', () => {
      const pattern = cFollowedByA().oneOrMore().optional().consecutive().until(untilCondition).followedBy('end').where(untilCondition);
      expectMatches(feedAndExpectOnlyStart(pattern, inputs), [
        [startEvent, middleEvent1, middleEvent2, breaking],
        [startEvent, middleEvent1, breaking],
        [startEvent, breaking],
      ]);
    });
  });

  describe('followedByAny, until at the end of the pattern', () => {
    const breaking = ev(44, 'a', 5.0);
    const middleEvent3 = ev(45, 'a', 6.0);
    const inputs: Timed[] = [
      [startEvent, 1],
      [middleEvent1, 3],
      [middleEvent2, 4],
      [breaking, 6],
      [middleEvent3, 7],
    ];
    const cFollowedByAnyA = (): Pattern<Event> => Pattern.begin<Event>('start').where(byName('c')).followedByAny('middle').where(byName('a'));

    it('testUntilConditionFollowedByAnyOneOrMore', () => {
      const pattern = cFollowedByAnyA().oneOrMore().until(untilCondition);
      expectMatches(feed(compile(pattern), inputs), [
        [startEvent, middleEvent1, middleEvent2],
        [startEvent, middleEvent1],
        [startEvent, middleEvent2],
        [startEvent, middleEvent3],
      ]);
    });

    it('testUntilConditionFollowedByAnyZeroOrMore', () => {
      const pattern = cFollowedByAnyA().oneOrMore().optional().until(untilCondition);
      expectMatches(feed(compile(pattern), inputs), [
        [startEvent, middleEvent1, middleEvent2],
        [startEvent, middleEvent1],
        [startEvent, middleEvent2],
        [startEvent, middleEvent3],
        [startEvent],
      ]);
    });
  });

  describe('empty where and iterative until', () => {
    const middleEvent3 = ev(40, 'd', 1.0);
    const breaking = ev(44, 'a', 5.0);
    const ignored = ev(45, 'a', 6.0);
    const inputs: Timed[] = [
      [startEvent, 1],
      [middleEvent1, 3],
      [middleEvent2, 4],
      [middleEvent3, 5],
      [breaking, 6],
      [ignored, 7],
    ];
    /** Stops the loop once the accepted middle events' prices sum to 6. */
    const middleSumIs6 = (_e: Event, ctx: { events(name: string): readonly Event[] }): boolean =>
      ctx.events('middle').reduce((sum, m) => sum + m.price, 0) === 6.0;

    it('testUntilConditionWithEmptyWhere', () => {
      const pattern = Pattern.begin<Event>('start').where(byName('c')).followedBy('middle').oneOrMore().until(untilCondition);
      expectMatches(feedAndExpectOnlyStart(pattern, inputs), [
        [startEvent, middleEvent1, middleEvent2, middleEvent3],
        [startEvent, middleEvent1, middleEvent2],
        [startEvent, middleEvent1],
      ]);
    });

    it('testIterativeUntilConditionOneOrMore', () => {
      const pattern = Pattern.begin<Event>('start').where(byName('c')).followedBy('middle').oneOrMore().until(middleSumIs6);
      expectMatches(feedAndExpectOnlyStart(pattern, inputs), [
        [startEvent, middleEvent1, middleEvent2, middleEvent3],
        [startEvent, middleEvent1, middleEvent2],
        [startEvent, middleEvent1],
      ]);
    });

    it('testIterativeUntilConditionZeroOrMore', () => {
      const pattern = Pattern.begin<Event>('start').where(byName('c')).followedBy('middle').oneOrMore().optional().until(middleSumIs6);
      expectMatches(feedAndExpectOnlyStart(pattern, inputs), [
        [startEvent, middleEvent1, middleEvent2, middleEvent3],
        [startEvent, middleEvent1, middleEvent2],
        [startEvent, middleEvent1],
        [startEvent],
      ]);
    });
  });
});
