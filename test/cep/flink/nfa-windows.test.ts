// Conformance cases re-expressed from Apache Flink's NFATest (flink-cep,
// org.apache.flink.cep.nfa.NFATest): window pruning and window borders. Same inputs, same
// expected matches.
//
// Flink builds this NFA by hand: a start state taking "start", an end state taking "end" and
// ignoring every event (an always-true ignore edge), and a window. The equivalent pattern is
// begin("start").where(start).followedByAny("end").where(end).within(window) (followedByAny
// because the ignore edge also fires on a taken "end" event); without a window for testSimpleNFA.
//
// Skipped (outside the contract): testTimeoutWindowPruning2 and testNFASerialization only check
// that Flink's Java NFA serializer round-trips.
//
// Also here: NFACompilerTest.testWindowTimeCorrectlySet, which asserts that of several within()
// calls the smallest window (10 s of 10 s and 20 s) is the pattern's window. The contract has no
// window getter, so it is re-expressed by behaviour with inputs of our own: a match spanning just
// under 10 s is found, one spanning exactly 10 s is not.
import { describe, it } from 'vitest';
import { byName, type Event, ev, expectMatches, feedPattern, Pattern, type Timed } from './harness.js';

const startEnd = (): Pattern<Event> => Pattern.begin<Event>('start').where(byName('start')).followedByAny('end').where(byName('end'));

describe('Flink NFATest', () => {
  const start1 = ev(1, 'start', 1.0);
  const bar = ev(2, 'bar', 2.0);
  const start3 = ev(3, 'start', 3.0);
  const end4 = ev(4, 'end', 4.0);
  const inputs: Timed[] = [
    [start1, 1],
    [bar, 2],
    [start3, 3],
    [end4, 4],
  ];

  it('testSimpleNFA', () => {
    expectMatches(feedPattern(startEnd(), inputs), [
      [start1, end4],
      [start3, end4],
    ]);
  });

  it('testTimeoutWindowPruning', () => {
    expectMatches(feedPattern(startEnd().within(2), inputs), [[start3, end4]]);
  });

  // Events whose timestamps differ by exactly the window length do not match: the window's
  // right side is exclusive.
  it('testWindowBorders', () => {
    expectMatches(
      feedPattern(startEnd().within(2), [
        [ev(1, 'start', 1.0), 1],
        [ev(2, 'end', 2.0), 3],
      ]),
      [],
    );
  });

  // Pruning and matching use the same border semantics (left inclusive, right exclusive).
  it('testTimeoutWindowPruningWindowBorders', () => {
    const s2 = ev(2, 'start', 2.0);
    const e4 = ev(4, 'end', 4.0);
    expectMatches(
      feedPattern(startEnd().within(2), [
        [ev(1, 'start', 1.0), 1],
        [s2, 2],
        [ev(3, 'foobar', 3.0), 3],
        [e4, 3],
      ]),
      [[s2, e4]],
    );
  });
});

describe('Flink NFACompilerTest, window time', () => {
  const pattern = (): Pattern<Event> => Pattern.begin<Event>('start').followedBy('middle').within(10_000).followedBy('then').within(20_000).followedBy('end');
  const run = (lastTs: number) => {
    const events = [ev(1, 'a', 0), ev(2, 'b', 0), ev(3, 'c', 0), ev(4, 'd', 0)];
    const inputs: Timed[] = [
      [events[0] as Event, 0],
      [events[1] as Event, 1],
      [events[2] as Event, 2],
      [events[3] as Event, lastTs],
    ];
    return { events, result: feedPattern(pattern(), inputs) };
  };

  it('testWindowTimeCorrectlySet (by behaviour: the smallest window applies)', () => {
    const inside = run(9_999);
    expectMatches(inside.result, [inside.events]);
    expectMatches(run(10_000).result, []);
  });
});
