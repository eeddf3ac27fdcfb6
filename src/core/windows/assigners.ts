/** A time window [start, end): end is exclusive; its last timestamp ("max timestamp" in Flink) is end - 1. */
export interface TimeWindow {
  readonly start: number;
  readonly end: number;
}

/** Fixed-size windows: every record belongs to size/slide windows of `size` ms, starting at multiples of `slide` + offset. */
export interface FixedWindows {
  readonly kind: 'tumbling' | 'sliding';
  readonly size: number;
  readonly slide: number;
  readonly offset: number;
}

/** Session windows: a record opens [ts, ts + gap); windows that touch or overlap merge. */
export interface SessionWindows {
  readonly kind: 'session';
  readonly gap: number;
}

export type WindowAssigner = FixedWindows | SessionWindows;

function checkDuration(what: string, ms: number): void {
  if (!Number.isInteger(ms) || ms <= 0) throw new RangeError(`${what} must be a positive whole number of ms, got ${ms}`);
}

/**
 * Tumbling windows of `size`. `offset` shifts the alignment, e.g. a day window with offset -8h starts at local
 * midnight in UTC+8 (Flink's TumblingEventTimeWindows.of(size, offset)).
 */
export function tumbling(size: number, offset = 0): FixedWindows {
  checkDuration('window size', size);
  return { kind: 'tumbling', size, slide: size, offset: normaliseOffset(offset, size) };
}

export function sliding(size: number, slide: number, offset = 0): FixedWindows {
  checkDuration('window size', size);
  checkDuration('window slide', slide);
  if (slide > size) throw new RangeError(`window slide (${slide} ms) must not exceed its size (${size} ms)`);
  return { kind: 'sliding', size, slide, offset: normaliseOffset(offset, slide) };
}

export function session(gap: number): SessionWindows {
  checkDuration('session gap', gap);
  return { kind: 'session', gap };
}

function normaliseOffset(offset: number, period: number): number {
  if (!Number.isInteger(offset)) throw new RangeError(`window offset must be a whole number of ms, got ${offset}`);
  return ((offset % period) + period) % period;
}

/** Start of the window of length `period` (aligned at `offset`) that contains `ts`. */
export function windowStart(ts: number, offset: number, period: number): number {
  const r = (ts - offset) % period;
  return ts - (r < 0 ? r + period : r);
}

/**
 * Writes the starts of every window containing `ts` into `out` (reused by the caller, so no allocation)
 * and returns how many. Latest start first, as Flink's SlidingEventTimeWindows.
 */
export function assignFixed(w: FixedWindows, ts: number, out: number[]): number {
  let n = 0;
  const last = windowStart(ts, w.offset, w.slide);
  for (let start = last; start > ts - w.size; start -= w.slide) out[n++] = start;
  return n;
}
