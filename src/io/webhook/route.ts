/** A webhook route as delivery sees it: where, signed with what, and how hard to try. */
export interface WebhookRouteSpec {
  /** Names the route's queue and its API path: letters, digits, '.', '_' and '-'. */
  readonly id: string;
  /** The rule whose alerts it carries. */
  readonly rule: string;
  readonly url: string;
  /** The signing secret itself (`whsec_...`), read from the environment. */
  readonly secret: string;
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly attempts: number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  /** Consecutive failures that open the route's circuit breaker. */
  readonly breakerFailures: number;
  readonly breakerCooldownMs: number;
}

export type WebhookTuning = Omit<WebhookRouteSpec, 'id' | 'rule' | 'url' | 'secret'>;

/**
 * Defaults: 12 attempts 1 s, 2 s, 4 s ... apart (at most 10 min) try for about half an hour before an alert becomes a
 * dead letter; the breaker opens after 5 failures in a row and probes every 30 s.
 */
export const WEBHOOK_DEFAULTS: WebhookTuning = {
  concurrency: 4,
  timeoutMs: 10_000,
  attempts: 12,
  backoffMs: 1000,
  maxBackoffMs: 10 * 60_000,
  breakerFailures: 5,
  breakerCooldownMs: 30_000,
};

export const ROUTE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** What a webhook carries: anything with a stable id (Vigil's alerts). */
export interface Identified {
  readonly id: string;
}

/**
 * A bullmq job id from an alert id: bullmq refuses ids with ':' and ids that read as integers. The job id is what
 * makes enqueueing idempotent, so the mapping is deterministic and one-to-one: '%' and ':' are percent-encoded, and
 * an id that reads as an integer has its first character encoded. Vigil's alert ids (hex) map to themselves.
 */
export function jobIdOf(alertId: string): string {
  const safe = alertId.replace(/%/g, '%25').replace(/:/g, '%3A');
  if (`${Number.parseInt(safe, 10)}` !== safe) return safe;
  return `%${safe.charCodeAt(0).toString(16).toUpperCase()}${safe.slice(1)}`;
}
