// Conformance cases re-expressed from Apache Flink's IterativeConditionsITCase (flink-cep,
// org.apache.flink.cep.nfa.IterativeConditionsITCase): same inputs, same expected matches.
// Iterative conditions read the events already accepted for a variable through
// ctx.events(name) (Flink: Context.getEventsForPattern), which never includes the event under test.
//
// `subtype(SubEvent.class).where(c)` is written as one condition `isSub(e) && c(e, ctx)`: Flink
// compiles subtype to a SubtypeCondition AND-ed with the where clause. Flink lists the expected
// events of a match in no particular order (it sorts them before comparing); here they are
// written in arrival order, which the harness checks.
// Nothing skipped.
import { describe, it } from 'vitest';
import { byName, type Event, ev, expectMatches, feedPattern, type MatchContext, Pattern, type SubEvent, sub, type Timed } from './harness.js';

const isSub = (e: Event): e is SubEvent => 'volume' in e;
const sumOf = (events: readonly Event[]): number => events.reduce((s, e) => s + e.price, 0);

const startEvent1 = ev(40, 'start', 1.0);
const startEvent2 = ev(40, 'start', 2.0);
const startEvent3 = ev(40, 'start', 3.0);
const startEvent4 = ev(40, 'start', 4.0);
const middleEvent1 = sub(41, 'foo1', 1.0, 10);
const middleEvent2 = sub(42, 'foo2', 2.0, 10);
const middleEvent3 = sub(43, 'foo3', 3.0, 10);
const middleEvent4 = sub(43, 'foo4', 1.0, 10);
const nextOne = ev(44, 'next-one', 1.0);
const endEvent = ev(46, 'end', 1.0);

/** Flink's MySubeventIterCondition: a "foo" sub-event while the middle prices stay below 5. */
const subeventIterCondition = (e: Event, ctx: MatchContext<Event>): boolean =>
  isSub(e) && e.name.startsWith('foo') && sumOf(ctx.events('middle')) + e.price < 5.0;

/** Flink's MyEventIterCondition: a "start" event while the start prices stay below 5. */
const eventIterCondition = (e: Event, ctx: MatchContext<Event>): boolean => e.name === 'start' && sumOf(ctx.events('start')) + e.price < 5.0;

describe('Flink IterativeConditionsITCase', () => {
  describe('iterative condition with a branching pattern', () => {
    const inputs: Timed[] = [
      [startEvent1, 1],
      [middleEvent1, 2],
      [middleEvent2, 3],
      [startEvent2, 4],
      [middleEvent3, 5],
      [middleEvent4, 5],
      [nextOne, 6],
      [endEvent, 8],
    ];
    const pattern = (eager: boolean): Pattern<Event> => {
      const middle = Pattern.begin<Event>('start').where(byName('start')).followedBy('middle').where(subeventIterCondition).oneOrMore();
      return (eager ? middle : middle.allowCombinations()).followedBy('end').where(byName('end'));
    };

    it('testIterativeWithBranchingPatternEager', () => {
      expectMatches(feedPattern(pattern(true), inputs), [
        [startEvent1, middleEvent1, middleEvent2, middleEvent4, endEvent],
        [startEvent1, middleEvent1, middleEvent2, endEvent],
        [startEvent1, middleEvent1, endEvent],
        [startEvent2, middleEvent3, middleEvent4, endEvent],
        [startEvent2, middleEvent3, endEvent],
      ]);
    });

    it('testIterativeWithBranchingPatternCombinations', () => {
      expectMatches(feedPattern(pattern(false), inputs), [
        [startEvent1, middleEvent1, middleEvent2, middleEvent4, endEvent],
        [startEvent1, middleEvent1, middleEvent2, endEvent],
        [startEvent1, middleEvent1, middleEvent3, endEvent],
        [startEvent2, middleEvent3, middleEvent4, endEvent],
        [startEvent1, middleEvent1, middleEvent4, endEvent],
        [startEvent1, middleEvent1, endEvent],
        [startEvent2, middleEvent3, endEvent],
      ]);
    });
  });

  describe('iterative condition on a looping start', () => {
    const inputs: Timed[] = [
      [startEvent1, 1],
      [startEvent2, 2],
      [startEvent3, 3],
      [endEvent, 4],
    ];
    // A looping first pattern has relaxed contiguity (as followedBy) in Flink.
    const pattern = (eager: boolean): Pattern<Event> => {
      const start = Pattern.begin<Event>('start').where(eventIterCondition).oneOrMore();
      return (eager ? start : start.allowCombinations()).optional().followedBy('end').where(byName('end'));
    };

    it('testIterativeWithLoopingStartingEager', () => {
      expectMatches(feedPattern(pattern(true), inputs), [
        [startEvent1, startEvent2, endEvent],
        [startEvent1, endEvent],
        [startEvent2, endEvent],
        [startEvent3, endEvent],
        [endEvent],
      ]);
    });

    it('testIterativeWithLoopingStartingCombination', () => {
      expectMatches(feedPattern(pattern(false), inputs), [
        [startEvent1, startEvent2, endEvent],
        [startEvent1, startEvent3, endEvent],
        [startEvent1, endEvent],
        [startEvent2, endEvent],
        [startEvent3, endEvent],
        [endEvent],
      ]);
    });
  });

  it('testIterativeWithPrevPatternDependency', () => {
    const inputs: Timed[] = [
      [startEvent1, 1],
      [startEvent2, 2],
      [endEvent, 4],
    ];
    const pattern = Pattern.begin<Event>('start')
      .where(byName('start'))
      .oneOrMore()
      .followedBy('end')
      .where((e, ctx) => e.name === 'end' && sumOf(ctx.events('start')) >= 2.0);
    expectMatches(feedPattern(pattern, inputs), [
      [startEvent1, startEvent2, endEvent],
      [startEvent2, endEvent],
    ]);
  });

  it('testIterativeWithABACPattern', () => {
    const inputs: Timed[] = [
      [startEvent1, 1],
      [middleEvent1, 2],
      [startEvent2, 2],
      [startEvent3, 2],
      [middleEvent2, 2],
      [startEvent4, 2],
      [middleEvent3, 2],
      [middleEvent4, 2],
      [endEvent, 4],
    ];
    const pattern = Pattern.begin<Event>('start')
      .where(byName('start'))
      .followedByAny('middle1')
      .where((e) => isSub(e) && e.name.startsWith('foo'))
      .followedBy('middle2')
      .where((e, ctx) => e.name === 'start' && sumOf(ctx.events('middle2')) + e.price <= 5.0)
      .oneOrMore()
      .followedBy('end')
      .where(byName('end'));
    expectMatches(feedPattern(pattern, inputs), [
      [startEvent1, middleEvent1, startEvent2, startEvent3, endEvent],
      [startEvent1, middleEvent1, startEvent2, endEvent],
      [startEvent1, middleEvent2, startEvent4, endEvent],
      [startEvent2, middleEvent2, startEvent4, endEvent],
      [startEvent3, middleEvent2, startEvent4, endEvent],
    ]);
  });

  it('testIterativeWithPrevPatternDependencyAfterBranching', () => {
    const inputs: Timed[] = [
      [startEvent1, 1],
      [startEvent2, 2],
      [middleEvent1, 4],
      [startEvent3, 5],
      [middleEvent2, 6],
      [endEvent, 7],
    ];
    const pattern = Pattern.begin<Event>('start')
      .where(byName('start'))
      .oneOrMore()
      .followedByAny('middle1')
      .where((e) => isSub(e) && e.name.startsWith('foo'))
      .followedByAny('end')
      .where((e, ctx) => e.name === 'end' && sumOf(ctx.events('start')) >= 2.0);
    expectMatches(feedPattern(pattern, inputs), [
      [startEvent1, startEvent2, middleEvent1, endEvent],
      [startEvent2, middleEvent1, endEvent],
      [startEvent1, startEvent2, middleEvent2, endEvent],
      [startEvent1, startEvent2, startEvent3, middleEvent2, endEvent],
      [startEvent2, startEvent3, middleEvent2, endEvent],
      [startEvent2, middleEvent2, endEvent],
      [startEvent3, middleEvent2, endEvent],
    ]);
  });
});
