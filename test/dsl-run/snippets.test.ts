/**
 * The other DSL.md snippets, each made a complete declaration over a `source` and run in embedded mode on a
 * small input with known outputs: the window alternatives (sliding, session), per-record filter/projection and
 * `select *`, ISO-8601 event times, the lateness rule at its boundary, `define` aggregates, `on timeout emit`,
 * expressions, and `first_seen` on a replay.
 */
import { describe, expect, it } from 'vitest';
import { m, runFiles, s, T0 } from './helpers.js';

const SOURCE = 'source passes\n  event time ts\n  watermark 0s out of order\n\n';
const iso = (ms: number): string => new Date(T0 + ms).toISOString();

describe('window alternatives of the contract example', () => {
  it('`window sliding 5m every 1m`: each record in five windows; event times given as ISO-8601 strings', async () => {
    const r = await runFiles({
      patterns: {
        'f.pattern': `${SOURCE}stream flow_5m = from passes\n  key by checkpoint\n  window sliding 5m every 1m\n  select checkpoint, count() as flow, max(speed) as top\n`,
      },
      input: [
        { plate: 'A', checkpoint: 'CP0001', speed: 50, ts: iso(m(2) + s(30)) },
        { plate: 'B', checkpoint: 'CP0001', speed: 70, ts: iso(m(4) + s(10)) },
      ],
      streams: ['flow_5m'],
      match: [],
    });
    const w = (start: number, flow: number, top: number) => ({ checkpoint: 'CP0001', flow, top, window_start: T0 + m(start), window_end: T0 + m(start + 5) });
    expect(r.streams['flow_5m']).toEqual([w(-2, 1, 50), w(-1, 1, 50), w(0, 2, 70), w(1, 2, 70), w(2, 2, 70), w(3, 1, 70), w(4, 1, 70)]);
  });

  it('`window session gap 10m`: a session ends 10m after its last record', async () => {
    const r = await runFiles({
      patterns: {
        'f.pattern': `${SOURCE}stream visits = from passes\n  key by plate\n  window session gap 10m\n  select plate, count() as n, min(ts) as first_ts\n`,
      },
      input: [
        { plate: 'P1', checkpoint: 'CP0001', speed: 50, ts: T0 },
        { plate: 'P2', checkpoint: 'CP0001', speed: 50, ts: T0 + m(1) },
        { plate: 'P1', checkpoint: 'CP0002', speed: 50, ts: T0 + m(5) },
        { plate: 'P1', checkpoint: 'CP0003', speed: 50, ts: T0 + m(20) },
      ],
      streams: ['visits'],
      match: [],
    });
    expect(r.streams['visits']).toEqual([
      { plate: 'P2', n: 1, first_ts: T0 + m(1), window_start: T0 + m(1), window_end: T0 + m(11) },
      { plate: 'P1', n: 2, first_ts: T0, window_start: T0, window_end: T0 + m(15) },
      { plate: 'P1', n: 1, first_ts: T0 + m(20), window_start: T0 + m(20), window_end: T0 + m(30) },
    ]);
  });

  it('a window takes a record until `window_end - 1 + allowed lateness <= watermark`, then it is late', async () => {
    const text =
      `${SOURCE}stream flow = from passes\n  key by checkpoint\n  window tumbling 1m\n  allowed lateness 30s\n  late into flow_late\n` +
      '  select checkpoint, count() as flow\n';
    const rec = (id: string, ts: number) => ({ id, plate: id, checkpoint: 'CP0001', speed: 1, ts: T0 + ts });
    const r = await runFiles({
      patterns: { 'f.pattern': text },
      // Window [0, 1m): window_end - 1 + lateness = 1m29.999s. After x1 the watermark is 1m29.998s: the window
      // has fired but still takes x2 (a re-firing with update). After x3 it is 1m29.999s: x4 is late (Flink: <=).
      input: [rec('x0', s(10)), rec('x1', m(1) + s(30) - 1), rec('x2', s(20)), rec('x3', m(1) + s(30)), rec('x4', s(30))],
      streams: ['flow', 'flow_late'],
      match: [],
    });
    expect(r.streams['flow']).toEqual([
      { checkpoint: 'CP0001', flow: 1, window_start: T0, window_end: T0 + m(1) },
      { checkpoint: 'CP0001', flow: 2, window_start: T0, window_end: T0 + m(1), update: true },
      { checkpoint: 'CP0001', flow: 2, window_start: T0 + m(1), window_end: T0 + m(2) },
    ]);
    expect(r.streams['flow_late']).toEqual([rec('x4', s(30))]);
    expect(r.late).toEqual([{ operator: 'stream:flow:window', timestamp: T0 + s(30), record: rec('x4', s(30)) }]);
  });
});

describe('a window stream read by a pattern', () => {
  it('its records carry the selected fields plus window_start and window_end; their event time is window_end - 1', async () => {
    const text =
      `${SOURCE}stream flow_1m = from passes\n  key by checkpoint\n  window tumbling 1m\n  select checkpoint, count() as flow\n\n` +
      'pattern busy\n  from flow_1m\n  key by checkpoint\n  define\n    w as flow >= 2\n  match w\n' +
      '  emit { checkpoint: w.checkpoint, flow: w.flow, from: w.window_start, to: w.window_end }\n';
    const rec = (cp: string, ts: number) => ({ plate: 'P', checkpoint: cp, speed: 1, ts: T0 + ts });
    const r = await runFiles({
      patterns: { 'f.pattern': text },
      rules: { 'busy.yaml': 'id: busy\npattern: busy\nseverity: info\n' },
      input: [rec('CP0001', s(5)), rec('CP0002', s(6)), rec('CP0001', s(50)), rec('CP0001', m(1) + s(5)), rec('CP0002', m(2))],
    });
    expect(r.outputs.map((a) => [a['key'], a['event_time'], a['payload']])).toEqual([
      ['CP0001', T0 + m(1) - 1, { checkpoint: 'CP0001', flow: 2, from: T0, to: T0 + m(1) }],
    ]);
    expect(r.summary.late).toBe(0);
  });
});

describe('`stream x = from y where c select ...` and `select *`', () => {
  it('filters and projects per record; `select *` keeps every field and adds items', async () => {
    const r = await runFiles({
      patterns: {
        'f.pattern':
          `${SOURCE}stream fast = from passes\n  where speed > 100\n  select plate, speed, speed - 100 as over\n\n` +
          'stream fast_all = from fast\n  select *, over * 2 as double_over\n\nstream slow = from passes where speed <= 100 select *\n',
      },
      input: [
        { plate: 'A', checkpoint: 'CP0001', speed: 90, ts: T0 },
        { plate: 'B', checkpoint: 'CP0002', speed: 120, ts: T0 + 1 },
      ],
      streams: ['fast', 'fast_all', 'slow'],
      match: [],
    });
    expect(r.streams['fast']).toEqual([{ plate: 'B', speed: 120, over: 20 }]);
    expect(r.streams['fast_all']).toEqual([{ plate: 'B', speed: 120, over: 20, double_over: 40 }]);
    expect(r.streams['slow']).toEqual([{ plate: 'A', checkpoint: 'CP0001', speed: 90, ts: T0 }]);
  });
});

describe('Expressions', () => {
  it('operators, in/between, if, coalesce, built-ins, and comparisons with null are false', async () => {
    const text =
      `${SOURCE}stream e = from passes\n  select plate,\n` +
      '    checkpoint in ["CP0001", "CP0002"] as at_gate,\n' +
      '    speed between 60 and 80 as normal,\n' +
      '    if(speed > 100, "fast", "ok") as verdict,\n' +
      '    coalesce(lane, 0) as lane0,\n' +
      '    lane > 0 as lane_pos, lane <= 0 as lane_nonpos,\n' +
      '    lower(plate) + "-" + upper("x") as label, length(plate) as len,\n' +
      '    contains(plate, "b") as has_b, starts_with(plate, "A") as sw, ends_with(plate, "c") as ew,\n' +
      '    round(speed / 3, 2) as third, floor(speed / 7) as fl, ceil(speed / 7) as ce, abs(0 - speed) as ab,\n' +
      '    sqrt(speed - 56) as root, sqrt(81 - speed) as root_neg,\n' +
      '    min(speed, 70) as lo, max(speed, 70) as hi, speed % 7 as rem,\n' +
      '    minutes(ts - timestamp("2026-03-02T00:00:00Z")) as mins, hours(90m) as h, seconds(1500ms) as secs\n';
    const r = await runFiles({
      patterns: { 'f.pattern': text },
      input: [
        { plate: 'Abc', checkpoint: 'CP0002', speed: 65, lane: null, ts: T0 + m(3) },
        { plate: 'Zz', checkpoint: 'CP0009', speed: 120, lane: 2, ts: T0 + m(6) },
      ],
      streams: ['e'],
      match: [],
    });
    expect(r.streams['e']).toEqual([
      {
        plate: 'Abc',
        at_gate: true,
        normal: true,
        verdict: 'ok',
        lane0: 0,
        lane_pos: false,
        lane_nonpos: false,
        label: 'abc-X',
        len: 3,
        has_b: true,
        sw: true,
        ew: true,
        third: 21.67,
        fl: 9,
        ce: 10,
        ab: 65,
        root: 3,
        root_neg: 4,
        lo: 65,
        hi: 70,
        rem: 2,
        mins: 3,
        h: 1.5,
        secs: 1.5,
      },
      {
        plate: 'Zz',
        at_gate: false,
        normal: false,
        verdict: 'fast',
        lane0: 2,
        lane_pos: true,
        lane_nonpos: false,
        label: 'zz-X',
        len: 2,
        has_b: false,
        sw: false,
        ew: false,
        third: 40,
        fl: 17,
        ce: 18,
        ab: 120,
        root: 8,
        root_neg: null,
        lo: 70,
        hi: 120,
        rem: 1,
        mins: 6,
        h: 1.5,
        secs: 1.5,
      },
    ]);
  });
});

describe('`define` and `match`', () => {
  const text =
    `${SOURCE}pattern accel\n  from passes\n  key by plate\n  define\n` +
    '    start as speed < 50\n' +
    // sum(up.speed) includes the event under test inside `define up`.
    '    up as speed > start.speed and sum(up.speed) <= 210\n' +
    '    stop as speed < start.speed\n' +
    '  match start next up+ consecutive next stop\n  within 10m\n' +
    '  emit { n: count(up), first: first(up.speed), last: last(up.speed), top: max(up.speed), low: min(up.speed),\n' +
    '         total: sum(up.speed), mean: avg(up.speed), sd: stddev(up.speed), stop: stop.speed }\n';
  const rule = 'id: accel\npattern: accel\nseverity: low\n';
  const speeds = (plate: string, list: number[]) => list.map((speed, i) => ({ id: `${plate}${i}`, plate, checkpoint: 'CP0001', speed, ts: T0 + m(i) }));

  it('aggregates over a loop variable; the define of the loop counts the event under test', async () => {
    const r = await runFiles({
      patterns: { 'p.pattern': text },
      rules: { 'accel.yaml': rule },
      // P2: 60 + 70 + 90 = 220 > 210, so 90 cannot be `up`, and 90 is no `stop` either: no match.
      input: [...speeds('P1', [40, 60, 70, 80, 30]), ...speeds('P2', [40, 60, 70, 90, 30])],
    });
    expect(r.outputs.map((a) => [a['key'], a['payload']])).toEqual([
      ['P1', { n: 3, first: 60, last: 80, top: 80, low: 60, total: 210, mean: 70, sd: 10, stop: 30 }],
    ]);
  });

  it('`on timeout emit`: a partial match that expires under `within` becomes a timeout alert with the variables so far', async () => {
    const p =
      `${SOURCE}pattern no_exit\n  from passes\n  key by plate\n  define\n    enter as checkpoint == "CP0001"\n    leave as checkpoint == "CP0002"\n` +
      '  match enter followed by leave\n  within 10m\n  after match skip past last event\n' +
      '  emit { plate: enter.plate, took_s: seconds(leave.ts - enter.ts) }\n  on timeout emit { plate: enter.plate, entered: enter.ts }\n';
    const r = await runFiles({
      patterns: { 'p.pattern': p },
      rules: { 'r.yaml': 'id: no-exit\npattern: no_exit\nseverity: medium\n' },
      input: [
        { id: 'a', plate: 'P1', checkpoint: 'CP0001', speed: 1, ts: T0 },
        { id: 'b', plate: 'P2', checkpoint: 'CP0001', speed: 1, ts: T0 + m(1) },
        { id: 'c', plate: 'P1', checkpoint: 'CP0002', speed: 1, ts: T0 + m(3) },
        { id: 'd', plate: 'P3', checkpoint: 'CP0009', speed: 1, ts: T0 + m(30) },
      ],
    });
    expect(r.outputs.map((a) => [a['key'], a['payload'], a['timeout'] ?? false])).toEqual([
      ['P1', { plate: 'P1', took_s: 180 }, false],
      ['P2', { plate: 'P2', entered: T0 + m(1) }, true],
    ]);
    expect(Object.keys((r.outputs[1] as { evidence: object }).evidence)).toEqual(['enter']);
    // A match's event time is its last event; a timeout's is the first event + within (Flink).
    expect(r.outputs.map((a) => a['event_time'])).toEqual([T0 + m(3), T0 + m(11)]);
  });
});

describe('Lookups: first_seen', () => {
  it('is true exactly for the earliest sighting of a key by event time; replaying the same record gives the same answer', async () => {
    const text = `${SOURCE}stream seen = from passes\n  enrich is_new = first_seen(plate)\n\nstream new_plates = from seen where is_new select plate, ts\n`;
    const rec = (id: string, plate: string, ts: number) => ({ id, plate, checkpoint: 'CP0001', speed: 1, ts: T0 + ts });
    const r = await runFiles({
      patterns: { 'f.pattern': text },
      input: [rec('a', 'P1', m(1)), rec('b', 'P1', m(2)), rec('a', 'P1', m(1)), rec('c', 'P2', m(3))],
      streams: ['seen', 'new_plates'],
      match: [],
    });
    // Lookups run in event-time order as the watermark passes the records: the replayed `a` comes before `b`.
    expect(r.streams['seen']?.map((x) => [x['id'], x['is_new']])).toEqual([
      ['a', true],
      ['a', true],
      ['b', false],
      ['c', true],
    ]);
    expect(r.streams['new_plates']).toEqual([
      { plate: 'P1', ts: T0 + m(1) },
      { plate: 'P1', ts: T0 + m(1) },
      { plate: 'P2', ts: T0 + m(3) },
    ]);
  });
});
