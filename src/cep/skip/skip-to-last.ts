import type { SkipPolicy } from './skip-policy.js';
import { skipToElementPolicy } from './skip-to-element.js';

/** Discards partial matches that began before the last event of `variable` in the match. */
export function skipToLastPolicy(variable: string, throwOnMiss = false): SkipPolicy {
  return skipToElementPolicy('skipToLast', variable, throwOnMiss);
}
