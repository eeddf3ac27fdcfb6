import type { Value } from '../functions.js';

/** A record as the language sees it: named fields holding language values. */
export type Rec = Readonly<Record<string, Value | undefined>>;

/**
 * What an expression is evaluated against. One mutable scope object is kept per compiled condition or emit and
 * re-pointed before each evaluation, so evaluating allocates nothing.
 * - `event`: the record under evaluation (a stream record, or the event under test in `define`); null in emit.
 * - `events(v)`: the events matched to pattern variable v so far (in emit: all of them in the match).
 */
export interface Scope {
  event: Rec | null;
  events(variable: string): readonly Rec[];
  /** `events(variable)`'s last event, without building the list (what `v.f` reads in a condition). */
  last(variable: string): Rec | undefined;
}

export type Evaluator = (scope: Scope) => Value;

/** A scope for stream expressions: only `event`. */
export class RecordScope implements Scope {
  event: Rec | null = null;
  events(): readonly Rec[] {
    return NO_EVENTS;
  }
  last(): Rec | undefined {
    return undefined;
  }
}

export const NO_EVENTS: readonly Rec[] = Object.freeze([]);
