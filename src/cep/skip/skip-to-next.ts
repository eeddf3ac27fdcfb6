import type { SkipPolicy } from './skip-policy.js';

/** Discards the partial matches that began with the match's first event (or earlier). */
export const skipToNextPolicy: SkipPolicy = {
  kind: 'skipToNext',
  variable: undefined,
  holdsMatches: true,
  pruningPoint: (m) => m.firstSeq,
  prunes: (startSeq, point) => startSeq <= point,
};
