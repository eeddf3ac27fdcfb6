import type { SkipPolicy } from './skip-policy.js';
import { skipToElementPolicy } from './skip-to-element.js';

/** Discards partial matches that began before the first event of `variable` in the match. */
export function skipToFirstPolicy(variable: string, throwOnMiss = false): SkipPolicy {
  return skipToElementPolicy('skipToFirst', variable, throwOnMiss);
}
