/** Event time is epoch milliseconds. The watermark starts below every timestamp and ends above every timestamp. */
export const MIN_WATERMARK = Number.NEGATIVE_INFINITY;
export const MAX_WATERMARK = Number.POSITIVE_INFINITY;

/**
 * The largest event time (and the most negative) a record may carry: 2^52 ms, about the year 144,000. Timers and
 * window ends are a time plus a duration (durations are bounded the same way), and must stay exact integers below
 * 2^53: past it `ts + 1m === ts`, and a timer due at `ts + within` would be due again at the same time forever.
 */
export const MAX_EVENT_TIME = 2 ** 52;

// ISO-8601 date-time with an explicit offset or Z (a bare local time would depend on the host's zone),
// or a plain date. Date.parse alone accepts too much (e.g. "1", "March 7").
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/;

/**
 * Reads an event time: a finite number of epoch milliseconds, or an ISO-8601 string.
 * Returns NaN for anything else so the caller can dead-letter the record with a reason.
 */
export function parseEventTime(raw: unknown): number {
  if (typeof raw === 'number') return Math.abs(raw) <= MAX_EVENT_TIME ? Math.trunc(raw) : Number.NaN;
  if (typeof raw === 'string') {
    if (!ISO_8601.test(raw)) return Number.NaN;
    const t = Date.parse(raw.length > 10 && raw.charCodeAt(10) === 32 ? raw.slice(0, 10) + 'T' + raw.slice(11) : raw);
    return Math.abs(t) <= MAX_EVENT_TIME ? t : Number.NaN;
  }
  return Number.NaN;
}

/** A short reason for a value parseEventTime refused, for dead-letter records. */
export function describeBadEventTime(field: string, raw: unknown): string {
  if (raw === undefined) return `missing event time field '${field}'`;
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) return `event time field '${field}' is not a finite number: ${String(raw)}`;
    return `event time field '${field}' is out of range: ${String(raw)} (epoch ms must be within ±2^52, about the year 144,000)`;
  }
  if (typeof raw === 'string') return `event time field '${field}' is not epoch ms or ISO-8601 with a zone: ${JSON.stringify(raw)}`;
  return `event time field '${field}' has type ${raw === null ? 'null' : typeof raw}, expected epoch ms or ISO-8601`;
}

/** Formats a timestamp or watermark for messages, keeping the infinities readable. */
export function formatTime(ms: number): string {
  if (ms === MIN_WATERMARK) return '-inf';
  if (ms === MAX_WATERMARK) return '+inf';
  return new Date(ms).toISOString();
}
