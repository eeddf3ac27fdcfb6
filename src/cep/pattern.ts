/**
 * Typed programmatic pattern API, after Flink CEP's Pattern: a pattern is a chain of named variables, each with a
 * condition, a quantifier and the contiguity that links it to the previous one. Connectors (`next`, `followedBy`,
 * ...) start a new variable; modifiers (`where`, `oneOrMore`, ...) change the current one and return it.
 */
import { MalformedPatternError } from './errors.js';
import { noSkipPolicy } from './skip/no-skip.js';
import { skipPastLastEventPolicy } from './skip/skip-past-last-event.js';
import type { SkipPolicy } from './skip/skip-policy.js';
import { skipToFirstPolicy } from './skip/skip-to-first.js';
import { skipToLastPolicy } from './skip/skip-to-last.js';
import { skipToNextPolicy } from './skip/skip-to-next.js';

export { MalformedPatternError } from './errors.js';

export interface MatchContext<E> {
  /** Events already accepted for variable `name` in this partial match, in order (Flink getEventsForPattern);
   *  never includes the event currently being tested. Empty array when none. */
  events(name: string): readonly E[];
  /** The last event accepted for `name` so far, or undefined: `events(name)`'s last, found without building it. */
  last(name: string): E | undefined;
  /** Event time of the event currently being tested. */
  readonly timestamp: number;
}
export type Condition<E> = (event: E, ctx: MatchContext<E>) => boolean;

/** What happens after a match: which partial matches that overlap it are discarded. */
export class AfterMatchSkipStrategy {
  private constructor(/** @internal */ readonly policy: SkipPolicy) {}
  static noSkip(): AfterMatchSkipStrategy {
    return new AfterMatchSkipStrategy(noSkipPolicy);
  }
  static skipToNext(): AfterMatchSkipStrategy {
    return new AfterMatchSkipStrategy(skipToNextPolicy);
  }
  static skipPastLastEvent(): AfterMatchSkipStrategy {
    return new AfterMatchSkipStrategy(skipPastLastEventPolicy);
  }
  static skipToFirst(name: string): AfterMatchSkipStrategy {
    return new AfterMatchSkipStrategy(skipToFirstPolicy(name));
  }
  static skipToLast(name: string): AfterMatchSkipStrategy {
    return new AfterMatchSkipStrategy(skipToLastPolicy(name));
  }
  /** Skip-to-first/last only: throw at run time when the target is missing from a match or is its first event
   *  (Flink's throwExceptionOnMiss). By default both cases are silent no-ops. */
  throwExceptionOnMiss(): AfterMatchSkipStrategy {
    const p = this.policy;
    if (p.kind === 'skipToFirst' && p.variable !== undefined) return new AfterMatchSkipStrategy(skipToFirstPolicy(p.variable, true));
    if (p.kind === 'skipToLast' && p.variable !== undefined) return new AfterMatchSkipStrategy(skipToLastPolicy(p.variable, true));
    return this;
  }
  get kind(): SkipPolicy['kind'] {
    return this.policy.kind;
  }
  /** Target variable of skip-to-first / skip-to-last, else undefined. */
  get variable(): string | undefined {
    return this.policy.variable;
  }
  toString(): string {
    return this.policy.variable === undefined ? this.policy.kind : `${this.policy.kind}(${this.policy.variable})`;
  }
}

/** How a variable is linked to the previous one (Flink's ConsumingStrategy). */
export type Contiguity = 'strict' | 'relaxed' | 'nonDeterministic' | 'notNext' | 'notFollowedBy';
/** How events inside a looping / times variable are linked to each other. */
export type InnerContiguity = 'strict' | 'relaxed' | 'nonDeterministic';
export type QuantifierKind = 'single' | 'looping' | 'times';

/** A read-only view of one variable, for the compiler. */
export interface VariableSpec<E> {
  readonly name: string;
  readonly previous: VariableSpec<E> | undefined;
  readonly conditionFn: Condition<E> | undefined;
  readonly untilFn: Condition<E> | undefined;
  readonly contiguity: Contiguity;
  readonly innerContiguity: InnerContiguity;
  readonly quantifier: QuantifierKind;
  /** Counts for `looping` (from = minimum) and `times` (from..to); 1..1 for `single`. */
  readonly from: number;
  readonly to: number;
  readonly isOptional: boolean;
  readonly isGreedy: boolean;
  readonly windowMs: number | undefined;
  readonly skip: AfterMatchSkipStrategy;
}

const isNot = (c: Contiguity): boolean => c === 'notNext' || c === 'notFollowedBy';

export class Pattern<E> implements VariableSpec<E> {
  /** @internal fields below are the compiler's view (VariableSpec); use the builder methods to change them. */
  conditionFn: Condition<E> | undefined = undefined;
  untilFn: Condition<E> | undefined = undefined;
  innerContiguity: InnerContiguity = 'relaxed';
  quantifier: QuantifierKind = 'single';
  from = 1;
  to = 1;
  isOptional = false;
  isGreedy = false;
  windowMs: number | undefined = undefined;

  private constructor(
    readonly name: string,
    readonly previous: Pattern<E> | undefined,
    readonly contiguity: Contiguity,
    readonly skip: AfterMatchSkipStrategy,
  ) {
    if (typeof name !== 'string' || name.length === 0) throw new MalformedPatternError('a pattern variable needs a non-empty name');
  }

  static begin<E>(name: string, skip?: AfterMatchSkipStrategy): Pattern<E> {
    return new Pattern<E>(name, undefined, 'relaxed', skip ?? AfterMatchSkipStrategy.noSkip());
  }

  /** Adds a condition, AND-ed with any existing one. */
  where(c: Condition<E>): Pattern<E> {
    const prev = this.conditionFn;
    this.conditionFn = prev === undefined ? c : (e, ctx) => prev(e, ctx) && c(e, ctx);
    return this;
  }

  /** OR-s a condition with the existing one (with none, it becomes the condition). */
  or(c: Condition<E>): Pattern<E> {
    const prev = this.conditionFn;
    this.conditionFn = prev === undefined ? c : (e, ctx) => prev(e, ctx) || c(e, ctx);
    return this;
  }

  /** Stops a looping variable: an event that satisfies `c` is not taken and ends the loop. */
  until(c: Condition<E>): Pattern<E> {
    if (this.untilFn !== undefined) throw new MalformedPatternError('only one until condition can be applied');
    if (this.quantifier !== 'looping')
      throw new MalformedPatternError(`until() applies only to looping patterns (oneOrMore, zeroOrMore, timesOrMore); '${this.name}' is not looping`);
    this.untilFn = c;
    return this;
  }

  next(name: string): Pattern<E> {
    return this.follow(name, 'strict');
  }
  followedBy(name: string): Pattern<E> {
    return this.follow(name, 'relaxed');
  }
  followedByAny(name: string): Pattern<E> {
    return this.follow(name, 'nonDeterministic');
  }
  notNext(name: string): Pattern<E> {
    this.checkNoOptionalBeforeNot(name);
    return this.follow(name, 'notNext');
  }
  notFollowedBy(name: string): Pattern<E> {
    this.checkNoOptionalBeforeNot(name);
    return this.follow(name, 'notFollowedBy');
  }

  oneOrMore(): Pattern<E> {
    return this.setQuantifier('looping', 1, 1, 'oneOrMore');
  }
  /** = oneOrMore().optional() */
  zeroOrMore(): Pattern<E> {
    return this.oneOrMore().optional();
  }
  times(n: number): Pattern<E>;
  times(from: number, to: number): Pattern<E>;
  times(from: number, to?: number): Pattern<E> {
    if (to === undefined) {
      checkCount(from, 'times(n)');
      if (from < 1) throw new MalformedPatternError('times(n) needs n >= 1');
      return this.setQuantifier('times', from, from, 'times');
    }
    checkCount(from, 'times(from, to)');
    checkCount(to, 'times(from, to)');
    if (to < from) throw new MalformedPatternError(`times(from, to) needs to >= from, got ${from}..${to}`);
    if (to < 1) throw new MalformedPatternError('times(from, to) needs to >= 1');
    // Flink: times(0, n) is times(1, n).optional()
    this.setQuantifier('times', Math.max(1, from), to, 'times');
    if (from === 0) this.optional();
    return this;
  }
  timesOrMore(n: number): Pattern<E> {
    checkCount(n, 'timesOrMore(n)');
    this.setQuantifier('looping', Math.max(1, n), Math.max(1, n), 'timesOrMore');
    if (n === 0) this.optional();
    return this;
  }
  optional(): Pattern<E> {
    if (isNot(this.contiguity)) throw new MalformedPatternError(`a NOT pattern ('${this.name}') cannot be optional`);
    if (this.isOptional) throw new MalformedPatternError(`optional already applied to '${this.name}'`);
    if (this.previous?.isGreedy) throw new MalformedPatternError(`optional pattern '${this.name}' cannot be preceded by a greedy pattern`);
    this.isOptional = true;
    return this;
  }
  greedy(): Pattern<E> {
    if (isNot(this.contiguity)) throw new MalformedPatternError(`a NOT pattern ('${this.name}') cannot be greedy`);
    this.isGreedy = true;
    return this;
  }
  consecutive(): Pattern<E> {
    if (this.quantifier === 'single')
      throw new MalformedPatternError(`consecutive() applies only to looping or times patterns; '${this.name}' has no quantifier`);
    this.innerContiguity = 'strict';
    return this;
  }
  allowCombinations(): Pattern<E> {
    if (this.quantifier === 'single')
      throw new MalformedPatternError(`allowCombinations() applies only to looping or times patterns; '${this.name}' has no quantifier`);
    this.innerContiguity = 'nonDeterministic';
    return this;
  }
  /** Maximum event-time span from a match's first event; the smallest `within` in the chain wins (as Flink). */
  within(ms: number): Pattern<E> {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0)
      throw new MalformedPatternError(`within() needs a positive number of milliseconds, got ${String(ms)}`);
    this.windowMs = ms;
    return this;
  }

  /** Variables from first to last. */
  variables(): Pattern<E>[] {
    const out: Pattern<E>[] = [];
    for (let p: Pattern<E> | undefined = this; p !== undefined; p = p.previous) out.push(p);
    return out.reverse();
  }

  toString(): string {
    return this.variables()
      .map((v) => v.name + (v.quantifier === 'looping' ? `{${v.from},}` : v.quantifier === 'times' ? `{${v.from},${v.to}}` : '') + (v.isOptional ? '?' : ''))
      .join(' ');
  }

  private follow(name: string, contiguity: Contiguity): Pattern<E> {
    return new Pattern<E>(name, this, contiguity, this.skip);
  }

  private checkNoOptionalBeforeNot(name: string): void {
    if (this.isOptional)
      throw new MalformedPatternError(`a NOT pattern ('${name}') cannot follow the optional pattern '${this.name}' (simulate it with two patterns)`);
  }

  private setQuantifier(kind: QuantifierKind, from: number, to: number, what: string): Pattern<E> {
    if (isNot(this.contiguity)) throw new MalformedPatternError(`${what}() cannot be applied to the NOT pattern '${this.name}'`);
    if (this.quantifier !== 'single') throw new MalformedPatternError(`a quantifier is already applied to '${this.name}'`);
    this.quantifier = kind;
    this.from = from;
    this.to = to;
    return this;
  }
}

function checkCount(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 0) throw new MalformedPatternError(`${what} needs non-negative integers, got ${String(n)}`);
}
