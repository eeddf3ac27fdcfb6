/**
 * The enrich plan: lookups only for records that pass `where`, results put on copies in the stream's order, any
 * record shape (the copy is compiled per shape), several enriching streams and fields, and the keys first_seen
 * builds from its arguments (the same store key whether the arguments are strings, numbers, nulls or objects).
 */
import { describe, expect, it } from 'vitest';
import { firstSeenLookup } from '../../src/app/index.js';
import { MemoryFirstSeenStore } from '../../src/io/first-seen/memory-store.js';
import { m, runFiles, T0 } from './helpers.js';

const SOURCE = 'source passes\n  event time ts\n  watermark 0s out of order\n\n';

describe('enrich', () => {
  it('looks up only records that pass where, and copies every shape of record with its fields in order', async () => {
    const text = `${SOURCE}stream seen = from passes\n  where speed > 10\n  enrich is_new = first_seen(plate)\n  enrich again = first_seen(plate, checkpoint)\n`;
    const input = [
      { id: 'b', plate: 'P1', checkpoint: 'CP0001', speed: 5, ts: T0 + m(0) }, // fails where: never looked up
      { id: 'a', plate: 'P1', checkpoint: 'CP0001', speed: 50, ts: T0 + m(1) },
      { plate: 'P1', id: 'c', speed: 60, checkpoint: 'CP0002', ts: T0 + m(3), extra: { x: 1 } }, // another shape
      { id: 'd', plate: 'P2', checkpoint: 'CP0001', speed: 70, ts: T0 + m(4), is_new: 'from the input' },
      { id: 'e', plate: 'P2', checkpoint: 'CP0001', speed: 70, ts: T0 + m(5) },
      { id: 'f', plate: 'P3', checkpoint: 'CP0001', speed: 70, ts: T0 + m(6), ['__proto__']: { polluted: true } },
    ];
    const r = await runFiles({
      patterns: { 'f.pattern': text },
      input: input.map((x) => JSON.parse(JSON.stringify(x)) as unknown),
      streams: ['seen'],
      match: [],
      schema: false,
    });
    const seen = r.streams['seen'] ?? [];
    expect(seen.map((x) => [x['id'], x['is_new'], x['again']])).toEqual([
      ['a', true, true],
      ['c', false, true],
      ['d', true, true],
      ['e', false, false],
      ['f', true, true],
    ]);
    // Fields keep the record's order, the enriched ones last (an input field of the same name is overwritten in place).
    expect(Object.keys(seen[1] ?? {})).toEqual(['plate', 'id', 'speed', 'checkpoint', 'ts', 'extra', 'is_new', 'again']);
    expect(seen[1]?.['extra']).toEqual({ x: 1 });
    expect(Object.keys(seen[2] ?? {})).toEqual(['id', 'plate', 'checkpoint', 'speed', 'ts', 'is_new', 'again']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('runs the lookups of several enriching streams on the same batch, each stream with its own where', async () => {
    const text = `${SOURCE}stream fast = from passes\n  where speed > 50\n  enrich first_fast = first_seen(plate)\n\nstream slow = from passes\n  where speed <= 50\n  enrich first_slow = first_seen(plate, 'slow')\n`;
    const rec = (id: string, plate: string, speed: number, ts: number) => ({ id, plate, checkpoint: 'CP0001', speed, ts: T0 + ts });
    const r = await runFiles({
      patterns: { 'f.pattern': text },
      input: [rec('a', 'P1', 60, m(1)), rec('b', 'P1', 40, m(2)), rec('c', 'P1', 70, m(3)), rec('d', 'P1', 30, m(4))],
      streams: ['fast', 'slow'],
      match: [],
    });
    expect(r.streams['fast']?.map((x) => [x['id'], x['first_fast']])).toEqual([
      ['a', true],
      ['c', false],
    ]);
    expect(r.streams['slow']?.map((x) => [x['id'], x['first_slow']])).toEqual([
      ['b', true],
      ['d', false],
    ]);
  });
});

describe('first_seen keys', () => {
  it('joins plain arguments with U+001F (null as U+0000) and keys objects by canonical JSON, whatever the batch holds', async () => {
    const store = new MemoryFirstSeenStore();
    const lookup = firstSeenLookup(store);
    const records = [{ id: 'r1' }, { id: 'r2' }, { id: 'r3' }, { id: 'r4' }];
    const ts = [1, 2, 3, 4];
    // A batch of plain values: keys go to the store as parts.
    expect(
      Array.from(
        await lookup.lookup({
          args: [
            ['京A1', '京A1', null, 7],
            ['blue', 'yellow', 'x', true],
          ],
          timestamps: ts,
          records,
        }),
      ),
    ).toEqual([true, true, true, true]);
    // A batch with an object: every key goes whole; the plain ones are the same keys as before.
    const answers = await lookup.lookup({
      args: [
        ['京A1', { b: 1, a: 2 }, null, 7],
        ['blue', 'z', 'x', true],
      ],
      timestamps: [0, 5, 0, 0],
      records,
    });
    expect(Array.from(answers)).toEqual([true, true, true, true]);
    expect(await store.earliest(['京A1\u001fblue', '京A1\u001fyellow', '\u0000\u001fx', '7\u001ftrue', '[{"a":2,"b":1},"z"]'])).toEqual([
      { timestamp: 0, id: 'r1' },
      { timestamp: 2, id: 'r2' },
      { timestamp: 0, id: 'r3' },
      { timestamp: 0, id: 'r4' },
      { timestamp: 5, id: 'r2' },
    ]);
    expect(store.size).toBe(5);
  });
});
