import { describe, expect, it } from 'vitest';
import { describeBadEventTime, MAX_EVENT_TIME, parseEventTime } from '../../src/core/time.js';

describe('parseEventTime: the range where a time plus a duration stays exact', () => {
  it('accepts times up to ±2^52 ms, truncated to whole ms', () => {
    expect(parseEventTime(MAX_EVENT_TIME)).toBe(2 ** 52);
    expect(parseEventTime(-MAX_EVENT_TIME)).toBe(-(2 ** 52));
    expect(parseEventTime(1.9)).toBe(1);
    expect(parseEventTime('9999-12-31T23:59:59Z')).toBe(Date.UTC(9999, 11, 31, 23, 59, 59));
    expect(parseEventTime('1969-07-20T20:17:00Z')).toBe(Date.UTC(1969, 6, 20, 20, 17));
  });

  it.each([1e19, -1e19, 2 ** 52 + 1, Number.MAX_SAFE_INTEGER, Number.MAX_VALUE])('refuses %s with a reason', (raw) => {
    expect(parseEventTime(raw)).toBeNaN();
    expect(describeBadEventTime('ts', raw)).toMatch(/^event time field 'ts' is out of range: /);
  });

  it('still says a non-finite number is not finite', () => {
    expect(parseEventTime(Number.POSITIVE_INFINITY)).toBeNaN();
    expect(describeBadEventTime('ts', Number.NaN)).toBe("event time field 'ts' is not a finite number: NaN");
  });
});
