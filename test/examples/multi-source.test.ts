/**
 * One program over two sources: the shipped traffic rules on `passes` and the bus example's stalled-bus rule on
 * `bus_pings`, run as one job (`vigil run --input passes=... --input bus_pings=...`, `vigil test` with input by
 * source). Each source keeps its own parser, validation, event time and watermark bound.
 */
import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultPaths, packageRoot } from '../../src/app/index.js';
import { copyShippedPatterns, tempDir, vigil } from '../cli/helpers.js';

const BUS = join(packageRoot, 'examples', 'bus');
const SAMPLE = join(packageRoot, 'fixtures', 'sample-traffic.ndjson');
const TRUTH = join(packageRoot, 'fixtures', 'sample-truth.json');

/** A folder with the shipped patterns (and the table files they read) and rules plus the bus example's. */
function city(): string {
  const dir = copyShippedPatterns();
  for (const f of readdirSync(defaultPaths.rules)) copyFileSync(join(defaultPaths.rules, f), join(dir, f));
  for (const f of ['bus.pattern', 'stalled-bus.yaml']) copyFileSync(join(BUS, f), join(dir, f));
  return dir;
}

type Alert = Record<string, unknown>;
const parse = (out: string): Alert[] =>
  out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const { detected_at: _ignored, ...rest } = JSON.parse(l) as Alert;
      return rest;
    });
const byId = (a: Alert, b: Alert): number => String(a['id']).localeCompare(String(b['id']));

describe('a job over two sources', () => {
  it('gives the alerts each source gives alone, and reads every record of both', async () => {
    const dir = city();
    const both = await vigil([
      'run',
      '--patterns',
      dir,
      '--rules',
      dir,
      '--known-vehicles',
      TRUTH,
      '--input',
      `passes=${SAMPLE}`,
      '--input',
      `bus_pings=${join(BUS, 'pings.ndjson')}`,
    ]);
    expect(both.code, both.err).toBe(0);
    expect(both.err).toContain('1,955 records (1 dead letters');
    const traffic = await vigil(['run', '--known-vehicles', TRUTH, '--input', SAMPLE]);
    const bus = await vigil(['run', '--patterns', BUS, '--rules', BUS, '--input', join(BUS, 'pings.ndjson')]);
    const alone = [...parse(traffic.out), ...parse(bus.out)].sort(byId);
    expect(parse(both.out).sort(byId)).toEqual(alone);
    expect(new Set(alone.map((a) => a['rule']))).toEqual(new Set(['cloned-plate', 'first-entry', 'stalled-bus']));
  });

  it('refuses inputs that name no source, and one unnamed input for a job that reads two', async () => {
    const dir = city();
    const unknown = await vigil(['run', '--patterns', dir, '--rules', dir, '--input', `buses=${SAMPLE}`]);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('--input buses=');
    expect(unknown.err).toContain("no source 'buses' (sources: passes, bus_pings)");
    const one = await vigil(['run', '--patterns', dir, '--rules', dir, '--input', SAMPLE]);
    expect(one.code).toBe(1);
    expect(one.err).toMatch(/this job reads the sources 'passes', 'bus_pings' but has one input; give an input per source/);
    const missing = await vigil(['run', '--patterns', dir, '--rules', dir, '--input', `passes=${SAMPLE}`]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("this job reads the source 'bus_pings', but no input is given for it");
  });

  it('vigil test takes input by source', async () => {
    const dir = city();
    const file = join(
      tempDir({
        'two.test.yaml': `patterns: ${JSON.stringify(dir)}
rules: ${JSON.stringify(dir)}
rule: stalled-bus
tests:
  - name: bus pings alert beside a traffic feed; a bad record of either source is dead-lettered with its source
    input:
      passes:
        - { id: r1, plate: 浙A12345, plate_color: blue, checkpoint: CP0001, speed: 60, ts: 2026-03-02T08:30:00Z }
        - { id: r2, plate: 浙A12345, plate_color: blue, checkpoint: NOPE, speed: 60, ts: 2026-03-02T08:30:10Z }
      bus_pings:
        - { vehicle: b1, route: "1", lat: 30.1, lon: 120.1, speed: 30, ts: 2026-03-02T08:30:00Z }
        - { vehicle: b1, route: "1", lat: 30.1, lon: 120.1, speed: 0, ts: 2026-03-02T08:30:15Z }
        - { vehicle: b1, route: "1", lat: 30.1, lon: 120.1, speed: 0, ts: 2026-03-02T08:30:30Z }
        - { vehicle: b1, route: "1", lat: 30.1, lon: 120.1, speed: 0, ts: 2026-03-02T08:30:45Z }
        - { vehicle: b1, route: "1", lat: 30.1, lon: 120.1, speed: 0, ts: 2026-03-02T08:31:00Z }
    expect:
      alerts:
        - { rule: stalled-bus, key: b1, event_time: 2026-03-02T08:31:00Z }
      dead_letters:
        - { reason: "source 'passes': unknown_checkpoint: NOPE", line: 9 }
`,
      }),
      'two.test.yaml',
    );
    const r = await vigil(['test', file]);
    expect(r.err).toContain('1 passed, 0 failed');
    expect(r.code, r.err).toBe(0);
  });

  it('vigil test takes input files by source, and names a source the program lacks', async () => {
    const dir = city();
    const file = join(
      tempDir({
        'files.test.yaml': `patterns: ${JSON.stringify(dir)}
rules: ${JSON.stringify(dir)}
rule: stalled-bus
tests:
  - name: from files
    input_file: { bus_pings: ${JSON.stringify(join(BUS, 'pings.ndjson'))} }
    expect:
      alerts:
        - { rule: stalled-bus, key: bus-1042 }
      dead_letters:
        - { reason: 'bad_type: lat: expected a number, got string "30.2590"' }
  - name: no such source
    input: { buses: [] }
    expect:
      alerts: []
`,
      }),
      'files.test.yaml',
    );
    const r = await vigil(['test', file]);
    expect(r.err).toContain("input: no source 'buses' in the program (sources: bus_pings, passes)");
    expect(r.err).toContain('1 passed, 1 failed');
    expect(r.code).toBe(1);
  });
});
