// Conformance cases re-expressed from Apache Flink's CEPITCase (flink-cep,
// org.apache.flink.cep.CEPITCase): same inputs, same expected results.
//
// CEPITCase runs whole DataStream jobs: records get timestamps and punctuated watermarks
// (watermark = timestamp - 5 after each record, only when it rises; +infinity at the end of the
// bounded input), optionally keyed, into Flink's CEP operator. The operator buffers records until
// the watermark passes them, then per key and in timestamp order calls advanceTime(ts) and
// process(event, ts), and finally advanceTime(watermark). `replayEventTime` below does exactly
// that against the NFA, so the NFA is fed events already sorted by event time with advanceTime
// called as the watermark would. The keyed event-time operator itself (buffering until the
// watermark, late records, timers, state per key) is tested separately, with the core operator.
//
// Notes on the translation:
// - testSimplePatternEventTimeWithComparator: Flink's EventComparator orders records with the same
//   timestamp (by price); here it is the tie-break of the replay's sort.
// - `subtype(SubEvent.class).where(c)` is written as one condition `isSub(e) && c(e)`.
// - Some CEPITCase cases run in processing time (`inProcessingTime()`): the operator then hands each
//   record to the NFA on arrival, so they are fed in arrival order with timestamps 1, 2, 3, ...;
//   they are kept because they check plain matching (or-conditions, keys, skip strategy).
//
// Skipped (outside the contract):
// - testProcessingTimeWithinBetweenFirstAndLast / testProcessingTimeWithinPreviousAndCurrent:
//   windows on the processing-time clock (and WithinType.PREVIOUS_AND_CURRENT).
// - testTimeoutHandlingWithinPreviousAndCurrent: WithinType.PREVIOUS_AND_CURRENT.
// - testRichPatternFlatSelectFunction, testRichPatternSelectFunction: they test Flink's rich
//   select-function runtime context (their matching is the same as testSimplePatternCEP and
//   testSimpleKeyedPatternCEP, which are included).
// - testFlatSelectSerializationWithAnonymousClass: Java serialization of select functions.
import { describe, expect, it } from 'vitest';
import {
  AfterMatchSkipStrategy,
  byName,
  compile,
  type Event,
  ev,
  type Match,
  type NfaKeyState,
  Pattern,
  type SubEvent,
  sub,
  type TimedOutMatch,
} from './harness.js';

const isSub = (e: Event): e is SubEvent => 'volume' in e;

interface ReplayOptions<E> {
  /** Watermark after each record (Flink's punctuated assigner); only a rising value is emitted. */
  readonly watermark: (ts: number) => number;
  readonly keyBy?: (e: E) => unknown;
  /** Order of records with the same timestamp (Flink's EventComparator); arrival order otherwise. */
  readonly tieBreak?: (a: E, b: E) => number;
}

interface ReplayResult<E> {
  readonly matches: Match<E>[];
  readonly timedOut: TimedOutMatch<E>[];
}

/** Replays timestamped records through the NFA the way Flink's event-time CEP operator would. */
function replayEventTime<E>(pattern: Pattern<E>, records: readonly (readonly [E, number])[], options: ReplayOptions<E>): ReplayResult<E> {
  const nfa = compile(pattern);
  const states = new Map<unknown, NfaKeyState<E>>();
  const buffers = new Map<unknown, { event: E; ts: number; seq: number }[]>();
  const matches: Match<E>[] = [];
  const timedOut: TimedOutMatch<E>[] = [];
  let watermark = Number.NEGATIVE_INFINITY;

  const stateOf = (key: unknown): NfaKeyState<E> => {
    let s = states.get(key);
    if (s === undefined) {
      s = nfa.createState();
      states.set(key, s);
    }
    return s;
  };
  const collect = (out: { matches: Match<E>[]; timedOut: TimedOutMatch<E>[] }): void => {
    matches.push(...out.matches);
    timedOut.push(...out.timedOut);
  };
  const fire = (): void => {
    for (const [key, buffer] of buffers) {
      const state = stateOf(key);
      const ready = buffer.filter((r) => r.ts <= watermark);
      buffers.set(
        key,
        buffer.filter((r) => r.ts > watermark),
      );
      ready.sort((a, b) => a.ts - b.ts || (options.tieBreak?.(a.event, b.event) ?? 0) || a.seq - b.seq);
      for (const r of ready) {
        collect(nfa.advanceTime(state, r.ts));
        collect(nfa.process(state, r.event, r.ts));
      }
    }
    for (const state of states.values()) collect(nfa.advanceTime(state, watermark));
  };

  records.forEach(([event, ts], seq) => {
    // Records behind the watermark would be late; none of Flink's inputs here are.
    expect(ts, 'record is not late').toBeGreaterThan(watermark);
    const key = options.keyBy?.(event);
    const buffer = buffers.get(key) ?? [];
    buffer.push({ event, ts, seq });
    buffers.set(key, buffer);
    const next = options.watermark(ts);
    if (next > watermark) {
      watermark = next;
      fire();
    }
  });
  // End of the bounded input: the final watermark is +infinity (Flink: Long.MAX_VALUE).
  watermark = Number.POSITIVE_INFINITY;
  fire();
  return { matches, timedOut };
}

/** Feeds records on arrival (processing time): timestamps 1, 2, 3, ...; one state per key. */
function replayOnArrival<E>(pattern: Pattern<E>, events: readonly E[], keyBy?: (e: E) => unknown): Match<E>[] {
  const nfa = compile(pattern);
  const states = new Map<unknown, NfaKeyState<E>>();
  const matches: Match<E>[] = [];
  events.forEach((event, i) => {
    const key = keyBy?.(event);
    const state = states.get(key) ?? nfa.createState();
    states.set(key, state);
    matches.push(...nfa.advanceTime(state, i + 1).matches);
    matches.push(...nfa.process(state, event, i + 1).matches);
  });
  return matches;
}

const first = <E>(m: Match<E>, name: string): E => {
  const e = m[name]?.[0];
  if (e === undefined) throw new Error(`match has no event for ${name}: ${JSON.stringify(m)}`);
  return e;
};
/** Flink's select function of these tests: "start.id,middle.id,end.id". */
const ids = (m: Match<Event>): string => `${first(m, 'start').id},${first(m, 'middle').id},${first(m, 'end').id}`;
/** Java's Double.toString for these prices. */
const price = (p: number): string => p.toFixed(1);
const sorted = (xs: string[]): string[] => [...xs].sort();
const minus5 = (ts: number): number => ts - 5;

const startMiddleEndAny = (): Pattern<Event> =>
  Pattern.begin<Event>('start').where(byName('start')).followedByAny('middle').where(byName('middle')).followedByAny('end').where(byName('end'));

describe('Flink CEPITCase, event time', () => {
  it('testSimplePatternEventTime', () => {
    const input: [Event, number][] = [
      [ev(1, 'start', 1.0), 5],
      [ev(2, 'middle', 2.0), 1],
      [ev(3, 'end', 3.0), 3],
      [ev(4, 'end', 4.0), 10],
      [ev(5, 'middle', 5.0), 7],
      // last element for a high final watermark
      [ev(5, 'middle', 5.0), 100],
    ];
    const result = replayEventTime(startMiddleEndAny(), input, { watermark: minus5 });
    expect(sorted(result.matches.map(ids))).toEqual(['1,5,4']);
  });

  it('testSimpleKeyedPatternEventTime', () => {
    const input: [Event, number][] = [
      [ev(1, 'start', 1.0), 5],
      [ev(1, 'middle', 2.0), 1],
      [ev(2, 'middle', 2.0), 4],
      [ev(2, 'start', 2.0), 3],
      [ev(1, 'end', 3.0), 3],
      [ev(3, 'start', 4.1), 5],
      [ev(1, 'end', 4.0), 10],
      [ev(2, 'end', 2.0), 8],
      [ev(1, 'middle', 5.0), 7],
      [ev(3, 'middle', 6.0), 9],
      [ev(3, 'end', 7.0), 7],
    ];
    const result = replayEventTime(startMiddleEndAny(), input, { watermark: minus5, keyBy: (e) => e.id });
    expect(sorted(result.matches.map(ids))).toEqual(['1,1,1', '2,2,2']);
  });

  // Named testTimeoutHandling in older Flink versions. Left(start price) is a timed-out partial
  // match, Right(prices) a match; the last two timeouts come from the final watermark.
  it('testTimeoutHandlingWithinFirstAndLast', () => {
    const input: [Event, number][] = [
      [ev(1, 'start', 1.0), 1],
      [ev(1, 'middle', 2.0), 5],
      [ev(1, 'start', 2.0), 4],
      [ev(1, 'end', 2.0), 6],
    ];
    const pattern = startMiddleEndAny().within(3);
    const result = replayEventTime(pattern, input, { watermark: minus5 });
    const lefts = result.timedOut.map((t) => `Left(${price(first(t.match, 'start').price)})`);
    const rights = result.matches.map((m) => `Right(${price(first(m, 'start').price)},${price(first(m, 'middle').price)},${price(first(m, 'end').price)})`);
    expect(sorted([...lefts, ...rights])).toEqual(['Left(1.0)', 'Left(2.0)', 'Left(2.0)', 'Right(2.0,2.0,2.0)']);
  });

  it('testSimplePatternEventTimeWithComparator', () => {
    const input: [Event, number][] = [
      [ev(1, 'start', 1.0), 5],
      [ev(2, 'middle', 2.0), 1],
      [ev(3, 'end', 3.0), 3],
      [ev(4, 'end', 4.0), 10],
      [ev(5, 'middle', 6.0), 7],
      [ev(6, 'middle', 5.0), 7],
      // last element for a high final watermark
      [ev(7, 'middle', 5.0), 100],
    ];
    const result = replayEventTime(startMiddleEndAny(), input, {
      watermark: minus5,
      tieBreak: (a, b) => a.price - b.price,
    });
    expect(sorted(result.matches.map(ids))).toEqual(sorted(['1,6,4', '1,5,4']));
  });

  it('testPartialMatchTimeoutOutputCompletedMatch', () => {
    // Flink uses a bounded-out-of-orderness (5 ms) periodic watermark here: max timestamp - 5 - 1.
    const input: [Event, number][] = [
      [ev(1, 'start', 1.0), 0],
      [ev(2, 'start', 2.0), 1],
      [ev(3, 'start', 3.0), 2],
      [ev(4, 'start', 4.0), 3],
      [ev(5, 'end', 5.0), 4],
    ];
    const pattern = Pattern.begin<Event>('start', AfterMatchSkipStrategy.skipPastLastEvent())
      .where(byName('start'))
      .oneOrMore()
      .consecutive()
      .greedy()
      .followedBy('middle')
      // More than two starts need a "middle" event, otherwise an "end" one will do.
      .where((e, ctx) => (ctx.events('start').length > 2 ? e.name === 'middle' : e.name === 'end'))
      .within(100);
    const result = replayEventTime(pattern, input, { watermark: (ts) => ts - 5 - 1 });
    expect(sorted(result.matches.map((m) => `${first(m, 'start').id},${first(m, 'middle').id}`))).toEqual(['3,5']);
  });
});

describe('Flink CEPITCase, processing time (records fed on arrival)', () => {
  it('testSimplePatternCEP', () => {
    const input: Event[] = [
      ev(1, 'barfoo', 1.0),
      ev(2, 'start', 2.0),
      ev(3, 'foobar', 3.0),
      sub(4, 'foo', 4.0, 1.0),
      ev(5, 'middle', 5.0),
      sub(6, 'middle', 6.0, 2.0),
      sub(7, 'bar', 3.0, 3.0),
      ev(42, '42', 42.0),
      ev(8, 'end', 1.0),
    ];
    const pattern = Pattern.begin<Event>('start')
      .where(byName('start'))
      .followedByAny('middle')
      .where((e) => isSub(e) && e.name === 'middle')
      .followedByAny('end')
      .where(byName('end'));
    expect(replayOnArrival(pattern, input).map(ids)).toEqual(['2,6,8']);
  });

  it('testSimpleKeyedPatternCEP', () => {
    const input: Event[] = [
      ev(1, 'barfoo', 1.0),
      ev(2, 'start', 2.0),
      ev(3, 'start', 2.1),
      ev(3, 'foobar', 3.0),
      sub(4, 'foo', 4.0, 1.0),
      sub(3, 'middle', 3.2, 1.0),
      ev(42, 'start', 3.1),
      sub(42, 'middle', 3.3, 1.2),
      ev(5, 'middle', 5.0),
      sub(2, 'middle', 6.0, 2.0),
      sub(7, 'bar', 3.0, 3.0),
      ev(42, '42', 42.0),
      ev(3, 'end', 2.0),
      ev(2, 'end', 1.0),
      ev(42, 'end', 42.0),
    ];
    const pattern = Pattern.begin<Event>('start')
      .where(byName('start'))
      .followedByAny('middle')
      .where((e) => isSub(e) && e.name === 'middle')
      .followedByAny('end')
      .where(byName('end'));
    expect(sorted(replayOnArrival(pattern, input, (e) => e.id).map(ids))).toEqual(['2,2,2', '3,3,3', '42,42,42']);
  });

  it('testSimplePatternWithSingleState', () => {
    type Pair = readonly [number, number];
    const pattern = Pattern.begin<Pair>('start').where((rec) => rec[1] === 1);
    const matches = replayOnArrival<Pair>(pattern, [
      [0, 1],
      [0, 2],
    ]);
    expect(matches.map((m) => first(m, 'start'))).toEqual([[0, 1]]);
  });

  it('testSimpleOrFilterPatternCEP', () => {
    const input: Event[] = [ev(1, 'start', 1.0), ev(2, 'middle', 2.0), ev(3, 'end', 3.0), ev(4, 'start', 4.0), ev(5, 'middle', 5.0), ev(6, 'end', 6.0)];
    const pattern = Pattern.begin<Event>('start')
      .where(byName('start'))
      .followedByAny('middle')
      .where((e) => e.price === 2.0)
      .or((e) => e.price === 5.0)
      .followedByAny('end')
      .where(byName('end'));
    expect(sorted(replayOnArrival(pattern, input).map(ids))).toEqual(sorted(['1,5,6', '1,2,3', '4,5,6', '1,2,6']));
  });

  it('testSimpleAfterMatchSkip', () => {
    type Rec = readonly [number, string];
    const pattern = Pattern.begin<Rec>('start', AfterMatchSkipStrategy.skipPastLastEvent())
      .where((rec) => rec[1] === 'a')
      .times(2);
    const matches = replayOnArrival<Rec>(pattern, [
      [1, 'a'],
      [2, 'a'],
      [3, 'a'],
      [4, 'a'],
    ]);
    expect(matches.map((m) => first(m, 'start')).sort((x, y) => x[0] - y[0])).toEqual([
      [1, 'a'],
      [3, 'a'],
    ]);
  });
});
