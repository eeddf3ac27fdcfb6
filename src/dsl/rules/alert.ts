import { createHash } from 'node:crypto';
import type { KeyedProcessFunction, KeyedStateBackend, ValueState } from '../../core/index.js';
import { assignedIdentity } from '../compile/identity.js';
import type { Rec } from '../compile/scope.js';
import type { Value } from '../functions.js';
import type { Rule, Severity } from './rule.js';

/** The alert envelope around a pattern's emit payload (DSL.md "Emits and alerts"). */
export interface Alert {
  /**
   * Deterministic: the same rule, key and matched events always give the same id (replays, restarts, another arrival
   * interleaving within the watermark bound). Events count by identity (eventIdentity), not by value.
   */
  readonly id: string;
  readonly rule: string;
  readonly pattern: string;
  readonly severity: Severity;
  readonly key: string;
  /** Event time of the match: its last event. */
  readonly event_time: number;
  /** Processing time when Vigil detected it. */
  readonly detected_at: number;
  readonly payload: Value;
  /** The matched events by pattern variable. */
  readonly evidence: Readonly<Record<string, readonly Value[]>>;
  /** Present on alerts from `on timeout emit`. */
  readonly timeout?: true;
  /**
   * Present on alerts that a late event made (a pattern's `allowed lateness`): the evidence came behind the
   * watermark, so the alert comes later than its event time says. The id does not depend on it.
   */
  readonly late?: true;
}

type Evidence = Readonly<Record<string, readonly Value[]>>;

/**
 * A record's identity for alert ids: its `id` field when it has one; for a window result, its window (stream, key,
 * start, end), never its aggregates, whose last bits depend on the order records were summed in; else its canonical
 * JSON (a record the job made some other way).
 */
export function eventIdentity(e: Value): string {
  if (typeof e === 'object' && e !== null && !Array.isArray(e)) {
    const r = e as Rec;
    if (typeof r['id'] === 'string') return `#${r['id']}`;
    const window = assignedIdentity(r);
    if (window !== undefined) return `@${window}`;
  }
  return canonicalJson(e);
}

export function canonicalJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Readonly<Record<string, unknown>>;
  const keys = Object.keys(o).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

export function alertId(rule: string, key: string, evidence: Evidence, timeout: boolean): string {
  const h = createHash('sha256');
  h.update(rule)
    .update('\u0000')
    .update(key)
    .update('\u0000')
    .update(timeout ? 'timeout' : 'match');
  for (const variable of Object.keys(evidence).sort()) {
    h.update('\u0000').update(variable);
    for (const e of evidence[variable] ?? []) h.update('\u0001').update(eventIdentity(e));
  }
  return h.digest('hex').slice(0, 32);
}

export function makeAlert(
  rule: Rule,
  key: string,
  eventTime: number,
  detectedAt: number,
  payload: Value,
  evidence: Evidence,
  timeout = false,
  late = false,
): Alert {
  const alert: Alert = {
    id: alertId(rule.id, key, evidence, timeout),
    rule: rule.id,
    pattern: rule.pattern,
    severity: severityOf(rule, payload),
    key,
    event_time: eventTime,
    detected_at: detectedAt,
    payload,
    evidence,
  };
  const marked = timeout ? { ...alert, timeout: true as const } : alert;
  return late ? { ...marked, late: true } : marked;
}

/** The rule's severity, or the one `severity_by` gives the payload's field value (matched as its text). */
export function severityOf(rule: Rule, payload: Value): Severity {
  const by = rule.severityBy;
  if (by === undefined || typeof payload !== 'object' || payload === null || Array.isArray(payload)) return rule.severity;
  const v = (payload as Rec)[by.field];
  if (v === undefined || v === null || typeof v === 'object') return rule.severity;
  return Object.hasOwn(by.values, String(v)) ? by.values[String(v)]! : rule.severity;
}

/** The suppression key of an alert: the named payload fields, in order. */
export function suppressionKey(alert: Alert, fields: readonly string[]): string {
  const p = alert.payload;
  const parts = fields.map((f) => (typeof p === 'object' && p !== null ? canonicalJson(p[f]) : 'null'));
  return `${alert.rule}\u0000${parts.join('\u0000')}`;
}

/**
 * At most one alert per suppression key within `forMs` of event time (keyed by the suppression key). The last
 * emitted alert's event time is kept until `forMs` has passed on the watermark, then dropped: state never grows
 * without bound.
 */
export function suppression(forMs: number): KeyedProcessFunction<Alert, Alert> {
  let last!: ValueState<number>;
  return {
    open(state: KeyedStateBackend) {
      last = state.value<number>('last-alert');
    },
    processElement(alert, timestamp, ctx) {
      const prev = last.get();
      if (prev !== undefined && Math.abs(timestamp - prev) < forMs) return;
      last.update(timestamp);
      ctx.timers.registerEventTimer(ctx.key, 0, timestamp + forMs);
      ctx.output.collect(alert, timestamp);
    },
    onTimer(_domain, timestamp) {
      const prev = last.get();
      if (prev !== undefined && prev + forMs <= timestamp) last.clear();
    },
  };
}
