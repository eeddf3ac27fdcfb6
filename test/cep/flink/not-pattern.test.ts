// Conformance cases re-expressed from Apache Flink's NotPatternITCase (flink-cep,
// org.apache.flink.cep.nfa.NotPatternITCase): same inputs, same expected matches.
//
// Notes on the translation:
// - testIgnoreStateOfTimesWithNotFollowedBy and testTimesWithNotFollowedByAfter feed events in
//   Flink out of timestamp order (1, 2, 1, 3, 2, 4, 5 and 1, 2, 1, 3, 3, 2, 5). The contract
//   requires timestamp order and these patterns have no window, so timestamps cannot influence
//   the result: here the same events are fed in the same order with timestamps 1..7.
// - testNotFollowedByWithinAtEndAfterMatch: Flink sets skipPastLastEvent both on the pattern and
//   on the harness; here it is on the pattern (the contract's only place for it).
//
// Skipped (outside the contract):
// - testNotFollowedByWithinPreviousAndCurrentAtEnd: WithinType.PREVIOUS_AND_CURRENT.
import { describe, it } from 'vitest';
import { AfterMatchSkipStrategy, byName, type Event, ev, expectMatches, feedPattern, Pattern, type Timed } from './harness.js';

/** Flink's NotFollowByData fixture. */
const D = {
  A_1: ev(40, 'a', 1.0),
  B_1: ev(41, 'b', 2.0),
  B_2: ev(42, 'b', 3.0),
  B_3: ev(42, 'b', 4.0),
  C_1: ev(43, 'c', 5.0),
  B_4: ev(42, 'b', 6.0),
  B_5: ev(42, 'b', 7.0),
  B_6: ev(42, 'b', 8.0),
  D_1: ev(43, 'd', 9.0),
};

/** Timestamps 0, 1, 2, ... like Flink's `i++` inputs. */
const seq = (...events: Event[]): Timed[] => events.map((e, i) => [e, i] as const);

describe('Flink NotPatternITCase', () => {
  it('testNotNext', () => {
    const a1 = ev(40, 'a', 1.0);
    const c1 = ev(41, 'c', 2.0);
    const b1 = ev(42, 'b', 3.0);
    const c2 = ev(43, 'c', 4.0);
    const d = ev(43, 'd', 4.0);
    const pattern = Pattern.begin<Event>('start')
      .where(byName('a'))
      .notNext('notPattern')
      .where(byName('b'))
      .followedByAny('middle')
      .where(byName('c'))
      .followedBy('end')
      .where(byName('d'));
    expectMatches(
      feedPattern(pattern, [
        [a1, 1],
        [c1, 2],
        [b1, 3],
        [c2, 4],
        [d, 5],
      ]),
      [
        [a1, c1, d],
        [a1, c2, d],
      ],
    );
  });

  it('testNotNextNoMatches', () => {
    const pattern = Pattern.begin<Event>('start')
      .where(byName('a'))
      .notNext('notPattern')
      .where(byName('b'))
      .followedBy('middle')
      .where(byName('c'))
      .followedBy('end')
      .where(byName('d'));
    const inputs: Timed[] = [
      [ev(40, 'a', 1.0), 1],
      [ev(42, 'b', 3.0), 2],
      [ev(41, 'c', 2.0), 3],
      [ev(43, 'c', 4.0), 4],
      [ev(43, 'd', 4.0), 5],
    ];
    expectMatches(feedPattern(pattern, inputs), []);
  });

  it('testNotNextNoMatchesAtTheEnd', () => {
    const pattern = Pattern.begin<Event>('start')
      .where(byName('a'))
      .followedByAny('middle')
      .where(byName('c'))
      .followedByAny('end')
      .where(byName('d'))
      .notNext('notPattern')
      .where(byName('b'));
    const inputs: Timed[] = [
      [ev(40, 'a', 1.0), 1],
      [ev(41, 'c', 2.0), 2],
      [ev(43, 'c', 4.0), 3],
      [ev(43, 'd', 4.0), 4],
      [ev(42, 'b', 3.0), 5],
    ];
    expectMatches(feedPattern(pattern, inputs), []);
  });

  describe('a c b c d', () => {
    const a1 = ev(40, 'a', 1.0);
    const c1 = ev(41, 'c', 2.0);
    const b1 = ev(42, 'b', 3.0);
    const c2 = ev(43, 'c', 4.0);
    const d = ev(43, 'd', 4.0);
    const inputs: Timed[] = [
      [a1, 1],
      [c1, 2],
      [b1, 3],
      [c2, 4],
      [d, 5],
    ];

    it('testNotFollowedBy', () => {
      const pattern = Pattern.begin<Event>('start')
        .where(byName('a'))
        .notFollowedBy('notPattern')
        .where(byName('b'))
        .followedByAny('middle')
        .where(byName('c'))
        .followedBy('end')
        .where(byName('d'));
      expectMatches(feedPattern(pattern, inputs), [[a1, c1, d]]);
    });

    it('testNotFollowedByBeforeOptional', () => {
      const pattern = Pattern.begin<Event>('start')
        .where(byName('a'))
        .notFollowedBy('notPattern')
        .where(byName('b'))
        .followedByAny('middle')
        .where(byName('c'))
        .optional()
        .followedBy('end')
        .where(byName('d'));
      expectMatches(feedPattern(pattern, inputs), [[a1, c1, d]]);
    });

    it('testNotFollowedByBeforeOptionalAtTheEnd', () => {
      const pattern = Pattern.begin<Event>('start')
        .where(byName('a'))
        .notFollowedBy('notPattern')
        .where(byName('b'))
        .followedByAny('end')
        .where(byName('c'))
        .optional();
      expectMatches(feedPattern(pattern, inputs.slice(0, 4)), [[a1, c1], [a1]]);
    });

    it('testNotFollowedByBeforeOptionalTimes', () => {
      const pattern = Pattern.begin<Event>('start')
        .where(byName('a'))
        .notFollowedBy('notPattern')
        .where(byName('b'))
        .followedByAny('middle')
        .where(byName('c'))
        .times(2)
        .optional()
        .followedBy('end')
        .where(byName('d'));
      expectMatches(feedPattern(pattern, inputs), [[a1, c1, c2, d]]);
    });
  });

  it('testTimesWithNotFollowedBy', () => {
    const pattern = Pattern.begin<Event>('start')
      .where(byName('a'))
      .followedByAny('middle')
      .where(byName('b'))
      .times(2)
      .notFollowedBy('notPattern')
      .where(byName('c'))
      .followedBy('end')
      .where(byName('d'));
    const inputs: Timed[] = [
      [ev(40, 'a', 1.0), 1],
      [ev(41, 'b', 2.0), 2],
      [ev(42, 'c', 3.0), 3],
      [ev(43, 'b', 4.0), 4],
      [ev(43, 'd', 4.0), 5],
    ];
    expectMatches(feedPattern(pattern, inputs), []);
  });

  it('testIgnoreStateOfTimesWithNotFollowedBy', () => {
    const a1 = ev(40, 'a', 1.0);
    const e = ev(41, 'e', 2.0);
    const c1 = ev(42, 'c', 3.0);
    const b1 = ev(43, 'b', 4.0);
    const c2 = ev(44, 'c', 5.0);
    const d1 = ev(45, 'd', 6.0);
    const d2 = ev(46, 'd', 7.0);
    const pattern = Pattern.begin<Event>('start')
      .where(byName('a'))
      .notFollowedBy('notPattern')
      .where(byName('b'))
      .followedByAny('middle')
      .where(byName('c'))
      .times(2)
      .optional()
      .followedBy('end')
      .where(byName('d'));
    // Flink's order a1, d1, e, b1, c1, c2, d2 (timestamps renumbered, see the header).
    const inputs: Timed[] = [
      [a1, 1],
      [d1, 2],
      [e, 3],
      [b1, 4],
      [c1, 5],
      [c2, 6],
      [d2, 7],
    ];
    expectMatches(feedPattern(pattern, inputs), [[a1, d1]]);
  });

  it('testTimesWithNotFollowedByAfter', () => {
    const pattern = Pattern.begin<Event>('start')
      .where(byName('a'))
      .followedByAny('middle')
      .where(byName('b'))
      .times(2)
      .notFollowedBy('notPattern')
      .where(byName('c'))
      .followedBy('end')
      .where(byName('d'));
    // Flink's order a1, d1, e, b1, b2, c1, d2 (timestamps renumbered, see the header).
    const inputs: Timed[] = [
      [ev(40, 'a', 1.0), 1],
      [ev(46, 'd', 7.0), 2],
      [ev(41, 'e', 2.0), 3],
      [ev(43, 'b', 4.0), 4],
      [ev(44, 'b', 5.0), 5],
      [ev(42, 'c', 3.0), 6],
      [ev(47, 'd', 8.0), 7],
    ];
    expectMatches(feedPattern(pattern, inputs), []);
  });

  it('testNotFollowedByWithBranchingAtStart', () => {
    const a1 = ev(40, 'a', 1.0);
    const b1 = ev(42, 'b', 3.0);
    const c1 = ev(41, 'c', 2.0);
    const a2 = ev(41, 'a', 4.0);
    const c2 = ev(43, 'c', 5.0);
    const d = ev(43, 'd', 6.0);
    const pattern = Pattern.begin<Event>('start')
      .where(byName('a'))
      .notFollowedBy('notPattern')
      .where(byName('b'))
      .followedBy('middle')
      .where(byName('c'))
      .followedBy('end')
      .where(byName('d'));
    const inputs: Timed[] = [
      [a1, 1],
      [b1, 2],
      [c1, 3],
      [a2, 4],
      [c2, 5],
      [d, 6],
    ];
    expectMatches(feedPattern(pattern, inputs), [[a2, c2, d]]);
  });

  describe('notNext after oneOrMore', () => {
    const run = (allMatches: boolean) => {
      const a = Pattern.begin<Event>('a').where(byName('a'));
      const pattern = (allMatches ? a.followedByAny('b*') : a.followedBy('b*'))
        .where(byName('b'))
        .oneOrMore()
        .notNext('not c')
        .where(byName('c'))
        .followedBy('d')
        .where(byName('d'));
      return feedPattern(pattern, seq(D.A_1, D.B_1, D.C_1, D.B_2, D.D_1));
    };

    it('testNotNextAfterOneOrMoreSkipTillNext', () => {
      expectMatches(run(false), []);
    });

    it('testNotNextAfterOneOrMoreSkipTillAny', () => {
      expectMatches(run(true), [[D.A_1, D.B_2, D.D_1]]);
    });
  });

  describe('notFollowedBy after oneOrMore', () => {
    const run = (eager: boolean, allMatches: boolean) => {
      const a = Pattern.begin<Event>('a').where(byName('a'));
      const b = (allMatches ? a.followedByAny('b*') : a.followedBy('b*')).where(byName('b'));
      const pattern = (eager ? b.oneOrMore() : b.oneOrMore().allowCombinations()).notFollowedBy('not c').where(byName('c')).followedBy('d').where(byName('d'));
      return feedPattern(pattern, seq(D.A_1, D.B_1, D.B_2, D.B_3, D.C_1, D.B_4, D.B_5, D.B_6, D.D_1));
    };

    it('testNotFollowedByNextAfterOneOrMoreEager', () => {
      expectMatches(run(true, false), []);
    });

    it('testNotFollowedByAnyAfterOneOrMoreEager', () => {
      expectMatches(run(true, true), [
        [D.A_1, D.B_4, D.B_5, D.B_6, D.D_1],
        [D.A_1, D.B_4, D.B_5, D.D_1],
        [D.A_1, D.B_4, D.D_1],
        [D.A_1, D.B_5, D.B_6, D.D_1],
        [D.A_1, D.B_5, D.D_1],
        [D.A_1, D.B_6, D.D_1],
      ]);
    });

    it('testNotFollowedByNextAfterOneOrMoreCombinations', () => {
      expectMatches(run(false, false), []);
    });

    it('testNotFollowedByAnyAfterOneOrMoreCombinations', () => {
      expectMatches(run(false, true), [
        [D.A_1, D.B_4, D.B_5, D.B_6, D.D_1],
        [D.A_1, D.B_4, D.B_5, D.D_1],
        [D.A_1, D.B_4, D.B_6, D.D_1],
        [D.A_1, D.B_4, D.D_1],
        [D.A_1, D.B_5, D.B_6, D.D_1],
        [D.A_1, D.B_5, D.D_1],
        [D.A_1, D.B_6, D.D_1],
      ]);
    });
  });

  describe('notFollowedBy before oneOrMore / zeroOrMore', () => {
    const run = (eager: boolean, allMatches: boolean, optional: boolean) => {
      const a = Pattern.begin<Event>('a').where(byName('a')).notFollowedBy('not c').where(byName('c'));
      let b = (allMatches ? a.followedByAny('b*') : a.followedBy('b*')).where(byName('b')).oneOrMore();
      if (optional) b = b.optional();
      const pattern = (eager ? b : b.allowCombinations()).followedBy('d').where(byName('d'));
      return feedPattern(pattern, seq(D.A_1, D.B_1, D.C_1, D.B_4, D.B_5, D.B_6, D.D_1));
    };
    const eagerExpected = [
      [D.A_1, D.B_1, D.B_4, D.B_5, D.B_6, D.D_1],
      [D.A_1, D.B_1, D.B_4, D.B_5, D.D_1],
      [D.A_1, D.B_1, D.B_4, D.D_1],
      [D.A_1, D.B_1, D.D_1],
    ];
    const combinationsExpected = [
      [D.A_1, D.B_1, D.B_4, D.B_5, D.B_6, D.D_1],
      [D.A_1, D.B_1, D.B_4, D.B_6, D.D_1],
      [D.A_1, D.B_1, D.B_4, D.B_5, D.D_1],
      [D.A_1, D.B_1, D.B_4, D.D_1],
      [D.A_1, D.B_1, D.B_5, D.B_6, D.D_1],
      [D.A_1, D.B_1, D.B_5, D.D_1],
      [D.A_1, D.B_1, D.B_6, D.D_1],
      [D.A_1, D.B_1, D.D_1],
    ];

    it('testNotFollowedByAnyBeforeOneOrMoreEager', () => {
      expectMatches(run(true, true, false), eagerExpected);
    });

    it('testNotFollowedByAnyBeforeOneOrMoreCombinations', () => {
      expectMatches(run(false, true, false), combinationsExpected);
    });

    it('testNotFollowedByBeforeOneOrMoreEager', () => {
      expectMatches(run(true, false, false), eagerExpected);
    });

    it('testNotFollowedByBeforeOneOrMoreCombinations', () => {
      expectMatches(run(false, false, false), combinationsExpected);
    });

    it('testNotFollowedByBeforeZeroOrMoreEagerSkipTillNext', () => {
      expectMatches(run(true, false, true), eagerExpected);
    });

    it('testNotFollowedByBeforeZeroOrMoreCombinationsSkipTillNext', () => {
      expectMatches(run(false, false, true), combinationsExpected);
    });

    it('testNotFollowedByBeforeZeroOrMoreEagerSkipTillAny', () => {
      expectMatches(run(true, true, true), eagerExpected);
    });

    it('testNotFollowedByBeforeZeroOrMoreCombinationsSkipTillAny', () => {
      expectMatches(run(false, true, true), combinationsExpected);
    });
  });

  it('testNotFollowedByWithinFirstAndLastAtEnd', () => {
    const a1 = ev(40, 'a', 1.0);
    const b1 = ev(41, 'b', 2.0);
    const a2 = ev(42, 'a', 3.0);
    const c = ev(43, 'c', 4.0);
    const b2 = ev(44, 'b', 5.0);
    const a3 = ev(45, 'a', 7.0);
    const b3 = ev(46, 'b', 8.0);
    const pattern = Pattern.begin<Event>('a').where(byName('a')).notFollowedBy('b').where(byName('b')).within(3);
    const inputs: Timed[] = [
      [a1, 1],
      [b1, 2],
      [a2, 4],
      [c, 5],
      [b2, 10],
      [a3, 11],
      [b3, 13],
    ];
    expectMatches(feedPattern(pattern, inputs), [[a2]]);
  });

  it('testNotFollowByBeforeTimesWithin', () => {
    const a1 = ev(40, 'a', 1.0);
    const b1 = ev(41, 'b', 2.0);
    const a2 = ev(42, 'a', 3.0);
    const c1 = ev(43, 'c', 4.0);
    const c2 = ev(44, 'c', 5.0);
    const a3 = ev(45, 'a', 7.0);
    const c3 = ev(46, 'c', 8.0);
    const c4 = ev(47, 'c', 8.0);
    const pattern = Pattern.begin<Event>('a').where(byName('a')).notFollowedBy('b').where(byName('b')).followedBy('c').where(byName('c')).times(0, 2).within(3);
    const inputs: Timed[] = [
      [a1, 1],
      [b1, 2],
      [a2, 10],
      [c1, 11],
      [c2, 12],
      [a3, 20],
      [c3, 21],
      [c4, 24],
    ];
    expectMatches(feedPattern(pattern, inputs), [[a1], [a2], [a2, c1], [a2, c1, c2], [a3], [a3, c3]]);
  });

  it('testNotFollowedByWithinAtEndAfterMatch', () => {
    const a1 = ev(40, 'a', 1.0);
    const a2 = ev(41, 'a', 2.0);
    const a3 = ev(42, 'a', 3.0);
    const c1 = ev(43, 'c', 4.0);
    const c2 = ev(44, 'c', 5.0);
    const pattern = Pattern.begin<Event>('a', AfterMatchSkipStrategy.skipPastLastEvent())
      .where(byName('a'))
      .oneOrMore()
      .allowCombinations()
      .followedBy('c')
      .where(byName('c'))
      .notFollowedBy('b')
      .where(byName('b'))
      .within(5);
    const inputs: Timed[] = [
      [a1, 1],
      [a2, 2],
      [a3, 3],
      [c1, 4],
      [c2, 10],
    ];
    expectMatches(feedPattern(pattern, inputs), [[a1, a2, a3, c1]]);
  });
});
