/** Public surface of the CEP engine: build a Pattern, compile it to an Nfa, keep one NfaKeyState per key. */

import { type Nfa, type NfaOptions, NfaRuntime } from './nfa.js';
import { compilePattern } from './nfa-compiler.js';
import { PairRuntime, pairShape } from './pair-runtime.js';
import type { Pattern } from './pattern.js';

export { DEFAULT_MAX_KEPT_EVENTS, DEFAULT_MAX_STATE_ENTRIES } from './cep-operator.js';
export type { CepLogger, Match, Nfa, NfaOptions, NfaOutput, TimedOutMatch } from './nfa.js';
export { DEFAULT_MAX_PARTIAL_MATCHES_PER_KEY, NfaKeyState } from './nfa.js';
export type { CompiledEdge, CompiledPattern, CompiledState, StateKind } from './nfa-compiler.js';
export type { Condition, Contiguity, InnerContiguity, MatchContext, QuantifierKind, VariableSpec } from './pattern.js';
export { AfterMatchSkipStrategy, MalformedPatternError, Pattern } from './pattern.js';
export { decodeNfaState, type EventCodec, encodeNfaState, type NfaStateSnapshot } from './snapshot.js';

/** Compiles a pattern (its last variable) into an NFA; throws MalformedPatternError for patterns Flink rejects. */
export function compile<E>(pattern: Pattern<E>, options?: NfaOptions): Nfa<E> {
  const compiled = compilePattern(pattern);
  // `a next b` has at most one partial match per key: a runtime of its own skips the generic step.
  const pair = pairShape(compiled);
  return pair === null ? new NfaRuntime<E>(compiled, options) : new PairRuntime<E>(compiled, pair, options);
}
