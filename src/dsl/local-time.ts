/**
 * Local calendar fields of a timestamp in one IANA time zone (`Asia/Shanghai`, `Europe/Berlin`, `UTC`), for the
 * language's `local_hour`, `local_minute`, `local_weekday` and `local_date`.
 *
 * Intl is the only source of zone rules on Node 20 (no Temporal), and one `formatToParts` costs microseconds, so
 * the zone's offset is looked up once per quarter hour of UTC and cached: every offset change in the time zone
 * database since 1970 happens on a quarter hour, and a stream's records mostly fall in the quarter hour of the
 * record before. The local fields are then integer arithmetic on `ts + offset`.
 */

const QUARTER_HOUR = 15 * 60_000;
const DAY = 86_400_000;
/** Cached quarter hours per zone before the cache starts over (about a year of them). */
const MAX_CACHED = 40_000;

export class LocalTime {
  /** Made on first use: the first Intl formatter with a zone loads the zone data, which costs a noticeable start-up. */
  private format: Intl.DateTimeFormat | null = null;
  private readonly offsets = new Map<number, number>();
  private lastQuarter = NaN;
  private lastOffset = 0;
  private lastDay = NaN;
  private lastDate = '';

  /** The zone must be one Intl knows (see isTimeZone); an unknown one throws a RangeError on first use. */
  constructor(readonly zone: string) {}

  /** Milliseconds to add to a UTC timestamp to read the zone's wall clock. */
  offset(ts: number): number {
    const quarter = Math.floor(ts / QUARTER_HOUR);
    if (quarter === this.lastQuarter) return this.lastOffset;
    let offset = this.offsets.get(quarter);
    if (offset === undefined) {
      offset = this.compute(quarter * QUARTER_HOUR);
      if (this.offsets.size >= MAX_CACHED) this.offsets.clear();
      this.offsets.set(quarter, offset);
    }
    this.lastQuarter = quarter;
    this.lastOffset = offset;
    return offset;
  }

  /** Local hour of the day, 0 to 23. */
  hour(ts: number): number {
    return Math.floor(mod(ts + this.offset(ts), DAY) / 3_600_000);
  }

  /** Local minute of the hour, 0 to 59. */
  minute(ts: number): number {
    return Math.floor(mod(ts + this.offset(ts), 3_600_000) / 60_000);
  }

  /** ISO 8601 day of the week: 1 is Monday, 7 is Sunday. */
  weekday(ts: number): number {
    const days = Math.floor((ts + this.offset(ts)) / DAY);
    // 1970-01-01 was a Thursday (4).
    return mod(days + 3, 7) + 1;
  }

  /** The local calendar date, `YYYY-MM-DD`. */
  date(ts: number): string {
    const day = Math.floor((ts + this.offset(ts)) / DAY);
    if (day === this.lastDay) return this.lastDate;
    const d = new Date(day * DAY);
    const y = d.getUTCFullYear();
    const year = y >= 0 && y <= 9999 ? String(y).padStart(4, '0') : String(y);
    this.lastDay = day;
    this.lastDate = `${year}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;
    return this.lastDate;
  }

  private compute(at: number): number {
    const fixed = fixedOffsetMinutes(this.zone);
    if (fixed !== null) return fixed * 60_000;
    this.format ??= new Intl.DateTimeFormat('en-US', {
      timeZone: this.zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    if (this.zone === 'UTC') return 0;
    const parts: Record<string, number> = {};
    for (const p of this.format.formatToParts(at)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
    const wall = Date.UTC(parts['year'] ?? 1970, (parts['month'] ?? 1) - 1, parts['day'] ?? 1, parts['hour'] ?? 0, parts['minute'] ?? 0, parts['second'] ?? 0);
    return wall - (at - mod(at, 1000));
  }
}

function mod(a: number, n: number): number {
  const r = a % n;
  return r < 0 ? r + n : r;
}

const zones = new Map<string, LocalTime>();

/** One LocalTime per zone for the process (its offset cache is shared by every function bound to the zone). */
export function localTime(zone: string): LocalTime {
  let t = zones.get(zone);
  if (t === undefined) {
    t = new LocalTime(zone);
    zones.set(zone, t);
  }
  return t;
}

/**
 * A fixed offset east of UTC in minutes (`UTC`, `Z`, `+08:00`, `-0530`, `+8`, `UTC+8`), or null for anything else
 * (an IANA name). Node 20's Intl knows no offset zones, and a city's cameras often say only "+08:00".
 */
export function fixedOffsetMinutes(zone: string): number | null {
  const t = zone.trim();
  if (/^(utc|z|gmt)$/i.test(t)) return 0;
  const m = /^(?:utc|gmt)?([+-])(\d{1,2})(?::?(\d{2}))?$/i.exec(t);
  if (m === null || Number(m[2]) > 14 || Number(m[3] ?? 0) > 59) return null;
  const minutes = Number(m[2]) * 60 + Number(m[3] ?? 0);
  return m[1] === '-' ? -minutes : minutes;
}

/** Whether the zone is a fixed offset or one Intl knows (an IANA name such as `Asia/Shanghai`, or `UTC`). */
export function isTimeZone(zone: string): boolean {
  if (fixedOffsetMinutes(zone) !== null) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
