/**
 * The positions of a finished match that a skip strategy needs, as event sequence numbers (per key, in arrival
 * order, which is also event-time order). -1 means "no such event".
 */
export interface MatchTrace {
  readonly firstSeq: number;
  readonly lastSeq: number;
  firstSeqOf(variable: string): number;
  lastSeqOf(variable: string): number;
}

/**
 * One after-match skip strategy. After a match is emitted, every partial match (and held-back finished match)
 * whose first event satisfies `prunes(startSeq, point)` is discarded, `point` coming from `pruningPoint`.
 */
export interface SkipPolicy {
  readonly kind: 'noSkip' | 'skipToNext' | 'skipPastLastEvent' | 'skipToFirst' | 'skipToLast';
  /** Target variable of skip-to-first / skip-to-last. */
  readonly variable: string | undefined;
  /**
   * True for every strategy but noSkip: finished matches are then held back until no partial match that started
   * earlier is alive, because that one could still finish first and prune this one (Flink's rule).
   */
  readonly holdsMatches: boolean;
  /** Sequence number to prune against, or -1 for "prune nothing". */
  pruningPoint(match: MatchTrace): number;
  prunes(startSeq: number, point: number): boolean;
}
