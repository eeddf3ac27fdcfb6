/** Public surface of the CEP engine: build a Pattern, compile it to an Nfa, keep one NfaKeyState per key. */
import { compilePattern } from './nfa-compiler.js';
import { NfaRuntime, type Nfa, type NfaOptions } from './nfa.js';
import type { Pattern } from './pattern.js';

export { Pattern, AfterMatchSkipStrategy, MalformedPatternError } from './pattern.js';
export type { MatchContext, Condition, VariableSpec, Contiguity, InnerContiguity, QuantifierKind } from './pattern.js';
export type { Match, TimedOutMatch, NfaOutput, Nfa, NfaOptions, CepLogger } from './nfa.js';
export { NfaKeyState } from './nfa.js';
export type { CompiledPattern, CompiledState, CompiledEdge, StateKind } from './nfa-compiler.js';
export { encodeNfaState, decodeNfaState, type NfaStateSnapshot, type EventCodec } from './snapshot.js';

/** Compiles a pattern (its last variable) into an NFA; throws MalformedPatternError for patterns Flink rejects. */
export function compile<E>(pattern: Pattern<E>, options?: NfaOptions): Nfa<E> {
  return new NfaRuntime<E>(compilePattern(pattern), options);
}
