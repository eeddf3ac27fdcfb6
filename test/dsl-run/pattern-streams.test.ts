/**
 * Pattern matches as a stream (`stream x = from <pattern>`) and `from a union b`, run in embedded mode with exact
 * outputs, and a job over them restored from a snapshot taken mid-run (operators found again by their uids).
 */

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProgram } from '../../src/app/index.js';
import { ArraySource, CollectSink, ManualClock, type ParseContext, Task } from '../../src/core/index.js';
import { buildJob } from '../../src/dsl/compile/job.js';
import type { Alert } from '../../src/dsl/rules/alert.js';
import { TRAFFIC_RECORD_SCHEMA } from '../../src/traffic/index.js';
import { m, registry, runFiles, s, T0, tempDir } from './helpers.js';

const SOURCE = 'source passes\n  event time ts\n  watermark 0s out of order\n\n';

// A plate's next sighting at another checkpoint, and the seconds between the two.
const HOP =
  'pattern hop\n  from passes\n  key by plate\n  define\n    b as checkpoint != a.checkpoint\n  match a next b\n' +
  '  emit { plate: a.plate, from: a.checkpoint, to: b.checkpoint, secs: seconds(b.ts - a.ts) }\n\n';

const rec = (plate: string, cp: string, ts: number, speed = 50) => ({ plate, checkpoint: cp, speed, ts: T0 + ts });

// A: CP0001 @0s -> CP0002 @30s -> CP0003 @70s; B: CP0001 @10s -> CP0002 @100s; C seen once.
const INPUT = [
  rec('A', 'CP0001', s(0)),
  rec('B', 'CP0001', s(10)),
  rec('A', 'CP0002', s(30)),
  rec('C', 'CP0004', s(40)),
  rec('A', 'CP0003', s(70)),
  rec('B', 'CP0002', s(100)),
  rec('C', 'CP0004', m(3)),
];

describe('a pattern read as a stream', () => {
  it('gives one record per match, its emit payload, filtered, windowed and read by another pattern at the match time', async () => {
    const text =
      SOURCE +
      HOP +
      'stream slow_hops = from hop where secs > 60\n\n' +
      'stream hops_1m = from hop\n  key by to\n  window tumbling 1m\n  select to, count() as hops, avg(secs) as avg_secs\n\n' +
      'pattern slow\n  from slow_hops\n  match h\n  emit { plate: h.plate, secs: h.secs }\n';
    const r = await runFiles({
      patterns: { 'f.pattern': text },
      rules: { 'slow.yaml': 'id: slow\npattern: slow\nseverity: info\n' },
      input: INPUT,
      streams: ['slow_hops', 'hops_1m'],
    });
    expect(r.streams['slow_hops']).toEqual([{ plate: 'B', from: 'CP0001', to: 'CP0002', secs: 90 }]);
    expect(r.streams['hops_1m']).toEqual([
      { to: 'CP0002', hops: 1, avg_secs: 30, window_start: T0, window_end: T0 + m(1) },
      { to: 'CP0003', hops: 1, avg_secs: 40, window_start: T0 + m(1), window_end: T0 + m(2) },
      { to: 'CP0002', hops: 1, avg_secs: 90, window_start: T0 + m(1), window_end: T0 + m(2) },
    ]);
    // The event time of a match record is the match's last event: B at CP0002, 100 s.
    expect(r.outputs.map((a) => [a['rule'], a['event_time'], a['payload']])).toEqual([['slow', T0 + s(100), { plate: 'B', secs: 90 }]]);
    expect(r.summary.late).toBe(0);
  });

  it("a pattern may read another pattern directly; a pattern no rule names runs because a rule's pattern reads it", async () => {
    const text = SOURCE + HOP + 'pattern long\n  from hop\n  define\n    h as secs >= 40\n  match h\n  emit { plate: h.plate, secs: h.secs }\n';
    const r = await runFiles({ patterns: { 'f.pattern': text }, rules: { 'long.yaml': 'id: long\npattern: long\nseverity: info\n' }, input: INPUT });
    expect(r.outputs.map((a) => [a['event_time'], a['payload']])).toEqual([
      [T0 + s(70), { plate: 'A', secs: 40 }],
      [T0 + s(100), { plate: 'B', secs: 90 }],
    ]);
  });

  it('`from a union b` interleaves records of different producers; null fields are skipped by the aggregates', async () => {
    const text =
      SOURCE +
      HOP +
      'stream spot = from passes\n  select checkpoint as cp, speed as spot_kmh, null as hop_secs\n\n' +
      'stream hop_times = from hop\n  select to as cp, null as spot_kmh, secs as hop_secs\n\n' +
      'stream per_cp = from spot union hop_times\n  key by cp\n  window tumbling 2m\n' +
      '  select cp, count() as n, avg(spot_kmh) as spot, count(hop_secs) as hops, max(hop_secs) as longest\n';
    const r = await runFiles({ patterns: { 'f.pattern': text }, input: INPUT, streams: ['per_cp'], match: [] });
    expect(r.streams['per_cp']).toEqual([
      { cp: 'CP0001', n: 2, spot: 50, hops: 0, longest: null, window_start: T0, window_end: T0 + m(2) },
      { cp: 'CP0002', n: 4, spot: 50, hops: 2, longest: 90, window_start: T0, window_end: T0 + m(2) },
      { cp: 'CP0004', n: 1, spot: 50, hops: 0, longest: null, window_start: T0, window_end: T0 + m(2) },
      { cp: 'CP0003', n: 2, spot: 50, hops: 1, longest: 40, window_start: T0, window_end: T0 + m(2) },
      { cp: 'CP0004', n: 1, spot: 50, hops: 0, longest: null, window_start: T0 + m(2), window_end: T0 + m(4) },
    ]);
    expect(r.summary.late).toBe(0);
  });
});

describe('a job with a pattern read as a stream', () => {
  const text =
    SOURCE +
    HOP +
    'stream spot = from passes\n  select checkpoint as cp, speed as spot_kmh, null as hop_secs\n\n' +
    'stream hop_times = from hop\n  select to as cp, null as spot_kmh, secs as hop_secs\n\n' +
    'stream per_cp = from spot union hop_times\n  key by cp\n  window tumbling 1m\n  select cp, count() as n, max(hop_secs) as longest\n\n' +
    'pattern busy\n  from per_cp\n  key by cp\n  define\n    w as n >= 2\n  match w\n  emit { cp: w.cp, n: w.n, longest: w.longest }\n\n' +
    'pattern unused\n  from hop\n  match x\n';
  const dir = tempDir({ 'f.pattern': text, 'busy.yaml': 'id: busy\npattern: busy\nseverity: info\n' });
  const loaded = loadProgram({
    patternFiles: [join(dir, 'f.pattern')],
    ruleFiles: [join(dir, 'busy.yaml')],
    registry,
    schema: TRAFFIC_RECORD_SCHEMA,
    cwd: dir,
  });
  const lines = [...INPUT, rec('D', 'CP0002', m(1) + s(5)), rec('D', 'CP0003', m(1) + s(50)), rec('E', 'CP0003', m(2) + s(5))]
    .sort((a, b) => a.ts - b.ts)
    .map((r) => JSON.stringify(r));
  const parse = (line: string, ctx: ParseContext<Record<string, unknown>>): void => ctx.record(JSON.parse(line) as Record<string, unknown>);
  const job = () => {
    const alerts = new CollectSink<Alert>();
    const graph = buildJob({
      program: loaded.program,
      rules: loaded.rules,
      source: new ArraySource('input', [lines], 2),
      parse,
      outputs: { alerts },
      clock: new ManualClock(T0 + m(60)),
    });
    return { task: new Task(graph, { clock: new ManualClock(T0 + m(60)) }), alerts };
  };
  const payloads = (sink: CollectSink<Alert>): unknown[] => sink.values.map((a) => [a.event_time, a.payload]);

  it('builds the pattern once, under a uid from its name, and not the patterns nothing reads', async () => {
    const { task } = job();
    const uids = Object.keys(task.snapshot().operators);
    expect(uids).toContain('pattern:hop:cep');
    expect(uids).toContain('stream:per_cp:window');
    expect(uids.filter((u) => u.endsWith(':cep')).sort()).toEqual(['pattern:hop:cep', 'rule:busy:cep']);
  });

  it('restores from a snapshot taken mid-run and gives the alerts of one uninterrupted run', async () => {
    const whole = job();
    await whole.task.run();
    expect(payloads(whole.alerts)).toEqual([
      [T0 + m(1) - 1, { cp: 'CP0001', n: 2, longest: null }],
      [T0 + m(1) - 1, { cp: 'CP0002', n: 2, longest: 30 }],
      [T0 + m(2) - 1, { cp: 'CP0002', n: 3, longest: 90 }],
      [T0 + m(2) - 1, { cp: 'CP0003', n: 4, longest: 45 }],
    ]);
    for (let steps = 1; steps <= 4; steps++) {
      const first = job();
      for (let i = 0; i < steps; i++) await first.task.step();
      const checkpoint = JSON.parse(JSON.stringify(first.task.snapshot())) as ReturnType<Task['snapshot']>;
      const second = job();
      await second.task.restore(checkpoint);
      await second.task.run();
      expect([...payloads(first.alerts), ...payloads(second.alerts)]).toEqual(payloads(whole.alerts));
    }
  });
});
