/**
 * Golden test of a field-mapped feed: examples/kakou/kakou-sample.ndjson (fixtures/sample-traffic.ndjson in the
 * kkbh/hphm shape of a checkpoint platform, coded colours and plate types, local times, plate confidences) through
 * every shipped rule with examples/kakou/passes.pattern in place of patterns/passes.pattern gives exactly the
 * alerts the same records give in Vigil's own shape through a source that maps nothing. The conversion back below
 * is written from the tables in examples/kakou/README.md, independently of the source's maps.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/app/index.js';
import { main } from '../../src/cli/main.js';
import { captureIo, copyShippedPatterns, tempDir } from '../cli/helpers.js';

const EXAMPLE = join(packageRoot, 'examples', 'kakou');

const COLORS: Record<string, string> = { '0': 'white', '1': 'yellow', '2': 'blue', '3': 'black', '4': 'green', '5': 'green', '6': 'yellow_green' };
const SIZES: Record<string, string> = { '01': 'large', '02': 'small', '51': 'large', '52': 'small' };
const DIRECTIONS: Record<string, string> = { '1': 'in', '2': 'out' };

/** A kkbh record in Vigil's own shape, fields in the order the source's renaming gives them. */
function own(k: Record<string, unknown>): Record<string, unknown> {
  const gcsj = k['gcsj'] as string;
  return {
    id: k['gcxh'],
    checkpoint: k['kkbh'],
    plate: k['hphm'],
    plate_color: COLORS[k['hpys'] as string] ?? 'unknown',
    vehicle_type: SIZES[k['hpzl'] as string] ?? 'other',
    lane: k['cdh'],
    direction: DIRECTIONS[k['fx'] as string],
    ts: Date.parse(`${gcsj.replace(' ', 'T')}+08:00`),
    speed: k['clsd'],
    plate_confidence: k['hpzxd'],
  };
}

const OWN_SOURCE = `source passes
  event time ts
  watermark 5m out of order
  idle after 5m
  schema traffic { min_plate_confidence: 80 }

stream plates = from passes
  where plate_readable
`;

/** A patterns folder: the shipped files (and the table files they read) with passes.pattern replaced. */
function program(passes: string): string {
  const dir = copyShippedPatterns(tempDir(), ['passes.pattern']);
  writeFileSync(join(dir, 'passes.pattern'), passes);
  return dir;
}

async function alerts(patterns: string, input: string): Promise<{ alerts: Record<string, unknown>[]; err: string }> {
  const io = captureIo(patterns);
  const code = await main(['run', '--patterns', patterns, '--input', input, '--dead-letter', join(patterns, 'dead.ndjson')], io);
  expect(code, io.err).toBe(0);
  const lines = io.out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  // detected_at is processing time: the only field two runs may not share.
  return { alerts: lines.map(({ detected_at: _ignored, ...rest }) => rest), err: io.err };
}

describe('a field-mapped feed (examples/kakou)', () => {
  const feed = readFileSync(join(EXAMPLE, 'kakou-sample.ndjson'), 'utf8');
  const records = feed
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

  it('the fixture is the sample traffic in the platform shape, with some doubtful readings', () => {
    const sample = readFileSync(join(packageRoot, 'fixtures', 'sample-traffic.ndjson'), 'utf8')
      .trim()
      .split('\n');
    expect(records).toHaveLength(sample.length);
    expect(Object.keys(records[0] ?? {})).toEqual(['gcxh', 'kkbh', 'hphm', 'hpys', 'hpzl', 'cdh', 'fx', 'gcsj', 'clsd', 'hpzxd']);
    expect(records.filter((r) => (r['hpzxd'] as number) < 80).length).toBeGreaterThan(10);
  });

  it("gives the same alerts as the same records in Vigil's own shape", async () => {
    const ownDir = program(OWN_SOURCE);
    writeFileSync(join(ownDir, 'own.ndjson'), records.map((r) => JSON.stringify(own(r))).join('\n') + '\n');
    const expected = await alerts(ownDir, join(ownDir, 'own.ndjson'));
    const mapped = await alerts(program(readFileSync(join(EXAMPLE, 'passes.pattern'), 'utf8')), join(EXAMPLE, 'kakou-sample.ndjson'));
    expect(mapped.alerts).toEqual(expected.alerts);
    // Every record was read (none dead-lettered), and the run is not trivially empty.
    expect(mapped.err).toMatch(/1,914 records \(0 dead letters/);
    const rules = new Set(mapped.alerts.map((a) => a['rule']));
    expect([...rules].sort()).toEqual(expect.arrayContaining(['cloned-plate', 'first-entry']));
  });

  it('the minimum confidence matters: without it the doubtful plates key plate rules again', async () => {
    const lenient = OWN_SOURCE.replace(' { min_plate_confidence: 80 }', '');
    const dir = program(lenient);
    writeFileSync(join(dir, 'own.ndjson'), records.map((r) => JSON.stringify(own(r))).join('\n') + '\n');
    const strict = program(OWN_SOURCE);
    writeFileSync(join(strict, 'own.ndjson'), records.map((r) => JSON.stringify(own(r))).join('\n') + '\n');
    const a = await alerts(dir, join(dir, 'own.ndjson'));
    const b = await alerts(strict, join(strict, 'own.ndjson'));
    expect(a.alerts.length).toBeGreaterThan(b.alerts.length);
  });
});
