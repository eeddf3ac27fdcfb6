// Conformance cases re-expressed from Apache Flink's SameElementITCase (flink-cep,
// org.apache.flink.cep.nfa.SameElementITCase): events that are equal (same id, name, price) or even
// the very same object fed twice, with the same timestamps. Same inputs, same expected matches.
// Matches are compared by event value (Flink's Event.equals), so where Flink lists an equal event
// twice (e.g. middleEvent1, middleEvent1) either of the equal events satisfies it.
// "Only the start state is left" is asserted as "partial match count equals a fresh state's".
// Nothing skipped.
import { describe, expect, it } from 'vitest';
import { byName, compile, type Event, ev, expectMatches, feed, feedPattern, Pattern, type Timed } from './harness.js';

describe('Flink SameElementITCase', () => {
  it('testEagerZeroOrMoreSameElement', () => {
    const startEvent = ev(40, 'c', 1.0);
    const middleEvent1 = ev(41, 'a', 2.0);
    const middleEvent2 = ev(42, 'a', 3.0);
    const middleEvent3 = ev(43, 'a', 4.0);
    const end1 = ev(44, 'b', 5.0);
    const inputs: Timed[] = [
      [startEvent, 1],
      [middleEvent1, 3],
      [middleEvent1, 3],
      [middleEvent1, 3],
      [middleEvent2, 4],
      [ev(50, 'd', 6.0), 5],
      [middleEvent3, 6],
      [middleEvent3, 6],
      [end1, 7],
    ];
    const pattern = Pattern.begin<Event>('start')
      .where(byName('c'))
      .followedBy('middle')
      .where(byName('a'))
      .oneOrMore()
      .optional()
      .followedBy('end1')
      .where(byName('b'));
    expectMatches(feedPattern(pattern, inputs), [
      [startEvent, middleEvent1, middleEvent1, middleEvent1, middleEvent2, middleEvent3, middleEvent3, end1],
      [startEvent, middleEvent1, middleEvent1, middleEvent1, middleEvent2, middleEvent3, end1],
      [startEvent, middleEvent1, middleEvent1, middleEvent1, middleEvent2, end1],
      [startEvent, middleEvent1, middleEvent1, middleEvent1, end1],
      [startEvent, middleEvent1, middleEvent1, end1],
      [startEvent, middleEvent1, end1],
      [startEvent, end1],
    ]);
  });

  it('testClearingBuffer', () => {
    const a1 = ev(40, 'a', 1.0);
    const b1 = ev(41, 'b', 2.0);
    const c1 = ev(41, 'c', 2.0);
    const d = ev(41, 'd', 2.0);
    const pattern = Pattern.begin<Event>('a')
      .where(byName('a'))
      .followedBy('b')
      .where(byName('b'))
      .followedBy('c')
      .where(byName('c'))
      .followedBy('d')
      .where(byName('d'));
    const nfa = compile(pattern);
    const state = nfa.createState();
    const result = feed(
      nfa,
      [
        [a1, 1],
        [b1, 2],
        [c1, 2],
        [d, 2],
      ],
      state,
    );
    expectMatches(result, [[a1, b1, c1, d]]);
    expect(nfa.partialMatchCount(state)).toBe(nfa.partialMatchCount(nfa.createState()));
  });

  it('testClearingBufferWithUntilAtTheEnd', () => {
    const a1 = ev(40, 'a', 1.0);
    const d1 = ev(41, 'd', 2.0);
    const d2 = ev(41, 'd', 2.0);
    const d3 = ev(41, 'd', 2.0);
    const d4 = ev(41, 'd', 2.0);
    const pattern = Pattern.begin<Event>('a')
      .where(byName('a'))
      .followedBy('d')
      .where(byName('d'))
      .oneOrMore()
      .until((_e, ctx) => ctx.events('d').length === 3);
    const nfa = compile(pattern);
    const state = nfa.createState();
    const result = feed(
      nfa,
      [
        [a1, 1],
        [d1, 2],
        [d2, 2],
        [d3, 2],
        [d4, 4],
      ],
      state,
    );
    expectMatches(result, [
      [a1, d1, d2, d3],
      [a1, d1, d2],
      [a1, d1],
    ]);
    expect(nfa.partialMatchCount(state)).toBe(nfa.partialMatchCount(nfa.createState()));
  });

  it('testZeroOrMoreSameElement', () => {
    const startEvent = ev(40, 'c', 1.0);
    const m1 = ev(41, 'a', 2.0);
    const m1a = ev(41, 'a', 2.0);
    const m2 = ev(42, 'a', 3.0);
    const m3 = ev(43, 'a', 4.0);
    const m3a = ev(43, 'a', 4.0);
    const end1 = ev(44, 'b', 5.0);
    const inputs: Timed[] = [
      [startEvent, 1],
      [m1, 3],
      [m1a, 3],
      [m2, 4],
      [ev(50, 'd', 6.0), 5],
      [m3, 6],
      [m3a, 6],
      [end1, 7],
    ];
    const pattern = Pattern.begin<Event>('start')
      .where(byName('c'))
      .followedByAny('middle')
      .where(byName('a'))
      .oneOrMore()
      .optional()
      .allowCombinations()
      .followedByAny('end1')
      .where(byName('b'));
    const s = startEvent;
    // Every ordered subset of the five middle events (Flink lists the pair m1, m1a as m1, m1).
    expectMatches(feedPattern(pattern, inputs), [
      [s, m1, m1a, m2, m3, m3a, end1],
      [s, m1, m1a, m2, m3, end1],
      [s, m1, m1a, m2, m3a, end1],
      [s, m1, m1a, m3, m3a, end1],
      [s, m1, m2, m3, m3a, end1],
      [s, m1a, m2, m3, m3a, end1],
      [s, m1, m1a, m2, end1],
      [s, m1, m1a, m3, end1],
      [s, m1, m1a, m3a, end1],
      [s, m1, m2, m3, end1],
      [s, m1, m2, m3a, end1],
      [s, m1, m3, m3a, end1],
      [s, m2, m3, m3a, end1],
      [s, m1a, m2, m3, end1],
      [s, m1a, m2, m3a, end1],
      [s, m1a, m3, m3a, end1],
      [s, m1, m1a, end1],
      [s, m1, m2, end1],
      [s, m1, m3, end1],
      [s, m1, m3a, end1],
      [s, m1a, m2, end1],
      [s, m1a, m3, end1],
      [s, m1a, m3a, end1],
      [s, m2, m3, end1],
      [s, m2, m3a, end1],
      [s, m3, m3a, end1],
      [s, m1, end1],
      [s, m1a, end1],
      [s, m2, end1],
      [s, m3, end1],
      [s, m3a, end1],
      [s, end1],
    ]);
  });

  it('testSimplePatternWSameElement', () => {
    const startEvent = ev(40, 'c', 1.0);
    const middleEvent1 = ev(41, 'a', 2.0);
    const end1 = ev(44, 'b', 5.0);
    const pattern = Pattern.begin<Event>('start').where(byName('c')).followedByAny('middle').where(byName('a')).followedBy('end1').where(byName('b'));
    const inputs: Timed[] = [
      [startEvent, 1],
      [middleEvent1, 3],
      [middleEvent1, 3],
      [end1, 7],
    ];
    expectMatches(feedPattern(pattern, inputs), [
      [startEvent, middleEvent1, end1],
      [startEvent, middleEvent1, end1],
    ]);
  });

  describe('three equal middle events', () => {
    const startEvent = ev(40, 'c', 1.0);
    const m1 = ev(41, 'a', 2.0);
    const m1a = ev(41, 'a', 2.0);
    const m1b = ev(41, 'a', 2.0);
    const end = ev(44, 'b', 5.0);
    const inputs: Timed[] = [
      [startEvent, 1],
      [m1, 3],
      [m1a, 3],
      [m1b, 3],
      [end, 7],
    ];
    const cThenAnyA = (): Pattern<Event> => Pattern.begin<Event>('start').where(byName('c')).followedByAny('middle').where(byName('a')).oneOrMore().optional();

    it('testIterativeConditionWSameElement', () => {
      // The end condition only looks at the middle prices (sum 4), not at the event's name.
      const pattern = cThenAnyA()
        .allowCombinations()
        .followedBy('end')
        .where((_e, ctx) => ctx.events('middle').reduce((sum, m) => sum + m.price, 0) === 4.0);
      expectMatches(feedPattern(pattern, inputs), [
        [startEvent, m1, m1a, end],
        [startEvent, m1, m1a, m1b],
        [startEvent, m1a, m1b, end],
      ]);
    });

    it('testEndWLoopingWSameElement', () => {
      expectMatches(feedPattern(cThenAnyA(), inputs), [
        [startEvent],
        [startEvent, m1],
        [startEvent, m1a],
        [startEvent, m1b],
        [startEvent, m1, m1a],
        [startEvent, m1a, m1b],
        [startEvent, m1, m1a, m1b],
      ]);
    });
  });

  it('testRepeatingPatternWSameElement', () => {
    const startEvent = ev(40, 'c', 1.0);
    const middle1Event1 = ev(40, 'a', 2.0);
    const middle1Event2 = ev(40, 'a', 3.0);
    const middle1Event3 = ev(40, 'a', 4.0);
    const middle2Event1 = ev(40, 'b', 5.0);
    const inputs: Timed[] = [
      [startEvent, 1],
      [middle1Event1, 3],
      [middle1Event1, 3],
      [middle1Event2, 3],
      [ev(40, 'd', 6.0), 5],
      [middle2Event1, 6],
      [middle1Event3, 7],
    ];
    const pattern = Pattern.begin<Event>('start')
      .where(byName('c'))
      .followedBy('middle1')
      .where(byName('a'))
      .oneOrMore()
      .optional()
      .followedBy('middle2')
      .where(byName('b'))
      .optional()
      .followedBy('end')
      .where(byName('a'));
    expectMatches(feedPattern(pattern, inputs), [
      [startEvent, middle1Event1],
      [startEvent, middle1Event1, middle1Event1],
      [startEvent, middle2Event1, middle1Event3],
      [startEvent, middle1Event1, middle1Event1, middle1Event2],
      [startEvent, middle1Event1, middle2Event1, middle1Event3],
      [startEvent, middle1Event1, middle1Event1, middle1Event2, middle1Event3],
      [startEvent, middle1Event1, middle1Event1, middle2Event1, middle1Event3],
      [startEvent, middle1Event1, middle1Event1, middle1Event2, middle2Event1, middle1Event3],
    ]);
  });
});
