/**
 * Retry delays: exponential from a base delay, capped, with jitter. The jitter keeps the retries of alerts that
 * failed together (a receiver that went down) from arriving together when it comes back.
 */
export interface BackoffOptions {
  /** The first retry's delay before jitter. */
  readonly baseMs: number;
  /** No delay grows past this. */
  readonly maxMs: number;
}

/**
 * The delay before retry number `retry` (1 = the first retry): base * 2^(retry-1), at most maxMs, then scaled
 * into [half, whole] by `random` ("equal jitter": never shorter than half the step, so retries stay spaced out).
 */
export function backoffDelay(retry: number, { baseMs, maxMs }: BackoffOptions, random: () => number = Math.random): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.max(0, retry - 1));
  return Math.round(step / 2 + (step / 2) * random());
}

/** The name of Vigil's strategy in a job's `backoff.type` (bullmq calls the worker's custom strategy for it). */
export const JITTERED_BACKOFF = 'vigil-jittered';
