import { describe, expect, it } from 'vitest';
import { isUnreadablePlate, normalizePlate } from '../../src/traffic/plate.js';
import { formatIsoTimestamp, parseIsoTimestamp } from '../../src/traffic/timestamp.js';

describe('normalizePlate', () => {
  it.each([
    ['浙A12345', '浙A12345'],
    ['浙a12345', '浙A12345'],
    ['浙A 12345', '浙A12345'],
    ['浙A·12345', '浙A12345'],
    ['浙A-12345', '浙A12345'],
    ['  浙A12345\t', '浙A12345'],
    ['浙Ａ１２３４５', '浙A12345'], // full-width letter and digits
    ['浙ａｂ１２３', '浙AB123'], // full-width lower case
    ['浙A\u300012345', '浙A12345'], // ideographic space
    ['京AD12345', '京AD12345'],
    ['unknown', 'UNKNOWN'],
    ['', ''],
  ])('%j -> %j', (input, expected) => {
    expect(normalizePlate(input)).toBe(expected);
  });

  it('returns the very same string when nothing changes (no allocation on the common path)', () => {
    const s = '浙A' + String(12345);
    expect(normalizePlate(s)).toBe(s);
  });
});

describe('isUnreadablePlate', () => {
  it.each(['', 'UNKNOWN', '无牌', '未识别', '0', '0000000', '00000000'])('%j is unreadable', (p) => {
    expect(isUnreadablePlate(p)).toBe(true);
  });
  it.each(['浙A12345', '浙A00000', '00000001', 'UNKNOWN1', '无牌车'])('%j is readable', (p) => {
    expect(isUnreadablePlate(p)).toBe(false);
  });
  it('works on normalised text of the raw variants', () => {
    for (const raw of ['unknown', 'Unknown', ' UNKNOWN ', 'ｕｎｋｎｏｗｎ', '０００００', '无 牌']) expect(isUnreadablePlate(normalizePlate(raw))).toBe(true);
  });
});

describe('parseIsoTimestamp', () => {
  it.each([
    ['2026-03-02T08:00:00Z', Date.UTC(2026, 2, 2, 8)],
    ['2026-03-02T08:00:00.123Z', Date.UTC(2026, 2, 2, 8, 0, 0, 123)],
    ['2026-03-02T08:00:00.1234567Z', Date.UTC(2026, 2, 2, 8, 0, 0, 123)],
    ['2026-03-02T08:00:00,5Z', Date.UTC(2026, 2, 2, 8, 0, 0, 500)],
    ['2026-03-02T16:00:00+08:00', Date.UTC(2026, 2, 2, 8)],
    ['2026-03-02T16:00:00+0800', Date.UTC(2026, 2, 2, 8)],
    ['2026-03-02T03:30:00-04:30', Date.UTC(2026, 2, 2, 8)],
    ['2026-03-02 08:00:00Z', Date.UTC(2026, 2, 2, 8)],
    ['2026-03-02T08:00Z', Date.UTC(2026, 2, 2, 8)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
  ])('%s', (s, ms) => {
    expect(parseIsoTimestamp(s)).toBe(ms);
  });

  it.each([
    '2026-03-02T08:00:00', // no zone: would depend on the host
    '2026-03-02',
    '2026-13-02T08:00:00Z',
    '2026-02-30T08:00:00Z',
    '2025-02-29T08:00:00Z',
    '2026-03-02T24:00:00Z',
    '2026-03-02T08:60:00Z',
    '2026-03-02T08:00:00.Z',
    '2026-03-02T08:00:00Zjunk',
    'March 2, 2026 08:00 UTC',
    '1772438400000',
    '',
  ])('rejects %j', (s) => {
    expect(parseIsoTimestamp(s)).toBeNaN();
  });

  it('round-trips through formatIsoTimestamp in any offset', () => {
    for (const ms of [0, 1772438400123, 1700000000000]) {
      for (const off of [0, 480, -270]) expect(parseIsoTimestamp(formatIsoTimestamp(ms, off))).toBe(ms);
    }
    expect(formatIsoTimestamp(Date.UTC(2026, 2, 2, 0), 480)).toBe('2026-03-02T08:00:00.000+08:00');
  });
});
