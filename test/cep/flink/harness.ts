// Test harness for the Flink CEP conformance cases (re-expressed from Apache Flink's
// flink-cep test suites). It mirrors Flink's NFATestHarness: before each event the NFA is
// advanced to the event's timestamp (pruning and timing out partial matches), then the event
// is processed; matches from both calls are collected.
//
// Matches are compared like Flink's NFATestUtilities.comparePatterns: the order of matches
// is ignored, the number of matches counts (duplicates matter), events are compared by value
// (id, name, price). Flink also sorts the events inside a match before comparing; here they are
// flattened in arrival order (the order Flink's harness gets from the pattern-variable order) and
// that order is kept, which is stricter. Each variable's events must be in arrival order too.
import { expect } from 'vitest';
import { compile, type Match, type Nfa, type NfaKeyState, type Pattern, type TimedOutMatch } from '../../../src/cep/index.js';

export {
  AfterMatchSkipStrategy,
  type Condition,
  compile,
  MalformedPatternError,
  type Match,
  type MatchContext,
  type Nfa,
  type NfaKeyState,
  Pattern,
  type TimedOutMatch,
} from '../../../src/cep/index.js';

/** Flink's test Event: equality is (id, name, price). */
export interface Event {
  readonly id: number;
  readonly name: string;
  readonly price: number;
}

export function ev(id: number, name: string, price: number): Event {
  return { id, name, price };
}

/** Flink's SubEvent (an Event with a volume); the engine only sees it as an Event. */
export interface SubEvent extends Event {
  readonly volume: number;
}

export function sub(id: number, name: string, price: number, volume: number): SubEvent {
  return { id, name, price, volume };
}

/** An input record: the event and its (event-time) timestamp. */
export type Timed = readonly [Event, number];

/** Stable, readable identity of an event, after Flink's Event.toString. */
export function eventKey(e: Event): string {
  return `Event(${e.id}, ${e.name}, ${e.price})`;
}

export const byName =
  (name: string) =>
  (e: Event): boolean =>
    e.name === name;

export interface FeedResult {
  readonly matches: Match<Event>[];
  readonly timedOut: TimedOutMatch<Event>[];
  /** Arrival index of each input event (by identity, or by value for copies), for flattening matches. */
  readonly arrival: ArrivalIndex;
}

/**
 * Arrival index of events: by identity, falling back to the first input event equal by value
 * (Flink's Event.equals), in case the engine hands back copies of the input events.
 */
export class ArrivalIndex {
  private readonly byIdentity = new Map<Event, number>();
  private readonly byValue = new Map<string, number>();

  add(event: Event, index: number): void {
    if (!this.byIdentity.has(event)) this.byIdentity.set(event, index);
    const key = eventKey(event);
    if (!this.byValue.has(key)) this.byValue.set(key, index);
  }

  get(event: Event): number | undefined {
    return this.byIdentity.get(event) ?? this.byValue.get(eventKey(event));
  }
}

/** Feeds records through `nfa` like Flink's NFATestHarness (advanceTime, then process). */
export function feed(nfa: Nfa<Event>, inputs: readonly Timed[], state: NfaKeyState<Event> = nfa.createState()): FeedResult {
  const matches: Match<Event>[] = [];
  const timedOut: TimedOutMatch<Event>[] = [];
  const arrival = new ArrivalIndex();
  inputs.forEach(([event, ts], i) => {
    arrival.add(event, i);
    const advanced = nfa.advanceTime(state, ts);
    matches.push(...advanced.matches);
    timedOut.push(...advanced.timedOut);
    const processed = nfa.process(state, event, ts);
    matches.push(...processed.matches);
    timedOut.push(...processed.timedOut);
  });
  return { matches, timedOut, arrival };
}

export function feedPattern(pattern: Pattern<Event>, inputs: readonly Timed[]): FeedResult {
  return feed(compile(pattern), inputs);
}

/** All events of a match, in arrival order (Flink: values of the match map, in pattern order). */
export function flatten(match: Match<Event>, arrival: ArrivalIndex): Event[] {
  const all: Event[] = [];
  for (const events of Object.values(match)) all.push(...events);
  const index = (e: Event): number => arrival.get(e) ?? Number.MAX_SAFE_INTEGER;
  return all.sort((x, y) => index(x) - index(y));
}

function canonical(lists: readonly (readonly string[])[]): string[][] {
  return lists.map((l) => [...l]).sort((x, y) => (x.join('|') < y.join('|') ? -1 : x.join('|') > y.join('|') ? 1 : 0));
}

/** Matches as lists of event keys, flattened in arrival order. */
export function matchKeys(result: FeedResult): string[][] {
  return result.matches.map((m) => flatten(m, result.arrival).map(eventKey));
}

/**
 * Flink's comparePatterns: same number of matches, same matches in any order; inside a
 * match the events must be the same and in arrival order.
 */
export function expectMatches(result: FeedResult, expected: readonly (readonly Event[])[]): void {
  const actual = canonical(matchKeys(result));
  const wanted = canonical(expected.map((m) => m.map(eventKey)));
  expect(actual).toEqual(wanted);
  expectArrivalOrderPerVariable(result);
}

/** A match as variable -> event keys (for per-variable assertions). */
export function byVariable(match: Match<Event>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, events] of Object.entries(match)) {
    if (events.length > 0) out[name] = events.map(eventKey);
  }
  return out;
}

export function variables(spec: Record<string, readonly Event[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, events] of Object.entries(spec)) out[name] = events.map(eventKey);
  return out;
}

function sortByJson<T>(items: T[]): T[] {
  return items
    .map((item) => ({ item, json: JSON.stringify(item) }))
    .sort((a, b) => (a.json < b.json ? -1 : a.json > b.json ? 1 : 0))
    .map((x) => x.item);
}

function normalizeRecord(r: Record<string, string[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const k of Object.keys(r).sort()) out[k] = r[k] ?? [];
  return out;
}

/** Compares matches per variable, order of matches ignored. */
export function expectMatchMaps(matches: readonly Match<Event>[], expected: readonly Record<string, readonly Event[]>[]): void {
  const actual = sortByJson(matches.map((m) => normalizeRecord(byVariable(m))));
  const wanted = sortByJson(expected.map((m) => normalizeRecord(variables(m))));
  expect(actual).toEqual(wanted);
}

/** Compares timed-out partial matches (variables and timeout timestamp), order ignored. */
export function expectTimeouts(
  timedOut: readonly TimedOutMatch<Event>[],
  expected: readonly { match: Record<string, readonly Event[]>; timestamp: number }[],
): void {
  const actual = sortByJson(timedOut.map((t) => ({ match: normalizeRecord(byVariable(t.match)), timestamp: t.timeoutTimestamp })));
  const wanted = sortByJson(expected.map((t) => ({ match: normalizeRecord(variables(t.match)), timestamp: t.timestamp })));
  expect(actual).toEqual(wanted);
}

/** Every variable's events must be in arrival order (Flink keeps events in stream order). */
export function expectArrivalOrderPerVariable(result: FeedResult): void {
  for (const m of result.matches) {
    for (const [name, events] of Object.entries(m)) {
      const idx = events.map((e) => result.arrival.get(e));
      expect(idx, `events of ${name} are input events`).not.toContain(undefined);
      const sorted = [...idx].sort((a, b) => (a ?? 0) - (b ?? 0));
      expect(idx, `events of ${name} in arrival order`).toEqual(sorted);
    }
  }
}
