/**
 * The recent alerts of a job, kept in a capped Redis stream so they survive a restart and every process of a
 * scaled-out job sees the same history. This module holds what the writer (AlertHistorySink) and the reader
 * (RedisAlertHistory) share: the keys, the entry layout, filters and stream-id order.
 */
import type { Alert, Severity } from '../../dsl/index.js';

/** Entries the stream keeps by default (`XADD MAXLEN ~`): the --alert-history flag. */
export const DEFAULT_ALERT_HISTORY = 10_000;

export interface AlertHistoryKeys {
  /** The stream of alerts, oldest first. */
  readonly stream: string;
  /** A sorted set of the ids appended lately (score: append time), so a replayed alert is not appended twice. */
  readonly seen: string;
}

/**
 * Keys namespaced by the consumer group: processes of one job share a history, two jobs on one Redis do not. The
 * group sits in a hash tag so both keys land in one Redis Cluster slot (the append script touches both).
 */
export function alertHistoryKeys(group: string): AlertHistoryKeys {
  const base = `vigil:alerts:{${group}}`;
  return { stream: base, seen: `${base}:seen` };
}

/** What a reader may ask for; every field is optional and they combine with AND. Times are epoch ms, inclusive. */
export interface AlertFilter {
  readonly rule?: string;
  readonly severity?: Severity;
  readonly key?: string;
  readonly eventFrom?: number;
  readonly eventTo?: number;
  readonly detectedFrom?: number;
  readonly detectedTo?: number;
}

/** One alert of the history with its stream entry id (the cursor and the SSE event id). */
export interface AlertEntry {
  readonly id: string;
  readonly alert: Alert;
}

export interface AlertPage {
  /** Newest first. */
  readonly alerts: readonly AlertEntry[];
  /** The cursor of the next (older) page; null when the history has nothing older that could match. */
  readonly next: string | null;
}

export interface AlertFollower {
  /**
   * Resolves once the follower is in place: an alert appended from then on is delivered. Rejects when the history
   * cannot be reached (the follower is stopped then, and onError is not called).
   */
  readonly ready: Promise<void>;
  /** Stops delivery; the follower's resources are released. */
  stop(): void;
}

/** The read side the HTTP server is given: a page of the history, and the history followed live. */
export interface AlertHistory {
  /** Entries older than `before` (a stream id; default: the newest), newest first, at most `limit`. */
  page(filter: AlertFilter, options: { readonly before?: string; readonly limit: number }): Promise<AlertPage>;
  /**
   * Delivers every matching entry after `after` (exclusive; undefined: only entries appended from now on), in
   * stream order, then each new one as it is appended, none twice. `onError` is called once if the follower
   * cannot go on after it was ready (Redis lost while catching up); it is stopped then.
   */
  follow(after: string | undefined, filter: AlertFilter, onEntry: (entry: AlertEntry) => void, onError: (error: Error) => void): AlertFollower;
  close(): Promise<void>;
}

/** The fields of one stream entry: the ones filters read, then the alert's JSON. */
export const ENTRY_FIELDS = ['id', 'rule', 'severity', 'key', 'event_time', 'detected_at', 'alert'] as const;

export function entryFields(alert: Alert): string[] {
  return [alert.id, alert.rule, alert.severity, alert.key, String(alert.event_time), String(alert.detected_at), JSON.stringify(alert)];
}

/** A stream entry as ioredis returns it: `[id, [field, value, ...]]`. */
export type RawEntry = [string, string[]];

interface EntryHead {
  readonly rule: string;
  readonly severity: string;
  readonly key: string;
  readonly eventTime: number;
  readonly detectedAt: number;
  readonly json: string;
}

function headOf(fields: readonly string[]): EntryHead | null {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i] as string, fields[i + 1] as string);
  const json = map.get('alert');
  if (json === undefined) return null;
  return {
    rule: map.get('rule') ?? '',
    severity: map.get('severity') ?? '',
    key: map.get('key') ?? '',
    eventTime: Number(map.get('event_time')),
    detectedAt: Number(map.get('detected_at')),
    json,
  };
}

function headMatches(h: EntryHead, f: AlertFilter): boolean {
  return (
    (f.rule === undefined || h.rule === f.rule) &&
    (f.severity === undefined || h.severity === f.severity) &&
    (f.key === undefined || h.key === f.key) &&
    (f.eventFrom === undefined || h.eventTime >= f.eventFrom) &&
    (f.eventTo === undefined || h.eventTime <= f.eventTo) &&
    (f.detectedFrom === undefined || h.detectedAt >= f.detectedFrom) &&
    (f.detectedTo === undefined || h.detectedAt <= f.detectedTo)
  );
}

/** The entry when it matches the filter (the JSON is parsed only then); null for no match or a foreign entry. */
export function matchingEntry([id, fields]: RawEntry, filter: AlertFilter): AlertEntry | null {
  const head = headOf(fields);
  if (head === null || !headMatches(head, filter)) return null;
  try {
    return { id, alert: JSON.parse(head.json) as Alert };
  } catch {
    return null;
  }
}

const STREAM_ID = /^(\d+)-(\d+)$/;

export function isStreamId(text: string): boolean {
  return STREAM_ID.test(text) && text.length <= 41;
}

/** Stream ids in stream order: negative when a is older than b. */
export function compareStreamIds(a: string, b: string): number {
  const ma = STREAM_ID.exec(a);
  const mb = STREAM_ID.exec(b);
  if (ma === null || mb === null) throw new Error(`not a stream id: ${ma === null ? a : b}`);
  const ms = BigInt(ma[1] as string) - BigInt(mb[1] as string);
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const seq = BigInt(ma[2] as string) - BigInt(mb[2] as string);
  return seq === 0n ? 0 : seq < 0n ? -1 : 1;
}

/** The append time (epoch ms) a stream id carries. */
export function streamIdMs(id: string): number {
  return Number(STREAM_ID.exec(id)?.[1] ?? Number.NaN);
}
