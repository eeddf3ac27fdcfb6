/**
 * Pattern -> NFA states, in Flink's model (NFACompiler): the chain is walked from its last variable back to the
 * first; each variable becomes one or more states with TAKE (consume the event and move), IGNORE (skip the event and
 * stay or move) and PROCEED (epsilon move, tested against the same event) edges. `notNext` becomes a state that
 * proceeds to a STOP state on the forbidden event; `notFollowedBy` becomes extra PROCEED-to-STOP edges on the
 * states it guards, or, when it ends the pattern (needs `within`), a PENDING state that completes on timeout.
 */
import { MalformedPatternError } from './errors.js';
import type { Condition, Pattern, VariableSpec } from './pattern.js';
import type { SkipPolicy } from './skip/skip-policy.js';

export const TAKE = 0;
export const IGNORE = 1;
export const PROCEED = 2;
export type EdgeAction = typeof TAKE | typeof IGNORE | typeof PROCEED;
export type StateKind = 'start' | 'normal' | 'final' | 'stop' | 'pending';

export interface CompiledEdge<E> {
  readonly action: EdgeAction;
  /** The state the edge leaves: an event taken on it is reported under this state's variable. */
  readonly source: number;
  readonly target: number;
  /** null means "always". */
  readonly condition: Condition<E> | null;
}

export interface CompiledState<E> {
  readonly index: number;
  /** Unique internal name, e.g. `b`, `b:1`. */
  readonly name: string;
  /** The pattern variable the state belongs to: events taken here are reported under it. */
  readonly variable: string;
  readonly kind: StateKind;
  readonly edges: readonly CompiledEdge<E>[];
}

export interface CompiledPattern<E> {
  readonly states: readonly CompiledState<E>[];
  readonly start: number;
  /** Smallest `within` of the chain, 0 when none. */
  readonly windowMs: number;
  readonly skip: SkipPolicy;
  /** Names and shape of the states, to check that a snapshot belongs to this NFA. */
  readonly fingerprint: string;
}

export const FINAL_STATE_NAME = '$endState$';

const TRUE_CONDITION: Condition<unknown> = () => true;
const FALSE_CONDITION: Condition<unknown> = () => false;

function not<E>(c: Condition<E> | null): Condition<E> {
  if (c === null) return FALSE_CONDITION;
  return (e, ctx) => !c(e, ctx);
}
function and<E>(a: Condition<E> | null, b: Condition<E> | null): Condition<E> | null {
  if (a === null) return b;
  if (b === null) return a;
  return (e, ctx) => a(e, ctx) && b(e, ctx);
}

interface BuildEdge<E> {
  action: EdgeAction;
  target: BuildState<E>;
  condition: Condition<E> | null;
}
class BuildState<E> {
  readonly edges: BuildEdge<E>[] = [];
  constructor(
    readonly name: string,
    readonly variable: string,
    public kind: StateKind,
  ) {}
  take(target: BuildState<E>, c: Condition<E> | null): void {
    this.edges.push({ action: TAKE, target, condition: c });
  }
  ignore(target: BuildState<E>, c: Condition<E> | null): void {
    this.edges.push({ action: IGNORE, target, condition: c });
  }
  proceed(target: BuildState<E>, c: Condition<E> | null): void {
    this.edges.push({ action: PROCEED, target, condition: c });
  }
}

export function compilePattern<E>(last: Pattern<E>): CompiledPattern<E> {
  return new Compiler<E>(last.variables()).compile();
}

class Compiler<E> {
  private readonly states: BuildState<E>[] = [];
  private readonly nameCounts = new Map<string, number>();
  private readonly stopStates = new Map<string, BuildState<E>>();
  /** Greedy + until: the sink as it was before the greedy rewrite, by the sink's name. */
  private readonly ungreedySinks = new Map<string, BuildState<E>>();
  private readonly windowMs: number;
  private i: number;

  constructor(private readonly chain: readonly VariableSpec<E>[]) {
    this.i = chain.length - 1;
    let w = 0;
    for (const v of chain) if (v.windowMs !== undefined && (w === 0 || v.windowMs < w)) w = v.windowMs;
    this.windowMs = w;
  }

  private get cur(): VariableSpec<E> {
    return this.chain[this.i]!;
  }
  private get following(): VariableSpec<E> | undefined {
    return this.chain[this.i + 1];
  }

  compile(): CompiledPattern<E> {
    this.validate();
    let sink = this.newState(FINAL_STATE_NAME, 'final');
    while (this.i > 0) {
      const v = this.cur;
      if (v.contiguity === 'notFollowedBy') {
        // Only a trailing notFollowedBy gets a state of its own; others become edges of their neighbours.
        if (sink.kind === 'final') {
          const notCond = this.takeCondition(v);
          const pending = this.newState(v.name, 'pending');
          pending.proceed(this.stopState(notCond, v.name), notCond);
          pending.ignore(pending, not(notCond));
          sink = pending;
        }
      } else if (v.contiguity === 'notNext') {
        const notCond = this.takeCondition(v);
        const notNext = this.newState(v.name, 'normal');
        const stop = this.stopState(notCond, v.name);
        // Before the final state an IGNORE edge, so that the match completes on the next event, not on this one.
        if (sink.kind === 'final') notNext.ignore(sink, not(notCond));
        else notNext.proceed(sink, not(notCond));
        notNext.proceed(stop, notCond);
        sink = notNext;
      } else {
        sink = this.convert(sink);
      }
      this.i--;
    }
    const start = this.convert(sink);
    start.kind = 'start';
    return this.finish(start);
  }

  private validate(): void {
    const seen = new Set<string>([FINAL_STATE_NAME]);
    for (const v of this.chain) {
      if (seen.has(v.name)) throw new MalformedPatternError(`duplicate pattern name: '${v.name}'; names must be unique`);
      seen.add(v.name);
    }
    const last = this.chain[this.chain.length - 1]!;
    if (last.contiguity === 'notFollowedBy' && this.windowMs === 0)
      throw new MalformedPatternError(`notFollowedBy('${last.name}') cannot end a pattern without within()`);
    const target = last.skip.variable;
    if (target !== undefined && !this.chain.some((v) => v.name === target))
      throw new MalformedPatternError(`the skip strategy names '${target}', which is not a variable of the pattern`);
  }

  private finish(start: BuildState<E>): CompiledPattern<E> {
    const index = new Map<BuildState<E>, number>();
    this.states.forEach((s, k) => {
      index.set(s, k);
    });
    const states: CompiledState<E>[] = this.states.map((s, k) => ({
      index: k,
      name: s.name,
      variable: s.variable,
      kind: s.kind,
      edges: s.edges.map((e) => ({ action: e.action, source: k, target: index.get(e.target)!, condition: e.condition })),
    }));
    const fingerprint = states.map((s) => `${s.name}/${s.kind}/${s.edges.map((e) => `${e.action}>${e.target}`).join(',')}`).join(';');
    return { states, start: index.get(start)!, windowMs: this.windowMs, skip: this.chain[this.chain.length - 1]!.skip.policy, fingerprint };
  }

  private newState(variable: string, kind: StateKind): BuildState<E> {
    const n = this.nameCounts.get(variable) ?? 0;
    this.nameCounts.set(variable, n + 1);
    const s = new BuildState<E>(n === 0 ? variable : `${variable}:${n}`, variable, kind);
    this.states.push(s);
    return s;
  }

  private stopState(notCond: Condition<E> | null, name: string): BuildState<E> {
    let stop = this.stopStates.get(name);
    if (stop === undefined) {
      stop = this.newState(name, 'stop');
      stop.take(stop, notCond);
      this.stopStates.set(name, stop);
    }
    return stop;
  }

  private takeCondition(v: VariableSpec<E>): Condition<E> | null {
    return v.conditionFn ?? null;
  }

  private ignoreConditionFor(strategy: 'strict' | 'relaxed' | 'nonDeterministic', v: VariableSpec<E>): Condition<E> | null {
    switch (strategy) {
      case 'strict':
        return null;
      case 'relaxed':
        return not(this.takeCondition(v));
      case 'nonDeterministic':
        return TRUE_CONDITION as Condition<E>;
    }
  }

  /** IGNORE condition between the previous variable and this one; undefined = no IGNORE edge. */
  private outerIgnore(v: VariableSpec<E>): Condition<E> | null | undefined {
    const c = v.contiguity;
    if (c === 'strict') return undefined;
    if (c === 'relaxed' || c === 'nonDeterministic') return this.ignoreConditionFor(c, v);
    return undefined;
  }

  /** IGNORE condition between events of a looping / times variable. */
  private innerIgnore(v: VariableSpec<E>): Condition<E> | null | undefined {
    if (v.innerContiguity === 'strict') return undefined;
    return this.ignoreConditionFor(v.innerContiguity, v);
  }

  /** notFollowedBy conditions that guard the current variable: the previous variable is a notFollowedBy, possibly
   *  behind a run of optional variables. */
  private guardingNots(): Array<{ cond: Condition<E> | null; name: string }> {
    const out: Array<{ cond: Condition<E> | null; name: string }> = [];
    let k = this.i;
    while (k > 0) {
      const prev = this.chain[k - 1]!;
      if (!(prev.isOptional || prev.contiguity === 'notFollowedBy')) break;
      k--;
      if (prev.contiguity === 'notFollowedBy') out.push({ cond: this.takeCondition(prev), name: prev.name });
    }
    return out;
  }

  private convert(sink: BuildState<E>): BuildState<E> {
    const v = this.cur;
    let first: BuildState<E>;
    if (v.quantifier === 'looping') {
      const looping = this.createLooping(this.withoutGuardingNots(sink));
      first = this.createTimes(looping, sink, v.from, v.to);
    } else if (v.quantifier === 'times') {
      first = this.createTimes(sink, sink, v.from, v.to);
    } else {
      const ig = this.outerIgnore(v);
      first = this.createSingleton(sink, sink, this.takeCondition(v), ig, v.isOptional);
    }
    this.addStopEdges(first);
    return first;
  }

  private addStopEdges(s: BuildState<E>): void {
    for (const n of this.guardingNots()) s.proceed(this.stopState(n.cond, n.name), n.cond);
  }

  /** Inside a loop or count, a following notFollowedBy is checked between the events of the loop too. */
  private addStopEdgeToLoop(s: BuildState<E>): void {
    const f = this.following;
    if (f !== undefined && f.contiguity === 'notFollowedBy') {
      const c = this.takeCondition(f);
      s.proceed(this.stopState(c, f.name), c);
    }
  }

  /**
   * Taking an event in an optional variable voids the notFollowedBy checks that only guarded the path that
   * skipped it: give the TAKE edge a copy of the sink without those STOP edges (only when needed).
   */
  private withoutGuardingNots(sink: BuildState<E>): BuildState<E> {
    const nots = this.guardingNots();
    if (nots.length === 0 || !this.cur.isOptional) return sink;
    const copy = this.newState(sink.variable, sink.kind);
    for (const e of sink.edges) {
      if (e.action === PROCEED) {
        if (e.target.kind === 'stop') {
          if (nots.some((n) => n.name === e.target.variable)) continue;
          copy.edges.push({ action: e.action, target: e.target, condition: e.condition });
        } else {
          copy.edges.push({ action: e.action, target: this.withoutGuardingNots(e.target), condition: e.condition });
        }
      } else {
        copy.edges.push({ action: e.action, target: e.target === sink ? copy : e.target, condition: e.condition });
      }
    }
    return copy;
  }

  private copyState(s: BuildState<E>): BuildState<E> {
    const copy = this.newState(s.variable, s.kind);
    for (const e of s.edges) copy.edges.push({ action: e.action, target: e.target === s ? copy : e.target, condition: e.condition });
    return copy;
  }

  /** Greedy: whatever follows may only act on events the loop would not take. */
  private makeGreedy(sink: BuildState<E>, take: Condition<E> | null): void {
    const notTake = not(take);
    for (const e of sink.edges) e.condition = and(e.condition, notTake);
  }

  private createTimes(sink: BuildState<E>, proceedTo: BuildState<E>, from: number, to: number): BuildState<E> {
    const v = this.cur;
    const until = v.untilFn ?? null;
    const innerIgnore = withUntil(this.innerIgnore(v), until);
    const take = withUntilTake(this.takeCondition(v), until);
    if (v.isGreedy && from !== to) {
      if (until !== null) this.ungreedySinks.set(sink.name, this.copyState(sink));
      this.makeGreedy(sink, take);
    }
    let last = sink;
    for (let k = from; k < to; k++) {
      last = this.createSingleton(last, proceedTo, take, innerIgnore, true);
      this.addStopEdgeToLoop(last);
    }
    for (let k = 0; k < from - 1; k++) {
      last = this.createSingleton(last, null, take, innerIgnore, false);
      this.addStopEdgeToLoop(last);
    }
    return this.createSingleton(last, proceedTo, take, this.outerIgnore(v), v.isOptional);
  }

  private createSingleton(
    sink: BuildState<E>,
    proceedTo: BuildState<E> | null,
    take: Condition<E> | null,
    ignore: Condition<E> | null | undefined,
    isOptional: boolean,
  ): BuildState<E> {
    const v = this.cur;
    const s = this.newState(v.name, 'normal');
    const sinkForTake = this.withoutGuardingNots(sink);
    s.take(sinkForTake, take);
    if (isOptional && proceedTo !== null) {
      const until = v.untilFn ?? null;
      if (v.isGreedy && until !== null) {
        s.proceed(this.ungreedySinks.get(proceedTo.name) ?? proceedTo, until);
        s.proceed(proceedTo, not(until));
      } else {
        s.proceed(proceedTo, null);
      }
    }
    if (ignore !== undefined) {
      let target = s;
      if (isOptional) {
        // A separate state without the PROCEED edge, so the skip-ahead branch is created only once.
        target = this.newState(v.name, 'normal');
        target.take(sinkForTake, take);
        target.ignore(target, ignore);
        this.addStopEdges(target);
      }
      s.ignore(target, ignore);
    }
    return s;
  }

  private createLooping(sink: BuildState<E>): BuildState<E> {
    const v = this.cur;
    const until = v.untilFn ?? null;
    const ignore = withUntil(this.innerIgnore(v), until);
    const take = withUntilTake(this.takeCondition(v), until);
    const looping = this.newState(v.name, 'normal');
    if (v.isGreedy) {
      if (until !== null) {
        const ungreedy = this.copyState(sink);
        looping.proceed(ungreedy, until);
        this.ungreedySinks.set(sink.name, ungreedy);
      }
      looping.proceed(sink, until !== null ? not(until) : null);
      this.makeGreedy(sink, this.takeCondition(v));
    } else {
      looping.proceed(sink, null);
    }
    looping.take(looping, take);
    this.addStopEdgeToLoop(looping);
    if (ignore !== undefined) {
      const ig = this.newState(v.name, 'normal');
      ig.take(looping, take);
      ig.ignore(ig, ignore);
      looping.ignore(ig, ignore);
      this.addStopEdgeToLoop(ig);
    }
    return looping;
  }
}

/** An IGNORE edge of a looping variable also stops at the until event. */
function withUntil<E>(c: Condition<E> | null | undefined, until: Condition<E> | null): Condition<E> | null | undefined {
  if (c === undefined) return undefined;
  if (until === null) return c;
  return and(not(until), c);
}
/** A TAKE edge of a looping variable never takes the until event. */
function withUntilTake<E>(c: Condition<E> | null, until: Condition<E> | null): Condition<E> | null {
  if (until === null) return c;
  return and(not(until), c);
}
