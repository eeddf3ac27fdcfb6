/**
 * A windowed select's plain (key) items are evaluated on the window's first record by event time, whether the
 * window keeps that record (an item mixes an aggregate with a field) or only the plain items' values on it.
 */
import { describe, expect, it } from 'vitest';
import { m, runFiles, s, T0 } from './helpers.js';

const SOURCE = 'source passes\n  event time ts\n  watermark 1m out of order\n\n';
const rec = (plate: string, cp: string, ts: number, speed: number) => ({ plate, checkpoint: cp, speed, ts: T0 + ts });
// Out of order within the bound: the earliest record of the first minute arrives second.
const INPUT = [rec('B', 'CP0001', s(20), 40), rec('A', 'CP0001', s(5), 60), rec('C', 'CP0001', s(40), 50), rec('D', 'CP0002', m(5), 10)];

describe('windowed select items', () => {
  it('plain items, tumbling and sliding (panes)', async () => {
    const text =
      SOURCE +
      'stream t = from passes\n  key by checkpoint\n  window tumbling 1m\n  select checkpoint, count() as n, first(plate) as p\n\n' +
      'stream sl = from passes\n  key by checkpoint\n  window sliding 2m every 1m\n  select checkpoint, count() as n, max(speed) as top, first(plate) as p\n';
    const r = await runFiles({ patterns: { 'f.pattern': text }, input: INPUT, streams: ['t', 'sl'], match: [] });
    expect(r.streams['t']?.[0]).toEqual({ checkpoint: 'CP0001', n: 3, p: 'A', window_start: T0, window_end: T0 + m(1) });
    expect(r.streams['sl']?.slice(0, 2)).toEqual([
      { checkpoint: 'CP0001', n: 3, top: 60, p: 'A', window_start: T0 - m(1), window_end: T0 + m(1) },
      { checkpoint: 'CP0001', n: 3, top: 60, p: 'A', window_start: T0, window_end: T0 + m(2) },
    ]);
  });

  it('an item mixing an aggregate with a key field', async () => {
    const text =
      SOURCE + 'stream t = from passes\n  key by checkpoint\n  window tumbling 1m\n  select if(count() > 2, checkpoint, "few") as busy, max(speed) as top\n';
    const r = await runFiles({ patterns: { 'f.pattern': text }, input: INPUT, streams: ['t'], match: [] });
    expect(r.streams['t']).toEqual([
      { busy: 'CP0001', top: 60, window_start: T0, window_end: T0 + m(1) },
      { busy: 'few', top: 10, window_start: T0 + m(5), window_end: T0 + m(6) },
    ]);
  });
});
