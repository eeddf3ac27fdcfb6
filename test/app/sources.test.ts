/**
 * The runtime side of source declarations: the feed mapping (renames, value maps, zone-less event times), the
 * declared-fields check, the traffic schema's confidence option, and the record parser running them in order.
 */
import { describe, expect, test } from 'vitest';
import { declaredChecks, declaredFieldsCheck, defaultPaths, domainSchemas, feedMapper, loadRegistry, recordParser } from '../../src/app/index.js';
import type { ParseContext } from '../../src/core/index.js';
import { type CheckedSource, checkProgram, formatDslError, parseProgram } from '../../src/dsl/index.js';

function source(text: string): CheckedSource {
  const parsed = parseProgram(text, 's.pattern');
  if (!parsed.ok) throw new Error(formatDslError(parsed.error, text));
  const r = checkProgram(parsed.program, { schemas: domainSchemas() });
  if (r.program === null) throw new Error(r.errors.map((e) => formatDslError(e, text)).join('\n'));
  return [...r.program.sources.values()][0] as CheckedSource;
}

/** Parses byte lines through a source's mapping and check; records and dead-letter reasons in order. */
function read(s: CheckedSource, lines: readonly string[]): { records: Record<string, unknown>[]; dead: string[] } {
  const registry = loadRegistry(defaultPaths.checkpoints);
  const check = declaredChecks(registry)(s);
  const map = feedMapper(s);
  const parse = recordParser({ ...(map === undefined ? {} : { map }), check, watermark: () => Number.NEGATIVE_INFINITY });
  const records: Record<string, unknown>[] = [];
  const dead: string[] = [];
  const ctx: ParseContext<Record<string, unknown>> = { record: (r) => records.push(r), watermark: () => {}, deadLetter: (d) => dead.push(d) };
  for (const l of lines) parse(Buffer.from(l, 'utf8').toString('latin1'), ctx);
  return { records, dead };
}

describe('the feed mapping', () => {
  const kakou = source(`source passes event time ts schema traffic { min_plate_confidence: 80 }
  map gcxh as id, kkbh as checkpoint, hphm as plate, hpys as plate_color, gcsj as ts, clsd as speed, hpzxd as plate_confidence
  map plate_color values { "1": "yellow", "2": "blue" } else "unknown"
  time zone "+08:00"`);

  test('renames fields in the feed order, maps codes (numbers by their text) and gives zone-less times the zone', () => {
    const map = feedMapper(kakou);
    expect(map?.({ gcxh: 'r1', kkbh: 'CP0001', hphm: '浙A1', hpys: 2, gcsj: '2026-03-02 08:00:00', clsd: 50, extra: true })).toEqual({
      id: 'r1',
      checkpoint: 'CP0001',
      plate: '浙A1',
      plate_color: 'blue',
      ts: Date.UTC(2026, 2, 2, 0, 0, 0),
      speed: 50,
      extra: true,
    });
    // A code outside the table takes `else`; a time that has a zone (or is epoch ms) keeps it.
    const other = map?.({ hpys: '7', gcsj: '2026-03-02T08:00:00Z' });
    expect(other).toEqual({ plate_color: 'unknown', ts: '2026-03-02T08:00:00Z' });
    expect(Object.keys(map?.({ ts: 1, gcsj: 2 }) ?? {})).toEqual(['ts']);
  });

  test('an unmapped source has no mapping step', () => {
    expect(feedMapper(source('source s event time ts schema traffic'))).toBeUndefined();
  });

  test('mapped records are validated as traffic records; a doubtful plate is kept but not readable', () => {
    const { records, dead } = read(kakou, [
      '{"gcxh":"r1","kkbh":"CP0001","hphm":"浙a 12345","hpys":"2","gcsj":"2026-03-02 08:00:00","clsd":50,"hpzxd":95}',
      '{"gcxh":"r2","kkbh":"CP0001","hphm":"浙A12345","hpys":"2","gcsj":"2026-03-02 08:00:01","clsd":50,"hpzxd":79}',
      '{"gcxh":"r3","kkbh":"CP0001","hphm":"浙A12345","hpys":"2","gcsj":"2026-03-02 08:00:02","clsd":50,"hpzxd":101}',
      '{"gcxh":"r4","kkbh":"CP0001","hphm":"浙A12345","hpys":"2","gcsj":"2026-03-02 08:00:03","clsd":50,"hpzxd":"high"}',
    ]);
    expect(records.map((r) => [r['id'], r['plate'], r['plate_readable'], r['ts']])).toEqual([
      ['r1', '浙A12345', true, Date.UTC(2026, 2, 2, 0, 0, 0)],
      ['r2', '浙A12345', false, Date.UTC(2026, 2, 2, 0, 0, 1)],
    ]);
    expect(dead).toEqual(['bad_confidence: 101 (0..100)', 'bad_type: plate_confidence: string']);
  });
});

describe('declared fields', () => {
  const check = declaredFieldsCheck(
    new Map([
      ['vehicle', { type: 'string', optional: false }],
      ['speed', { type: 'number', optional: false }],
      ['seen', { type: 'timestamp', optional: true }],
      ['open', { type: 'boolean', optional: true }],
    ] as const),
  );

  test('accept records of the declared types (timestamps to epoch ms), keeping undeclared fields', () => {
    const r: Record<string, unknown> = { vehicle: 'b1', speed: 3, seen: '2026-03-02T08:00:00+08:00', open: null, x: [1] };
    expect(check(r, 0)).toBeNull();
    expect(r).toEqual({ vehicle: 'b1', speed: 3, seen: Date.UTC(2026, 2, 2), open: null, x: [1] });
  });

  test('refuse a missing required field or a value of another type, with the reason', () => {
    expect(check({ speed: 3 }, 0)).toBe('missing_field: vehicle');
    expect(check({ vehicle: 'b1', speed: Number.POSITIVE_INFINITY }, 0)).toBe('bad_type: speed: expected a number, got number Infinity');
    expect(check({ vehicle: 1, speed: 3 }, 0)).toBe('bad_type: vehicle: expected a string, got number 1');
    expect(check({ vehicle: 'b', speed: 3, seen: '8:00' }, 0)).toBe(
      'bad_type: seen: expected a timestamp (epoch ms or ISO-8601 with a zone), got string "8:00"',
    );
    expect(check({ vehicle: 'b', speed: 3, open: 'yes' }, 0)).toBe('bad_type: open: expected a boolean, got string "yes"');
  });

  test('an open source validates nothing', () => {
    expect(declaredChecks(loadRegistry(defaultPaths.checkpoints))(source('source s event time ts'))).toBeUndefined();
  });
});
