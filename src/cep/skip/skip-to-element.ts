import type { MatchTrace, SkipPolicy } from './skip-policy.js';

/**
 * Shared by skip-to-first and skip-to-last: discards partial matches that began strictly before the chosen event
 * of `variable`. As in Flink (without throwExceptionOnMiss), a match that has no event for `variable` prunes
 * nothing, and a target that is the match's own first event prunes nothing either (nothing alive began earlier:
 * finished matches are emitted only once no earlier partial match exists) — both are no-ops, not errors.
 * With `throwOnMiss` both cases throw, as Flink's throwExceptionOnMiss() does.
 */
export function skipToElementPolicy(kind: 'skipToFirst' | 'skipToLast', variable: string, throwOnMiss: boolean): SkipPolicy {
  const pick = kind === 'skipToFirst' ? (m: MatchTrace) => m.firstSeqOf(variable) : (m: MatchTrace) => m.lastSeqOf(variable);
  return {
    kind,
    variable,
    holdsMatches: true,
    pruningPoint(m) {
      const seq = pick(m);
      if (throwOnMiss) {
        if (seq < 0) throw new Error(`could not skip to ${variable}: no such element in the match`);
        if (seq === m.firstSeq) throw new Error('could not skip to the first element of a match');
      }
      return seq;
    },
    prunes: (startSeq, point) => startSeq < point,
  };
}
