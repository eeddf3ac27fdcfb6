// TEMPORARY type-only copy of the src/cep contract, so these tests typecheck before the engine
// lands. harness.ts switches to '../../../src/cep/index.js' as soon as it exists; then delete this.
export interface MatchContext<E> {
  events(name: string): readonly E[];
  readonly timestamp: number;
}
export type Condition<E> = (event: E, ctx: MatchContext<E>) => boolean;
export declare class AfterMatchSkipStrategy {
  static noSkip(): AfterMatchSkipStrategy;
  static skipToNext(): AfterMatchSkipStrategy;
  static skipPastLastEvent(): AfterMatchSkipStrategy;
  static skipToFirst(name: string): AfterMatchSkipStrategy;
  static skipToLast(name: string): AfterMatchSkipStrategy;
}
export declare class Pattern<E> {
  static begin<E>(name: string, skip?: AfterMatchSkipStrategy): Pattern<E>;
  where(c: Condition<E>): Pattern<E>;
  or(c: Condition<E>): Pattern<E>;
  until(c: Condition<E>): Pattern<E>;
  next(name: string): Pattern<E>;
  followedBy(name: string): Pattern<E>;
  followedByAny(name: string): Pattern<E>;
  notNext(name: string): Pattern<E>;
  notFollowedBy(name: string): Pattern<E>;
  oneOrMore(): Pattern<E>;
  zeroOrMore(): Pattern<E>;
  times(n: number): Pattern<E>;
  times(from: number, to: number): Pattern<E>;
  timesOrMore(n: number): Pattern<E>;
  optional(): Pattern<E>;
  greedy(): Pattern<E>;
  consecutive(): Pattern<E>;
  allowCombinations(): Pattern<E>;
  within(ms: number): Pattern<E>;
}
export declare class MalformedPatternError extends Error {}
export type Match<E> = Record<string, E[]>;
export interface TimedOutMatch<E> {
  readonly match: Match<E>;
  readonly timeoutTimestamp: number;
}
export interface NfaOutput<E> {
  readonly matches: Match<E>[];
  readonly timedOut: TimedOutMatch<E>[];
}
declare const nfaKeyStateBrand: unique symbol;
export interface NfaKeyState<E> {
  readonly [nfaKeyStateBrand]?: E;
}
export interface Nfa<E> {
  createState(): NfaKeyState<E>;
  process(state: NfaKeyState<E>, event: E, timestamp: number): NfaOutput<E>;
  advanceTime(state: NfaKeyState<E>, timestamp: number): NfaOutput<E>;
  partialMatchCount(state: NfaKeyState<E>): number;
}
export declare function compile<E>(
  pattern: Pattern<E>,
  options?: { maxPartialMatchesPerKey?: number },
): Nfa<E>;
