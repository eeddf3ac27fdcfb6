import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../cli/helpers.js';

const REPO = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'vigil-registry-'));
const shipped = JSON.parse(readFileSync(join(REPO, 'fixtures', 'checkpoints.json'), 'utf8')) as Array<Record<string, unknown>>;
const REQUIRED = ['id', 'name', 'lat', 'lon', 'segment', 'direction', 'kind'];
const write = (name: string, value: unknown): string => {
  const p = join(dir, name);
  writeFileSync(p, typeof value === 'string' ? value : JSON.stringify(value));
  return p;
};
/** The report's lines: from the registry's heading to the lint notes. */
const report = (err: string): string => {
  const start = err.indexOf('the registry lacks');
  if (start < 0) return '';
  const text = err.slice(err.lastIndexOf('\n', start) + 1);
  // The report is its header and the indented lines under it; whatever the command prints next is not.
  const lines = text.split('\n');
  const end = lines.findIndex((l, i) => i > 0 && !l.startsWith('  '));
  return (end < 0 ? lines : lines.slice(0, end))
    .filter((l) => (l.startsWith('  ') && !/^\s+enrich|^\s+\^/.test(l)) || l.includes('the registry lacks'))
    .join('\n');
};

describe('a registry without optional attributes (DESIGN.md fields only)', () => {
  const bare = write(
    'bare.json',
    shipped.map((cp) => Object.fromEntries(REQUIRED.map((k) => [k, cp[k]]))),
  );

  it('vigil check names each rule, the attribute, where it is read and what the rule does without it', async () => {
    const io = captureIo(REPO);
    expect(await main(['check', '--checkpoints', bare], io)).toBe(0);
    // The rules' gaps; the analytics streams' come after them (below).
    const rules = report(io.err).split('\n  stream ')[0] as string;
    const validation = report(io.err)
      .split('\n')
      .filter((l) => l.startsWith('  record validation'));
    expect([rules, ...validation].join('\n')).toBe(
      [
        `${bare}: the registry lacks attributes the rules and streams read:`,
        // The congestion rule learns free flow from the data and takes camera order from geometry
        // (next_on_segment(cp)): without a speed limit only the relative columns are null, and it still alerts.
        '  rule sudden-congestion reads `speed_limit` (patterns/analytics.pattern:40:18, patterns/analytics.pattern:49:38, patterns/analytics.pattern:52:23); missing on all 201 checkpoints',
        '    without it:',
        '      stream segment_travel_speeds: `travel_rel` is null',
        '      stream segment_camera_speeds: `camera_rel` is null',
        '      stream segment_speed_1m: `rel_speed` is null',
        '      stream segment_speed_1m: `camera_rel` is null',
        '      stream segment_speed_1m: `travel_rel` is null',
        '    the rule still runs on what the rest of its inputs give',
        "  record validation reads `lanes`; missing on 201 checkpoints: a record's lane is checked against 1..16 instead of the camera's lane count",
      ].join('\n'),
    );
  });

  it('vigil run says the same before it starts, and still runs', async () => {
    const io = captureIo(REPO);
    const out = join(dir, 'bare-alerts.ndjson');
    expect(await main(['run', '--input', 'fixtures/sample-traffic.ndjson', '--checkpoints', bare, '--out', out], io)).toBe(0);
    expect(io.err.indexOf('rule sudden-congestion reads `speed_limit`')).toBeGreaterThanOrEqual(0);
    expect(io.err.indexOf('rule sudden-congestion reads `speed_limit`')).toBeLessThan(io.err.indexOf('vigil run: 1,914 records'));
    expect(io.err).not.toContain('IS DEAD');
  });

  it('vigil check names the analytics streams a missing district empties, and no stream it leaves whole', async () => {
    const noDistrict = write(
      'no-district.json',
      shipped.map((cp) => Object.fromEntries(Object.entries(cp).filter(([k]) => k !== 'district'))),
    );
    const io = captureIo(REPO);
    expect(await main(['check', '--checkpoints', noDistrict], io)).toBe(0);
    const text = report(io.err);
    expect(text).toContain(`${noDistrict}: the registry lacks attributes the rules and streams read:`);
    expect(text).toMatch(
      / {2}stream area_flow_1m reads `district` \(patterns\/analytics\.pattern:\d+:\d+, patterns\/analytics\.pattern:\d+:\d+\); missing on all 201 checkpoints\n {4}without it:\n {6}stream area_passes gets no records\n {6}stream area_flow_1m gets no records/,
    );
    expect(text).toContain('      stream area_congestion_5m gets no records');
    // The segment and city congestion streams read the district too (a column of their shared input), but lose nothing.
    expect(text.match(/^ {2}stream \S+/gm)).toEqual(['  stream area_flow_1m', '  stream area_congestion_5m']);
    expect(text).not.toContain('rule ');
  });

  it('vigil run reports a stream only when --stream asks for it', async () => {
    const noDistrict = join(dir, 'no-district.json');
    const out = join(dir, 'area.ndjson');
    const asked = captureIo(REPO);
    expect(await main(['run', '--input', 'fixtures/sample-traffic.ndjson', '--checkpoints', noDistrict, '--stream', 'area_flow_1m', '--out', out], asked)).toBe(
      0,
    );
    expect(asked.err).toContain('stream area_flow_1m reads `district`');
    const plain = captureIo(REPO);
    expect(await main(['run', '--input', 'fixtures/sample-traffic.ndjson', '--checkpoints', noDistrict, '--out', out], plain)).toBe(0);
    expect(plain.err).not.toContain('the registry lacks');
  });

  it('says nothing for the shipped registry, which has every attribute', async () => {
    const io = captureIo(REPO);
    expect(await main(['check'], io)).toBe(0);
    expect(io.err).not.toContain('the registry lacks');
  });

  it('names the checkpoints when only some lack an attribute', async () => {
    const some = write(
      'some.json',
      shipped.map((cp, i) => (i < 2 ? Object.fromEntries(Object.entries(cp).filter(([k]) => k !== 'speed_limit')) : cp)),
    );
    const io = captureIo(REPO);
    expect(await main(['check', '--checkpoints', some], io)).toBe(0);
    expect(io.err).toContain(
      'rule sudden-congestion reads `speed_limit` (patterns/analytics.pattern:40:18, patterns/analytics.pattern:49:38, patterns/analytics.pattern:52:23); missing on 2 of 201 checkpoints (CP0001, CP0002)',
    );
    expect(io.err).toContain('    without it (for records of those checkpoints):');
    expect(io.err).toContain('      stream segment_speed_1m: `rel_speed` is null');
    expect(io.err).not.toContain('can never alert');
  });
});

describe('the report follows what the rules actually call', () => {
  const registry = write('tiny.json', [
    { id: 'A', name: 'a', lat: 30, lon: 120, segment: 'S', direction: 'in', kind: 'entry', area: 'north' },
    { id: 'B', name: 'b', lat: 30.1, lon: 120, segment: 'S', direction: 'in', kind: 'inner' },
  ]);
  const patterns = write(
    'p.pattern',
    `source passes
  event time ts
  watermark 1m out of order

stream bus = from passes
  where checkpoint_attr(checkpoint, "bus_lane") == true
  select checkpoint, speed, checkpoint_attr(checkpoint, "area") as area

pattern slow_bus
  from bus
  key by checkpoint
  define
    s as speed < 10
    z as area == "north"
  match s next z?
  emit { checkpoint: s.checkpoint, area: s.area, zone: checkpoint_attr(s.checkpoint, "zone" ) }

pattern dyn
  from passes
  key by checkpoint
  define x as checkpoint_attr(checkpoint, plate) == "x"
  match x
`,
  );
  const rules = write('r.yaml', 'id: slow-bus\npattern: slow_bus\n');
  const rules2 = write('r2.yaml', 'id: dyn\npattern: dyn\n');

  it('an attribute read in a where empties the stream and kills the rule; one in a select nulls a column', async () => {
    const io = captureIo(dir);
    expect(await main(['check', '--checkpoints', registry, patterns, rules, rules2], io)).toBe(0);
    expect(report(io.err)).toBe(
      [
        'tiny.json: the registry lacks attributes the rules read:',
        '  rule slow-bus reads `bus_lane` (p.pattern:6:9); missing on all 2 checkpoints',
        '    without it:',
        '      stream bus gets no records',
        '      pattern slow_bus never matches',
        '    RULE slow-bus IS DEAD without `bus_lane`: it can never alert',
        '  rule slow-bus reads `area` (p.pattern:7:29); missing on 1 of 2 checkpoints (B)',
        '    without it (for records of those checkpoints):',
        '      stream bus: `area` is null',
        '      pattern slow_bus: optional `z` never matches',
        '      pattern slow_bus emits `area`: null',
        '    the rule still runs on what the rest of its inputs give',
        '  rule slow-bus reads `zone` (p.pattern:16:56); missing on all 2 checkpoints',
        '    without it:',
        '      pattern slow_bus emits `zone`: null',
        '    the rule still runs on what the rest of its inputs give',
        '  rule dyn reads a registry attribute named at run time (p.pattern:21:15): not checked',
        "  record validation reads `lanes`; missing on 2 checkpoints: a record's lane is checked against 1..16 instead of the camera's lane count",
      ].join('\n'),
    );
  });
});
