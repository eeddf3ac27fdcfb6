/** A rule: which pattern to run, with which parameters, how severe its alerts are, where they go, how often. */
export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';
export const SEVERITIES: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

export type ParamValue = number | string | boolean;

export type Route = { readonly kind: 'kafka'; readonly topic: string } | WebhookRoute;

/**
 * A webhook route. `secret` names where the signing secret lives (`env:NAME`); the secret itself never sits in a
 * rule file. The delivery options are present only when the file sets them (the service has defaults).
 */
export interface WebhookRoute {
  readonly kind: 'webhook';
  readonly url: string;
  readonly secret: string;
  /** Deliveries in flight at once, per process. */
  readonly concurrency?: number;
  /** How long one POST may take before it counts as failed. */
  readonly timeoutMs?: number;
  /** Deliveries tried before the alert goes to the route's dead letters. */
  readonly attempts?: number;
  /** The first retry's delay; each later one doubles it (with jitter). */
  readonly backoffMs?: number;
  /** Consecutive failed deliveries that open the route's circuit breaker. */
  readonly breakerFailures?: number;
  /** How long an open breaker holds deliveries back before it lets a probe through. */
  readonly breakerCooldownMs?: number;
  /** Where the route was written, for errors found at startup (a secret missing from the environment). */
  readonly position?: { readonly line: number; readonly col: number };
}

export interface Suppression {
  /** Payload fields that together identify "the same alert" (e.g. a plate pair). */
  readonly key: readonly string[];
  /** At most one alert per key within this much event time. */
  readonly forMs: number;
}

/**
 * A severity per alert, read from one payload field: an alert whose `field` holds a listed value takes that value's
 * severity; any other alert takes the rule's `severity`. One rule can then raise, say, confirmed and suspected
 * findings of one pattern at two severities.
 */
export interface SeverityBy {
  readonly field: string;
  readonly values: Readonly<Record<string, Severity>>;
}

export interface Rule {
  readonly id: string;
  readonly file: string;
  readonly pattern: string;
  readonly description: string;
  readonly enabled: boolean;
  readonly severity: Severity;
  /** Present when the rule sets `severity_by`: the severity then depends on the alert's payload. */
  readonly severityBy?: SeverityBy;
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly routes: readonly Route[];
  readonly suppress: Suppression | null;
  /** Where each params key was written, for errors found when the rule meets its pattern. */
  readonly paramPositions: Readonly<Record<string, { readonly line: number; readonly col: number }>>;
  readonly patternPosition: { readonly line: number; readonly col: number };
}

export const DEFAULT_ALERT_TOPIC = 'vigil.alerts';
