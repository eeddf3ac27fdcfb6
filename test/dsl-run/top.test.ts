/**
 * `top(n, e)`: a window's n most frequent values with counts and shares (the aggregate, the checker's rules for it,
 * and windows that use it), and `substr`, which the plate-origin analytics rank by.
 */
import { describe, expect, it } from 'vitest';
import { top } from '../../src/core/index.js';
import { builtinFunctions, checkProgram, formatDslError, parseProgram } from '../../src/dsl/index.js';
import { m, runFiles, s, T0 } from './helpers.js';

describe('the top aggregate', () => {
  const t = top(2, (x: string | null) => x);
  const fill = (xs: readonly (string | null)[]) => xs.reduce((acc, x) => t.add(acc, x, 0), t.create());

  it('ranks by count, ties by value, shares of the non-null values', () => {
    // a 3, b 2, c 2, null skipped: 7 values; c loses the tie with b.
    expect(t.result(fill(['c', 'a', 'b', null, 'a', 'c', 'b', 'a']))).toEqual([
      { value: 'a', count: 3, share: 3 / 7 },
      { value: 'b', count: 2, share: 2 / 7 },
    ]);
    expect(t.result(t.create())).toEqual([]);
  });

  it('merges exactly: panes give what one accumulator gives', () => {
    const xs = ['c', 'a', 'b', 'a', 'c', 'c', 'b', 'a', 'c'];
    expect(t.result(t.merge(fill(xs.slice(0, 4)), fill(xs.slice(4))))).toEqual(t.result(fill(xs)));
    expect(t.result(fill(xs))).toEqual([
      { value: 'c', count: 4, share: 4 / 9 },
      { value: 'a', count: 3, share: 3 / 9 },
    ]);
  });

  it('keeps numbers as numbers', () => {
    const n = top(1, (x: number) => x);
    expect(n.result([7, 3, 7].reduce((acc, x) => n.add(acc, x, 0), n.create()))).toEqual([{ value: 7, count: 2, share: 2 / 3 }]);
  });
});

describe('substr', () => {
  const f = builtinFunctions().get('substr');
  if (f === undefined) throw new Error('no substr');
  const call = (...args: unknown[]) => (f.impl as (...a: unknown[]) => unknown)(...args);
  it('counts code points, from 0, to the end without a length', () => {
    expect(call('浙A12345', 0, 1)).toBe('浙');
    expect(call('浙A12345', 0, 2)).toBe('浙A');
    expect(call('浙A12345', 2)).toBe('12345');
    expect(call('浙A', 1, 10)).toBe('A');
    expect(call('浙A', 5)).toBe('');
    expect(call('浙A', -1, 1)).toBeNull();
    expect(call(null, 0, 1)).toBeNull();
  });
});

describe('top in the language', () => {
  const SOURCE = 'source passes\n  event time ts\n  watermark 1m out of order\n\n';
  const errors = (text: string): string[] => {
    const parsed = parseProgram(SOURCE + text, 't.pattern');
    if (!parsed.ok) throw new Error(formatDslError(parsed.error, SOURCE + text));
    return checkProgram(parsed.program, {}).errors.map((e) => `${e.line}:${e.col}: ${e.message}`);
  };

  it('is a window aggregate with a constant count from 1 to 1000', () => {
    expect(errors('stream t = from passes\n  window tumbling 1m\n  select top(3, plate) as p\n')).toEqual([]);
    expect(errors('stream t = from passes\n  window tumbling 1m\n  select top(0, plate) as p\n')).toEqual([
      "7:14: the first argument of 'top' must be a whole number from 1 to 1000",
    ]);
    expect(errors('stream t = from passes\n  window tumbling 1m\n  select top(plate) as p\n')).toEqual([
      "7:10: 'top' takes 2 arguments (how many, and the value to rank), got 1",
    ]);
    expect(errors('stream t = from passes\n  where top(3, plate) != "x"\n')).toEqual([expect.stringContaining("the aggregate 'top' is not allowed")]);
    expect(errors('pattern p from passes\n  define a as count(a) > 1\n  match a+\n  emit { t: top(3, a.plate) }\n')).toEqual([
      expect.stringContaining("'top' ranks a window's values"),
    ]);
  });

  it('ranks a window per key; a backlog within the lateness re-ranks it', async () => {
    const text =
      SOURCE +
      'stream t = from passes\n  key by checkpoint\n  window tumbling 1m\n  allowed lateness 10m\n' +
      '  select checkpoint, top(2, plate) as vehicles, count() as passes\n';
    const rec = (plate: string, ts: number) => ({ plate, checkpoint: 'CP0001', speed: 50, ts: T0 + ts });
    const input = [rec('A', s(1)), rec('B', s(2)), rec('A', s(3)), rec('C', s(4)), rec('D', m(3)), rec('C', s(5)), rec('C', s(6))];
    const r = await runFiles({ patterns: { 'f.pattern': text }, input, streams: ['t'], match: [] });
    // D at 3 min moves the watermark past the first minute (1 min of disorder): A 2, B 1, C 1 of 4; B wins the tie.
    // The two late Cs (within the lateness) re-fire it: C 3, A 2 of 6.
    expect(r.streams['t']?.slice(0, 3)).toEqual([
      {
        checkpoint: 'CP0001',
        vehicles: [
          { value: 'A', count: 2, share: 0.5 },
          { value: 'B', count: 1, share: 0.25 },
        ],
        passes: 4,
        window_start: T0,
        window_end: T0 + m(1),
      },
      {
        checkpoint: 'CP0001',
        vehicles: [
          { value: 'A', count: 2, share: 2 / 5 },
          { value: 'C', count: 2, share: 2 / 5 },
        ],
        passes: 5,
        window_start: T0,
        window_end: T0 + m(1),
        update: true,
      },
      {
        checkpoint: 'CP0001',
        vehicles: [
          { value: 'C', count: 3, share: 3 / 6 },
          { value: 'A', count: 2, share: 2 / 6 },
        ],
        passes: 6,
        window_start: T0,
        window_end: T0 + m(1),
        update: true,
      },
    ]);
  });
});
