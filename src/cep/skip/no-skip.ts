import type { SkipPolicy } from './skip-policy.js';

/** Every match is emitted and no partial match is discarded. */
export const noSkipPolicy: SkipPolicy = {
  kind: 'noSkip',
  variable: undefined,
  holdsMatches: false,
  pruningPoint: () => -1,
  prunes: () => false,
};
