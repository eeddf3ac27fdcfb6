import { AfterMatchSkipStrategy, type Condition, type Match, type MatchContext, Pattern } from '../../cep/index.js';
import type * as A from '../ast.js';
import type { CheckedPattern } from '../checked.js';
import { DslError } from '../errors.js';
import type { Value } from '../functions.js';
import { compileCondition, compileExpr, type ExprContext } from './expr.js';
import { type Evaluator, NO_EVENTS, type Rec, RecordScope, type Scope } from './scope.js';

/** A pattern declaration planned for one set of parameter values: the CEP pattern (compiled to an NFA by cep) and its emits. */
export interface PatternPlan {
  readonly name: string;
  readonly pattern: Pattern<Rec>;
  readonly within: number | null;
  /** Builds the payload of a match (`emit`), or an empty object when the pattern has no emit. */
  readonly emit: (match: Match<Rec>) => Value;
  /** Builds the payload of a timed-out partial match, or null when the pattern has no `on timeout emit`. */
  readonly onTimeout: ((match: Match<Rec>) => Value) | null;
}

/** Scope of a `define`/`until` condition: the event under test and the partial match's events so far. */
class ConditionScope implements Scope {
  event: Rec | null = null;
  ctx: MatchContext<Rec> | null = null;
  events(variable: string): readonly Rec[] {
    return this.ctx === null ? NO_EVENTS : this.ctx.events(variable);
  }
  last(variable: string): Rec | undefined {
    return this.ctx === null ? undefined : this.ctx.last(variable);
  }
}

/** Scope of an emit: the whole match, no current event. */
class MatchScope implements Scope {
  event: Rec | null = null;
  match: Match<Rec> = {};
  events(variable: string): readonly Rec[] {
    return this.match[variable] ?? NO_EVENTS;
  }
  last(variable: string): Rec | undefined {
    const evs = this.match[variable];
    return evs === undefined ? undefined : evs[evs.length - 1];
  }
}

function condition(expr: A.Expr, cx: ExprContext): Condition<Rec> {
  const test = compileCondition(expr, cx);
  const scope = new ConditionScope();
  return (event, ctx) => {
    scope.event = event;
    scope.ctx = ctx;
    return test(scope);
  };
}

/** Evaluates an expression that must be a constant once parameters are bound (within, durations, sizes). */
export function constantNumber(expr: A.Expr, cx: ExprContext, what: string): number {
  const v = compileExpr(expr, cx)(new RecordScope());
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new DslError(expr.pos.file, expr.pos.line, expr.pos.col, `${what} must be a positive duration, got ${JSON.stringify(v)}`);
  }
  return v;
}

function skipStrategy(after: A.AfterMatch | null): AfterMatchSkipStrategy {
  if (after === null) return AfterMatchSkipStrategy.noSkip();
  switch (after.kind) {
    case 'no-skip':
      return AfterMatchSkipStrategy.noSkip();
    case 'skip-to-next':
      return AfterMatchSkipStrategy.skipToNext();
    case 'skip-past-last-event':
      return AfterMatchSkipStrategy.skipPastLastEvent();
    case 'skip-to-first':
      return AfterMatchSkipStrategy.skipToFirst(after.variable.name);
    case 'skip-to-last':
      return AfterMatchSkipStrategy.skipToLast(after.variable.name);
  }
}

function connect(p: Pattern<Rec>, connector: A.Connector, name: string): Pattern<Rec> {
  switch (connector.kind) {
    case 'next':
      return p.next(name);
    case 'followed-by':
      return p.followedBy(name);
    case 'followed-by-any':
      return p.followedByAny(name);
    case 'not-next':
      return p.notNext(name);
    case 'not-followed-by':
      return p.notFollowedBy(name);
  }
}

function quantify(p: Pattern<Rec>, term: A.Term, cx: ExprContext): Pattern<Rec> {
  let q = p;
  const quant = term.quantifier;
  if (quant !== null) {
    switch (quant.kind) {
      case 'optional':
        q = q.optional();
        break;
      case 'one-or-more':
        q = q.oneOrMore();
        break;
      case 'zero-or-more':
        q = q.zeroOrMore();
        break;
      case 'times':
        if (quant.max === null) q = q.timesOrMore(quant.min);
        else if (quant.max === quant.min) q = q.times(quant.min);
        else q = q.times(quant.min, quant.max);
        break;
    }
  }
  if (term.optional && quant?.kind !== 'optional') q = q.optional();
  for (const m of term.modifiers) {
    switch (m.kind) {
      case 'greedy':
        q = q.greedy();
        break;
      case 'consecutive':
        q = q.consecutive();
        break;
      case 'any':
        q = q.allowCombinations();
        break;
      case 'until':
        q = q.until(condition(m.cond, cx));
        break;
    }
  }
  return q;
}

function payload(obj: A.ObjectLit | null, cx: ExprContext): (match: Match<Rec>) => Value {
  if (obj === null) return () => ({});
  const build: Evaluator = compileExpr(obj, cx);
  const scope = new MatchScope();
  return (match) => {
    scope.match = match;
    return build(scope);
  };
}

/** Compiles one checked pattern with the given parameter values into a CEP pattern and its payload builders. */
export function planPattern(checked: CheckedPattern, cx: ExprContext): PatternPlan {
  const decl = checked.decl;
  const defines = new Map(decl.defines.map((d) => [d.variable.name, d.cond]));
  let p: Pattern<Rec> | null = null;
  for (const step of decl.match) {
    const name = step.term.variable.name;
    p = p === null || step.connector === null ? Pattern.begin<Rec>(name, skipStrategy(decl.afterMatch)) : connect(p, step.connector, name);
    const cond = defines.get(name);
    if (cond !== undefined) p = p.where(condition(cond, cx));
    p = quantify(p, step.term, cx);
  }
  if (p === null) throw new DslError(decl.pos.file, decl.pos.line, decl.pos.col, `pattern '${decl.name.name}' has an empty match`);
  const within = decl.within === null ? null : constantNumber(decl.within, cx, '`within`');
  if (within !== null) p = p.within(within);
  return {
    name: decl.name.name,
    pattern: p,
    within,
    emit: payload(decl.emit, cx),
    onTimeout: decl.onTimeout === null ? null : payload(decl.onTimeout, cx),
  };
}
