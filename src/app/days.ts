/**
 * Days of the city's calendar: the unit the next-morning re-run replaces and the unit a vehicle's trajectory is
 * kept for. A day is the local date in the configured zone (an IANA name or a fixed offset), from local midnight
 * to the next (23 or 25 hours on a daylight-saving change).
 */
import { localTime } from '../dsl/index.js';
import { UserError } from './errors.js';

const DAY = 86_400_000;
const DAY_TEXT = /^(\d{4})-(\d\d)-(\d\d)$/;

/** The local date of an event time, `YYYY-MM-DD`. */
export function dayOf(ts: number, zone: string): string {
  return localTime(zone).date(ts);
}

/** Whether the text is a calendar date `YYYY-MM-DD` that exists. */
export function isDay(text: string): boolean {
  const m = DAY_TEXT.exec(text);
  if (m === null) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === text;
}

/** The day's event times: `from` (local midnight, inclusive) to `to` (the next local midnight, exclusive), epoch ms. */
export function dayRange(day: string, zone: string): { readonly from: number; readonly to: number } {
  if (!isDay(day)) throw new UserError(`'${day}' is not a day: give it as YYYY-MM-DD`);
  const midnight = Date.parse(`${day}T00:00:00Z`);
  return { from: localMidnight(midnight, zone), to: localMidnight(midnight + DAY, zone) };
}

/** The instant whose wall clock in the zone reads the UTC midnight `wall` (twice: an offset may change across it). */
function localMidnight(wall: number, zone: string): number {
  const time = localTime(zone);
  let at = wall - time.offset(wall);
  at = wall - time.offset(at);
  return at;
}
