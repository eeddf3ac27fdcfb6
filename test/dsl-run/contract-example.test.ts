/**
 * The big example block of docs/language.md (fixtures/dsl-md-example.pattern, verbatim) compiled and run in
 * embedded mode with its default parameters against the traffic registry (fixtures/checkpoints.json):
 * a window result, a late record (side output and run late output), an enriched record, a match and an alert.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo, fixture, m, ndjson, parseLines, registry, runFiles, s, T0, tempDir } from './helpers.js';

const EXAMPLE = fixture('dsl-md-example.pattern');

const rec = (id: string, plate: string, checkpoint: string, speed: number, ts: number) => ({ id, plate, checkpoint, speed, ts: T0 + ts });

// CP0042 and CP0199 are the two checkpoints of the registry farthest apart (about 24.8 km);
// CP0001 and CP0002 are about 0.7 km apart, under min_km = 2.
const INPUT = [
  rec('r1', 'P1', 'CP0042', 50, s(10)),
  rec('r2', 'unknown', 'CP0042', 40, s(20)), // filtered out of flow_1m, never `a` of cloned_plate
  rec('r3', 'P2', 'CP0001', 70, s(40)),
  rec('r4', 'P2', 'CP0002', 70, m(2)), // 0.7 km: below min_km, no match
  rec('r5', 'P3', 'CP0042', 80, m(3)),
  rec('r6', 'P1', 'CP0199', 60, m(5) + s(10)), // 24.8 km in 5 min: about 297 km/h > 180, a match
  rec('r7', 'P3', 'CP0199', 80, m(13)), // 24.8 km in 10 min: about 149 km/h <= 180, no match
  // Watermark now T0+12m30s-1ms. r8 is behind it and its window [0, 1m) closed at 1m-1ms + 2m lateness:
  // late for both flow_1m and cloned_plate. r9's window [11m, 12m) is still within its allowed lateness,
  // so flow_1m takes it, but it is behind cloned_plate's watermark.
  rec('r8', 'Z9', 'CP0042', 30, s(30)),
  rec('r9', 'Z8', 'CP0001', 30, m(11) + s(30)),
];
const byId = new Map(INPUT.map((r) => [r.id, r]));
const ev = (id: string): Record<string, unknown> => ({ ...(byId.get(id) as object) });

const window = (checkpoint: string, flow: number, avg: number, start: number) => ({
  checkpoint,
  flow,
  avg_speed: avg,
  window_start: T0 + start,
  window_end: T0 + start + m(1),
});

describe('DSL.md contract example, match mode (raw matches, streams, late output)', async () => {
  const r = await runFiles({
    patterns: { 'example.pattern': EXAMPLE },
    input: INPUT,
    streams: ['flow_1m', 'seen', 'flow_late', 'clone_late'],
  });

  it('the two checkpoints are far apart, the others close', () => {
    expect(registry.distanceKm('CP0042', 'CP0199')).toBeCloseTo(24.79, 1);
    expect(registry.distanceKm('CP0001', 'CP0002')).toBeLessThan(2);
  });

  it('cloned_plate matches P1 only; partial matches that never complete time out under `within 1h`', () => {
    expect(r.outputs).toEqual([
      { pattern: 'cloned_plate', match: { a: [ev('r1')], b: [ev('r6')] } },
      { pattern: 'cloned_plate', timeout: { a: [ev('r3')] } },
      { pattern: 'cloned_plate', timeout: { a: [ev('r4')] } },
      { pattern: 'cloned_plate', timeout: { a: [ev('r5')] } },
      { pattern: 'cloned_plate', timeout: { a: [ev('r7')] } },
    ]);
    // Two records are late (r8 for two operators, r9 for one): `late` counts records, lateByOperator refusals.
    expect(r.summary).toMatchObject({ records: 9, deadLetters: 0, late: 2, outputs: 5 });
    expect([...r.summary.lateByOperator.values()].reduce((a, b) => a + b, 0)).toBe(3);
  });

  it('flow_1m: one record per checkpoint and minute, without plate "unknown", r9 taken within the allowed lateness', () => {
    expect(r.streams['flow_1m']).toEqual([
      window('CP0042', 1, 50, 0),
      window('CP0001', 1, 70, 0),
      window('CP0002', 1, 70, m(2)),
      window('CP0042', 1, 80, m(3)),
      window('CP0199', 1, 60, m(5)),
      window('CP0001', 1, 30, m(11)),
      window('CP0199', 1, 80, m(13)),
    ]);
  });

  it('seen: every record enriched with is_new = first_seen(plate)', () => {
    const firstOfPlate = new Set(['r1', 'r2', 'r3', 'r5', 'r8', 'r9']);
    const byId = (a: { id: unknown }, b: { id: unknown }): number => String(a.id).localeCompare(String(b.id));
    const seen = (r.streams['seen'] ?? []) as Array<{ id: string; ts: number }>;
    expect([...seen].sort(byId)).toEqual(INPUT.map((x) => ({ ...x, is_new: firstOfPlate.has(x.id) })).sort(byId));
    // Lookups run as the watermark passes the records, in event-time order; late ones (r8, r9) pass at once.
    const onTime = seen.filter((x) => x.id !== 'r8' && x.id !== 'r9').map((x) => x.ts);
    expect(onTime).toEqual([...onTime].sort((a, b) => a - b));
  });

  it('late records: flow_late gets r8, clone_late r8 and r9, the run late output all three refusals', () => {
    expect(r.streams['flow_late']).toEqual([ev('r8')]);
    expect(r.streams['clone_late']).toEqual([ev('r8'), ev('r9')]);
    expect(r.late).toEqual([
      { operator: 'pattern:cloned_plate:cep', timestamp: T0 + s(30), record: ev('r8') },
      { operator: 'stream:flow_1m:window', timestamp: T0 + s(30), record: ev('r8') },
      { operator: 'pattern:cloned_plate:cep', timestamp: T0 + m(11) + s(30), record: ev('r9') },
    ]);
  });

  // Regression (fixed in 7509656): enrichment used to write `is_new` onto the source's shared record objects.
  it('records of `passes` do not carry the `is_new` field that only `seen` declares', () => {
    expect(r.outputs[0]).toEqual({ pattern: 'cloned_plate', match: { a: [ev('r1')], b: [ev('r6')] } });
  });
});

describe('DSL.md contract example, run mode with a rule (the alert envelope and the emit payload)', async () => {
  const rule = 'id: clone-test\npattern: cloned_plate\nseverity: high\nroutes:\n  - kafka: vigil.alerts\n';
  const run = () => runFiles({ patterns: { 'example.pattern': EXAMPLE }, rules: { 'clone.yaml': rule }, input: INPUT });
  const first = await run();
  const again = await run();

  it('one alert, for P1, with the emit payload computed from the registry distance', () => {
    expect(first.outputs).toHaveLength(1);
    const alert = first.outputs[0] as Record<string, unknown>;
    const km = registry.distanceKm('CP0042', 'CP0199');
    const hours = (m(5) + s(10) - s(10)) / 3_600_000;
    expect(alert).toEqual({
      id: alert['id'],
      rule: 'clone-test',
      pattern: 'cloned_plate',
      severity: 'high',
      key: 'P1',
      event_time: T0 + m(5) + s(10),
      detected_at: T0 + m(60),
      payload: { plate: 'P1', first: 'CP0042', second: 'CP0199', implied_speed_kmh: km / hours },
      evidence: { a: [ev('r1')], b: [ev('r6')] },
    });
    expect((alert['payload'] as { implied_speed_kmh: number }).implied_speed_kmh).toBeGreaterThan(180);
    expect(alert['id']).toMatch(/^[0-9a-f]{32}$/);
  });

  it('a replay of the same input gives the same alert id', () => {
    expect(again.outputs.map((a) => a['id'])).toEqual(first.outputs.map((a) => a['id']));
  });

  it('a rule parameter overrides the default: max_speed_kmh = 140 also catches P3 (about 149 km/h)', async () => {
    const lower = await runFiles({
      patterns: { 'example.pattern': EXAMPLE },
      rules: { 'clone.yaml': `${rule}params:\n  max_speed_kmh: 140\n` },
      input: INPUT,
    });
    expect(lower.outputs.map((a) => [a['key'], (a['payload'] as { second: string }).second])).toEqual([
      ['P1', 'CP0199'],
      ['P3', 'CP0199'],
    ]);
  });
});

describe('DSL.md contract example through `vigil match` in-process', () => {
  it('prints the same matches and timeouts as the embedded run, exit 0', async () => {
    const dir = tempDir({ 'example.pattern': EXAMPLE, 'input.ndjson': ndjson(INPUT) });
    const io = captureIo(dir);
    // --input as an absolute path: a relative one is opened against process.cwd(), not io.cwd (see below).
    const code = await main(['match', '--pattern', 'example.pattern', '--input', join(dir, 'input.ndjson')], io);
    expect(code).toBe(0);
    const direct = await runFiles({ patterns: { 'example.pattern': EXAMPLE }, input: INPUT, schema: false });
    expect(parseLines(io.out)).toEqual(direct.outputs);
    expect(direct.outputs.filter((o) => 'match' in o)).toHaveLength(1);
    // `vigil match` runs the patterns and what they read: flow_1m (and its late record) is not part of it.
    expect(io.err).toMatch(/^vigil match: 9 records \(0 dead letters, 2 late\) -> 5 matches and timeouts in /);
  });
});

// Regressions for CLI defects found by these tests (fixed in 7509656).
describe('vigil match input paths', () => {
  it("a relative --input is resolved against the command's working directory, like --pattern", async () => {
    const dir = tempDir({ 'example.pattern': EXAMPLE, 'input.ndjson': ndjson(INPUT) });
    const io = captureIo(dir);
    expect(await main(['match', '--pattern', 'example.pattern', '--input', 'input.ndjson'], io)).toBe(0);
  });

  // A missing input file is the user's error (exit 1), not an internal error with a stack trace (exit 2).
  it('a missing --input file is a user error (exit 1)', async () => {
    const dir = tempDir({ 'example.pattern': EXAMPLE });
    const io = captureIo(dir);
    expect(await main(['match', '--pattern', 'example.pattern', '--input', join(dir, 'missing.ndjson')], io)).toBe(1);
  });
});

describe('errors found while building the job', () => {
  // JobCompiler.fail throws a DslError (file:line:col): the user's error, exit 1, not an internal error.
  // Here: --stream clone_late when no rule runs cloned_plate.
  it("a DslError from buildJob is the user's error: exit 1, file:line:col and a caret", async () => {
    const dir = tempDir({ 'example.pattern': EXAMPLE, 'input.ndjson': ndjson(INPUT) });
    const io = captureIo(dir);
    const code = await main(['run', '--input', join(dir, 'input.ndjson'), '--patterns', dir, '--rules', dir, '--stream', 'clone_late'], io);
    expect(io.err).toMatch(/^example\.pattern:\d+:\d+: late stream 'clone_late' is produced by pattern 'cloned_plate', which no enabled rule runs\n/);
    expect(code).toBe(1);
  });
});

describe("the fixture is the manual's example block, verbatim", () => {
  it('matches the first code block of docs/language.md', () => {
    const md = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'language.md'), 'utf8');
    const block = /```\n([\s\S]*?)```/.exec(md)?.[1];
    expect(block).toBe(EXAMPLE);
  });
});
