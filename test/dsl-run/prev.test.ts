/**
 * `prev(x)` in a keyed stream's select (Flink SQL's LAG over an event-time ordered partition): records leave in
 * event-time order at the watermark, ties by record id; a key's first record, and one whose previous record is older
 * than `keep`, read null; a record behind the watermark goes to the late output and is nobody's previous record.
 */
import { describe, expect, it } from 'vitest';
import { m, runFiles, s, T0 } from './helpers.js';

const PROGRAM = `source passes
  event time ts
  watermark 1m out of order

stream steps = from passes
  key by plate
  keep 2m
  late into late_steps
  select plate, checkpoint, ts, prev(checkpoint) as prev_cp, prev(ts) as prev_ts, ts - prev(ts) as gap
`;

const rec = (id: string, plate: string, checkpoint: string, ts: number) => ({ id, plate, checkpoint, ts: T0 + ts });

// In arrival order: a3 before a2 (out of order within the bound), a5 before a4 at one millisecond (ties go by id),
// Z's capture moves the watermark to 4m, so a6 (20 s) is late; a7 comes 6m20s after a5, past keep 2m.
const INPUT = [
  rec('a1', 'A', 'CP1', s(0)),
  rec('a3', 'A', 'CP3', s(30)),
  rec('a2', 'A', 'CP2', s(10)),
  rec('b1', 'B', 'CP1', s(10)),
  rec('a5', 'A', 'CP5', s(40)),
  rec('a4', 'A', 'CP4', s(40)),
  rec('z1', 'Z', 'CP9', m(5)),
  rec('a6', 'A', 'CP6', s(20)),
  rec('a7', 'A', 'CP7', m(7)),
  rec('y1', 'Y', 'CP9', m(20)),
];

/** The ids of late-output records (a record itself, or a wrapper holding it as `record`). */
const lateIds = (late: readonly Record<string, unknown>[]): unknown[] =>
  late.map((l) => l['id'] ?? (l['record'] as Record<string, unknown> | undefined)?.['id']);

const step = (plate: string, checkpoint: string, ts: number, prev: [string, number] | null) => ({
  plate,
  checkpoint,
  ts: T0 + ts,
  prev_cp: prev === null ? null : prev[0],
  prev_ts: prev === null ? null : T0 + prev[1],
  gap: prev === null ? null : ts - prev[1],
});

describe('prev() in a keyed stream', () => {
  it('reads the previous record of the key in event-time order, ties by id, null first and past keep; late records go late', async () => {
    const r = await runFiles({ patterns: { 'f.pattern': PROGRAM }, input: INPUT, streams: ['steps', 'late_steps'], match: [], schema: false });
    expect(r.streams['steps']).toEqual([
      step('A', 'CP1', s(0), null),
      step('A', 'CP2', s(10), ['CP1', s(0)]),
      step('B', 'CP1', s(10), null),
      step('A', 'CP3', s(30), ['CP2', s(10)]),
      step('A', 'CP4', s(40), ['CP3', s(30)]),
      step('A', 'CP5', s(40), ['CP4', s(40)]),
      step('Z', 'CP9', m(5), null),
      step('A', 'CP7', m(7), null),
      step('Y', 'CP9', m(20), null),
    ]);
    expect(lateIds(r.late)).toEqual(['a6']);
    expect(r.streams['late_steps']?.map((l) => l['id'])).toEqual(['a6']);
  });

  it('answers the same whatever the arrival order within the bound', async () => {
    const reversed = [...INPUT.slice(0, 6)].reverse().concat(INPUT.slice(6));
    const a = await runFiles({ patterns: { 'f.pattern': PROGRAM }, input: INPUT, streams: ['steps'], match: [], schema: false });
    const b = await runFiles({ patterns: { 'f.pattern': PROGRAM }, input: reversed, streams: ['steps'], match: [], schema: false });
    expect(b.streams['steps']).toEqual(a.streams['steps']);
  });

  it("with allowed lateness takes a late record among its key's records and emits the next one again as an update", async () => {
    const program = PROGRAM.replace('  late into late_steps', '  allowed lateness 10m\n  late into late_steps');
    // z1 moves the watermark to 4m: a2 (30 s) and w1 (2m) are late but within 10m; y1 moves it to 19m: a0 (5 s) is
    // 19 minutes behind, past the allowed lateness.
    const input = [
      rec('a1', 'A', 'CP1', s(0)),
      rec('a3', 'A', 'CP3', s(60)),
      rec('z1', 'Z', 'CP9', m(5)),
      rec('a2', 'A', 'CP2', s(30)),
      rec('w1', 'W', 'CP4', m(2)),
      rec('y1', 'Y', 'CP9', m(20)),
      rec('a0', 'A', 'CP0', s(5)),
    ];
    const r = await runFiles({ patterns: { 'f.pattern': program }, input, streams: ['steps'], match: [], schema: false });
    expect(r.streams['steps']).toEqual([
      step('A', 'CP1', s(0), null),
      step('A', 'CP3', s(60), ['CP1', s(0)]),
      step('A', 'CP2', s(30), ['CP1', s(0)]),
      { ...step('A', 'CP3', s(60), ['CP2', s(30)]), update: true },
      step('W', 'CP4', m(2), null),
      step('Z', 'CP9', m(5), null),
      step('Y', 'CP9', m(20), null),
    ]);
    expect(lateIds(r.late)).toEqual(['a0']);
  });

  it('keeps no more records for late ones than --cep-kept-budget: a late record before one let go is late', async () => {
    const program = PROGRAM.replace('  late into late_steps', '  allowed lateness 10m\n  late into late_steps');
    // z1 moves the watermark to 4m: a0 (5 s) is late, within 10m, and belongs before a1 (10 s).
    const input = [rec('a1', 'A', 'CP1', s(10)), rec('a3', 'A', 'CP3', s(60)), rec('z1', 'Z', 'CP9', m(5)), rec('a0', 'A', 'CP0', s(5))];
    // With room for one kept record over all keys, a1 is let go when a3 is kept (a3's previous record is still a1):
    // a0 would go before a record no longer kept, so it is late.
    const tight = await runFiles({ patterns: { 'f.pattern': program }, input, streams: ['steps'], match: [], schema: false, maxCepKeptEvents: 1 });
    expect(tight.streams['steps']).toEqual([step('A', 'CP1', s(10), null), step('A', 'CP3', s(60), ['CP1', s(10)]), step('Z', 'CP9', m(5), null)]);
    expect(lateIds(tight.late)).toEqual(['a0']);
    // With the default budget it takes its place, and a1 is emitted again with a0 before it.
    const roomy = await runFiles({ patterns: { 'f.pattern': program }, input, streams: ['steps'], match: [], schema: false });
    expect(roomy.streams['steps']).toEqual([
      step('A', 'CP1', s(10), null),
      step('A', 'CP3', s(60), ['CP1', s(10)]),
      step('A', 'CP0', s(5), null),
      { ...step('A', 'CP1', s(10), ['CP0', s(5)]), update: true },
      // z1 waited for the watermark to pass it (the end of the input); a0 came out as it arrived
      step('Z', 'CP9', m(5), null),
    ]);
    expect(lateIds(roomy.late)).toEqual([]);
  });
});
