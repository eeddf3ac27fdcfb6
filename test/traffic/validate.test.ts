import { describe, expect, it } from 'vitest';
import { parseVehicleKey, vehicleKey } from '../../src/traffic/record.js';
import { CheckpointRegistry } from '../../src/traffic/registry.js';
import { isRejection, RecordValidator, type Rejection } from '../../src/traffic/validate.js';

const registry = CheckpointRegistry.fromJson([
  { id: 'CP1', name: 'one', lat: 30.27, lon: 120.15, segment: 'S1', direction: 'in', kind: 'entry', lanes: 3 },
  { id: 'CP2', name: 'two', lat: 30.28, lon: 120.16, segment: 'S1', direction: 'in', kind: 'inner' },
  { id: 'CP3', name: 'three', lat: 30.29, lon: 120.17, segment: 'S2', direction: 'northbound', kind: 'inner' },
]);
const validator = new RecordValidator(registry);
const TS = Date.UTC(2026, 2, 2, 0, 0, 0);

function rec(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: 'r1', plate: '浙A12345', plate_color: 'blue', vehicle_type: 'car', checkpoint: 'CP1', lane: 2, direction: 'in', speed: 54.5, ts: TS, ...over };
}

function rejection(raw: unknown, watermark?: number): Rejection {
  const r = validator.validate(raw, watermark);
  if (!isRejection(r)) throw new Error(`expected a rejection, got ${JSON.stringify(r)}`);
  return r;
}

describe('RecordValidator: direction never costs a record', () => {
  it.each([
    ['in', 'in'],
    ['out', 'out'],
    [' Inbound ', 'in'],
    ['OUTBOUND', 'out'],
    ['进城', 'in'],
    ['出城', 'out'],
    ['入城', 'in'],
  ])('normalises %j to %s', (given, expected) => {
    const v = new RecordValidator(registry);
    expect(v.validate(rec({ checkpoint: 'CP3', direction: given }))).toMatchObject({ direction: expected });
    expect(v.notes.direction_unknown.value).toBe(0);
  });

  it('keeps an unknown word as given and counts it', () => {
    const v = new RecordValidator(registry);
    expect(v.validate(rec({ direction: 'through' }))).toMatchObject({ direction: 'through' });
    expect(v.validate(rec({ direction: 'up' }))).toMatchObject({ direction: 'up' });
    expect(v.notes.direction_unknown.value).toBe(2);
    expect(v.notes.direction_mismatch.value).toBe(0);
  });

  it("keeps a record whose direction is not the camera's, with its own direction, and counts it", () => {
    const v = new RecordValidator(registry);
    expect(v.validate(rec({ direction: 'out' }))).toMatchObject({ direction: 'out', checkpoint: 'CP1' });
    // A registry synonym is normalised too: CP1 says "in", a record saying 进城 agrees with it.
    expect(v.validate(rec({ direction: '进城' }))).toMatchObject({ direction: 'in' });
    // A camera whose registry direction is a free label is never contradicted.
    expect(v.validate(rec({ checkpoint: 'CP3', direction: 'out' }))).toMatchObject({ direction: 'out' });
    expect(v.notes.direction_mismatch.value).toBe(1);
  });

  it('counts nothing for a record it refuses', () => {
    const v = new RecordValidator(registry);
    expect(isRejection(v.validate(rec({ direction: 'through', speed: -1 })))).toBe(true);
    expect(v.notes.direction_unknown.value).toBe(0);
  });
});

describe('RecordValidator: accepted records', () => {
  it('returns the same object, normalised, with plate_readable', () => {
    const raw = rec({ plate: '浙ａ 12345', plate_color: 'Blue' });
    const r = validator.validate(raw);
    expect(r).toBe(raw);
    expect(r).toMatchObject({ plate: '浙A12345', plate_color: 'blue', plate_readable: true, ts: TS });
  });

  it('converts ISO-8601 ts to epoch ms', () => {
    const r = validator.validate(rec({ ts: '2026-03-02T08:00:00+08:00' }));
    expect(isRejection(r)).toBe(false);
    expect((r as { ts: number }).ts).toBe(TS);
  });

  it('floors fractional epoch ms', () => {
    expect(validator.validate(rec({ ts: TS + 0.7 }))).toMatchObject({ ts: TS });
  });

  it.each(['unknown', 'UNKNOWN', '无牌', '未识别', '', '  ', '0000000', null, undefined])('keeps unreadable plate %j, flagged', (plate) => {
    const raw = rec({ plate });
    if (plate === undefined) delete raw['plate'];
    const r = validator.validate(raw);
    expect(isRejection(r)).toBe(false);
    expect(r).toMatchObject({ plate: 'unknown', plate_readable: false });
    expect(vehicleKey(r as never)).toBeNull();
  });

  it('maps Chinese colour names', () => {
    expect(validator.validate(rec({ plate_color: '黄' }))).toMatchObject({ plate_color: 'yellow' });
    expect(validator.validate(rec({ plate_color: '黄绿色' }))).toMatchObject({ plate_color: 'yellow_green' });
  });

  it('keeps extra fields and allows lane and direction to be absent', () => {
    const raw = rec({ camera_model: 'X9', confidence: 0.93 });
    delete raw['lane'];
    delete raw['direction'];
    expect(validator.validate(raw)).toMatchObject({ camera_model: 'X9', confidence: 0.93 });
  });

  it('normalises direction case; free-label registry directions accept either', () => {
    expect(validator.validate(rec({ direction: 'IN' }))).toMatchObject({ direction: 'in' });
    expect(isRejection(validator.validate(rec({ checkpoint: 'CP3', direction: 'out' })))).toBe(false);
  });

  it('accepts lanes up to 16 when the registry gives no lane count', () => {
    expect(isRejection(validator.validate(rec({ checkpoint: 'CP2', lane: 16 })))).toBe(false);
  });

  it('accepts a record at most maxFutureMs ahead of the watermark', () => {
    expect(isRejection(validator.validate(rec({ ts: TS + 3_600_000 }), TS))).toBe(false);
  });
});

describe('RecordValidator: rejections (never throws)', () => {
  it.each<[string, unknown, string, string]>([
    ['not an object', 'hello', 'not_object', 'string'],
    ['null', null, 'not_object', 'null'],
    ['an array', [1], 'not_object', 'array'],
    ['missing id', rec({ id: undefined }), 'missing_field', 'id'],
    ['numeric id', rec({ id: 7 }), 'bad_type', 'id: number'],
    ['missing checkpoint', rec({ checkpoint: undefined }), 'missing_field', 'checkpoint'],
    ['unknown checkpoint', rec({ checkpoint: 'CP9999' }), 'unknown_checkpoint', 'CP9999'],
    ['numeric plate', rec({ plate: 12345 }), 'bad_type', 'plate: number'],
    ['overlong plate', rec({ plate: '浙A1234567890123' }), 'bad_plate', '浙A1234567890123'],
    ['control char in plate', rec({ plate: '浙A12\u000145' }), 'bad_plate', '浙A12\u000145'],
    ['plate of a megabyte', rec({ plate: '浙'.repeat(1 << 20) }), 'bad_plate', '1048576 characters (at most 48 before spaces and separators are removed)'],
    ['right-to-left override in plate', rec({ plate: '浙A\u202E54321' }), 'bad_plate', '浙A\\u{202E}54321: invisible or text-direction character U+202E'],
    ['isolate in plate', rec({ plate: '\u2066浙A12345\u2069' }), 'bad_plate', '\\u{2066}浙A12345\\u{2069}: invisible or text-direction character U+2066'],
    ['zero-width space in plate', rec({ plate: '浙A1\u200B2345' }), 'bad_plate', '浙A1\\u{200B}2345: invisible or text-direction character U+200B'],
    ['left-to-right mark in plate', rec({ plate: '浙A12345\u200E' }), 'bad_plate', '浙A12345\\u{200E}: invisible or text-direction character U+200E'],
    ['byte-order mark in plate', rec({ plate: '\uFEFF浙A12345' }), 'bad_plate', '\\u{FEFF}浙A12345: invisible or text-direction character U+FEFF'],
    ['missing plate_color', rec({ plate_color: undefined }), 'missing_field', 'plate_color'],
    ['unknown plate_color', rec({ plate_color: 'purple' }), 'bad_plate_color', 'purple'],
    ['missing ts', rec({ ts: undefined }), 'missing_field', 'ts'],
    ['boolean ts', rec({ ts: true }), 'bad_type', 'ts: boolean'],
    ['NaN ts', rec({ ts: NaN }), 'bad_ts', 'NaN'],
    ['zone-less ISO ts', rec({ ts: '2026-03-02T08:00:00' }), 'bad_ts', '2026-03-02T08:00:00'],
    ['garbage ts', rec({ ts: 'yesterday' }), 'bad_ts', 'yesterday'],
    ['ts in seconds', rec({ ts: 1772409600 }), 'bad_ts', 'out of range: 1772409600'],
    ['missing speed', rec({ speed: undefined }), 'missing_field', 'speed'],
    ['string speed', rec({ speed: '54' }), 'bad_type', 'speed: string'],
    ['negative speed', rec({ speed: -1 }), 'bad_speed', '-1'],
    ['speed above 300', rec({ speed: 300.5 }), 'bad_speed', '300.5'],
    ['NaN speed', rec({ speed: NaN }), 'bad_speed', 'NaN'],
    ['infinite speed', rec({ speed: Infinity }), 'bad_speed', 'Infinity'],
    ['lane 0', rec({ lane: 0 }), 'bad_lane', '0 (1..3)'],
    ['lane above the registry count', rec({ lane: 4 }), 'bad_lane', '4 (1..3)'],
    ['fractional lane', rec({ lane: 1.5 }), 'bad_lane', '1.5 (1..3)'],
    ['string lane', rec({ lane: '2' }), 'bad_type', 'lane: string'],
    ['numeric direction', rec({ direction: 1 }), 'bad_type', 'direction: number'],
    ['numeric vehicle_type', rec({ vehicle_type: 3 }), 'bad_type', 'vehicle_type: number'],
  ])('%s', (_name, raw, code, detail) => {
    const r = rejection(raw);
    expect(r.code).toBe(code);
    expect(r.detail).toBe(detail);
    expect(JSON.parse(JSON.stringify(r))).toEqual({ code, detail });
  });

  it('refuses ts far ahead of the watermark', () => {
    const r = rejection(rec({ ts: TS + 3_600_001 }), TS);
    expect(r.code).toBe('future_ts');
  });

  it('honours custom limits', () => {
    const strict = new RecordValidator(registry, { maxSpeedKmh: 200, maxFutureMs: 1000 });
    expect(isRejection(strict.validate(rec({ speed: 250 })))).toBe(true);
    expect(isRejection(strict.validate(rec({ ts: TS + 2000 }), TS))).toBe(true);
  });

  it('does not modify a record it rejects', () => {
    const raw = rec({ plate: '浙a 12345', speed: -5 });
    rejection(raw);
    expect(raw['plate']).toBe('浙a 12345');
    expect('plate_readable' in raw).toBe(false);
  });
});

describe('vehicleKey', () => {
  it('is plate and colour: the same number with another colour is another vehicle', () => {
    const blue = vehicleKey({ plate: '浙A12345', plate_color: 'blue', plate_readable: true });
    const yellow = vehicleKey({ plate: '浙A12345', plate_color: 'yellow', plate_readable: true });
    expect(blue).toBe('浙A12345|blue');
    expect(yellow).not.toBe(blue);
    expect(parseVehicleKey(blue!)).toEqual({ plate: '浙A12345', plate_color: 'blue' });
    expect(parseVehicleKey('nocolour')).toBeNull();
  });
});
