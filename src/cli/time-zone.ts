import { fixedOffsetMinutes } from '../dsl/index.js';
import { UserError } from './io.js';

/** A time zone for printing times to people: a fixed offset (`+08:00`, `UTC`) or an IANA name (`Asia/Shanghai`). */
export interface TimeZone {
  /** As the user wrote it, normalised: `UTC+08:00`, `Asia/Shanghai`. */
  readonly label: string;
  /** `YYYY-MM-DD HH:MM:SS` in the zone. */
  readonly format: (ms: number) => string;
}

/** Parses `--time-zone`: `UTC`, `Z`, `+08:00`, `-0530`, `+8`, or an IANA zone name known to this Node. */
export function parseTimeZone(text: string, flag = '--time-zone'): TimeZone {
  const t = text.trim();
  const fixed = fixedOffsetMinutes(t);
  if (fixed !== null) return offsetZone(fixed);
  if (/^(?:utc|gmt)?[+-]\d/i.test(t)) throw new UserError(`${flag} ${text}: an offset is at most ±14:00`);
  let parts: Intl.DateTimeFormat;
  try {
    parts = new Intl.DateTimeFormat('en-CA', {
      timeZone: t,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
  } catch {
    throw new UserError(`${flag} ${text}: not a time zone; give an offset such as +08:00 or a name such as Asia/Shanghai`);
  }
  return {
    label: t,
    format: (ms) => {
      const p = Object.fromEntries(parts.formatToParts(ms).map((x) => [x.type, x.value]));
      return `${p['year']}-${p['month']}-${p['day']} ${p['hour']}:${p['minute']}:${p['second']}`;
    },
  };
}

function offsetZone(minutes: number): TimeZone {
  const a = Math.abs(minutes);
  const label = minutes === 0 ? 'UTC' : `UTC${minutes < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
  return { label, format: (ms) => new Date(ms + minutes * 60_000).toISOString().slice(0, 19).replace('T', ' ') };
}

/** The zone of this process (TZ), for when none is given. */
export function localTimeZone(): TimeZone {
  const name = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return parseTimeZone(name === undefined || name === '' ? 'UTC' : name);
}
