/**
 * Event-time parsing. ISO-8601 strings must carry a zone (`Z` or `±HH:MM`): a zone-less time
 * would depend on the host's zone, and a replay must not. Parsed by hand: Date.parse accepts
 * far more than ISO-8601 and is slower.
 */

function digits(s: string, at: number, count: number): number {
  let v = 0;
  for (let i = at; i < at + count; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Parses `YYYY-MM-DDTHH:MM[:SS[.fff...]](Z|±HH:MM|±HHMM)` (a space may replace `T`) to epoch ms,
 * or returns NaN.
 */
export function parseIsoTimestamp(s: string): number {
  const n = s.length;
  if (n < 17) return NaN;
  const year = digits(s, 0, 4);
  if (year < 0 || s.charCodeAt(4) !== 0x2d) return NaN;
  const month = digits(s, 5, 2);
  if (month < 1 || month > 12 || s.charCodeAt(7) !== 0x2d) return NaN;
  const day = digits(s, 8, 2);
  const sep = s.charCodeAt(10);
  if (day < 1 || day > (DAYS_IN_MONTH[month - 1] ?? 0) || (sep !== 0x54 && sep !== 0x20 && sep !== 0x74)) return NaN;
  if (month === 2 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) return NaN;
  const hour = digits(s, 11, 2);
  if (hour < 0 || hour > 23 || s.charCodeAt(13) !== 0x3a) return NaN;
  const minute = digits(s, 14, 2);
  if (minute < 0 || minute > 59) return NaN;
  let i = 16;
  let second = 0;
  let ms = 0;
  if (s.charCodeAt(i) === 0x3a) {
    second = digits(s, i + 1, 2);
    if (second < 0 || second > 59) return NaN;
    i += 3;
    if (s.charCodeAt(i) === 0x2e || s.charCodeAt(i) === 0x2c) {
      i++;
      let scale = 100;
      const start = i;
      while (i < n) {
        const d = s.charCodeAt(i) - 0x30;
        if (d < 0 || d > 9) break;
        ms += d * scale;
        scale /= 10;
        i++;
      }
      if (i === start) return NaN;
      ms = Math.floor(ms);
    }
  }
  let offsetMin = 0;
  const z = s.charCodeAt(i);
  if (z === 0x5a || z === 0x7a) {
    i++;
  } else if (z === 0x2b || z === 0x2d) {
    const oh = digits(s, i + 1, 2);
    if (oh < 0 || oh > 23) return NaN;
    let om: number;
    if (s.charCodeAt(i + 3) === 0x3a) {
      om = digits(s, i + 4, 2);
      i += 6;
    } else {
      om = digits(s, i + 3, 2);
      i += 5;
    }
    if (om < 0 || om > 59) return NaN;
    offsetMin = (oh * 60 + om) * (z === 0x2d ? -1 : 1);
  } else {
    return NaN; // no zone
  }
  if (i !== n) return NaN;
  return Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMin * 60_000;
}

/** Formats epoch ms as ISO-8601 in a fixed offset (minutes east of UTC), e.g. `2025-06-02T08:00:00.000+08:00`. */
export function formatIsoTimestamp(ms: number, offsetMinutes: number): string {
  const d = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 23);
  if (offsetMinutes === 0) return d + 'Z';
  const sign = offsetMinutes < 0 ? '-' : '+';
  const a = Math.abs(offsetMinutes);
  return `${d}${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}
