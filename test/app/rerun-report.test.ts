/** The re-run's pure parts: the city's days, the input put in event-time order, and the live-to-final comparison. */
import { describe, expect, it } from 'vitest';
import { dayOf, dayRange, isDay } from '../../src/app/days.js';
import { diffDay, inEventTimeOrder } from '../../src/app/rerun.js';
import type { Alert } from '../../src/dsl/index.js';

const alert = (id: string, eventTime: number): Alert => ({
  id,
  rule: 'r',
  pattern: 'p',
  severity: 'low',
  key: id,
  event_time: eventTime,
  detected_at: 0,
  payload: null,
  evidence: {},
});

describe('days of the city', () => {
  it('runs from local midnight to local midnight', () => {
    expect(dayRange('2026-03-03', 'Asia/Shanghai')).toEqual({ from: Date.parse('2026-03-02T16:00:00Z'), to: Date.parse('2026-03-03T16:00:00Z') });
    expect(dayRange('2026-03-03', '+05:30')).toEqual({ from: Date.parse('2026-03-02T18:30:00Z'), to: Date.parse('2026-03-03T18:30:00Z') });
    // Berlin moves its clocks forward on 2026-03-29 at 02:00: that day has 23 hours.
    const spring = dayRange('2026-03-29', 'Europe/Berlin');
    expect(spring).toEqual({ from: Date.parse('2026-03-28T23:00:00Z'), to: Date.parse('2026-03-29T22:00:00Z') });
    expect(dayOf(Date.parse('2026-03-02T15:59:59.999Z'), 'Asia/Shanghai')).toBe('2026-03-02');
    expect(dayOf(Date.parse('2026-03-02T16:00:00Z'), 'Asia/Shanghai')).toBe('2026-03-03');
  });

  it('takes only real dates', () => {
    expect(isDay('2026-02-28')).toBe(true);
    expect(isDay('2026-02-29')).toBe(false);
    expect(isDay('2026-3-1')).toBe(false);
    expect(() => dayRange('yesterday', 'UTC')).toThrow(/YYYY-MM-DD/);
  });
});

describe('the re-run', () => {
  it('orders the input by event time, stably, lines without a time first', () => {
    const lines = ['{"id":"a","ts":3000}', '{"id":"b","ts":"1970-01-01T00:00:01Z"}', 'not json', '{"id":"c","ts":1000}', '{"id":"d"}'];
    expect(inEventTimeOrder(lines)).toEqual([
      'not json',
      '{"id":"d"}',
      '{"id":"b","ts":"1970-01-01T00:00:01Z"}',
      '{"id":"c","ts":1000}',
      '{"id":"a","ts":3000}',
    ]);
  });

  it('lists the alerts added and withdrawn by id in event-time order and the checkpoints whose flow changed', () => {
    const live = {
      alerts: [alert('x', 30), alert('w2', 20), alert('w1', 10)],
      flow: new Map([
        ['A', 10],
        ['B', 4],
        ['C', 7],
      ]),
    };
    const final = {
      alerts: [alert('a2', 25), alert('x', 30), alert('a1', 5)],
      flow: new Map([
        ['A', 10],
        ['B', 9],
        ['D', 1],
      ]),
    };
    expect(diffDay(live, final, 'flow_1m')).toEqual({
      alerts: { live: 3, final: 3, added: ['a1', 'a2'], withdrawn: ['w1', 'w2'], unchanged: 1 },
      flow: {
        stream: 'flow_1m',
        liveRecorded: true,
        liveTotal: 21,
        finalTotal: 20,
        corrected: [
          { checkpoint: 'B', live: 4, final: 9 },
          { checkpoint: 'C', live: 7, final: 0 },
          { checkpoint: 'D', live: 0, final: 1 },
        ],
      },
    });
  });

  it('says so when the service recorded no live flow: every checkpoint is a correction from unknown', () => {
    const report = diffDay({ alerts: [], flow: null }, { alerts: [], flow: new Map([['A', 3]]) }, 'flow_1m');
    expect(report.flow).toEqual({
      stream: 'flow_1m',
      liveRecorded: false,
      liveTotal: null,
      finalTotal: 3,
      corrected: [{ checkpoint: 'A', live: null, final: 3 }],
    });
  });
});
