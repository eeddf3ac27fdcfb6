import type { SkipPolicy } from './skip-policy.js';

/** Discards every partial match that began at or before the match's last event. */
export const skipPastLastEventPolicy: SkipPolicy = {
  kind: 'skipPastLastEvent',
  variable: undefined,
  holdsMatches: true,
  pruningPoint: (m) => m.lastSeq,
  prunes: (startSeq, point) => startSeq <= point,
};
