import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareIds, sightingBefore } from '../../../src/io/first-seen/store.js';

describe('first_seen ordering', () => {
  it('compares ids in the byte order of their UTF-8 encodings (what the Redis script compares)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        expect(Math.sign(compareIds(a, b))).toBe(Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))));
      }),
      { numRuns: 2000 },
    );
    expect(compareIds('\uFFFD', '😀')).toBeLessThan(0); // UTF-16 code units would say otherwise
  });

  it('orders sightings by event time, then id', () => {
    expect(sightingBefore(1, 'z', 2, 'a')).toBe(true);
    expect(sightingBefore(2, 'a', 1, 'z')).toBe(false);
    expect(sightingBefore(1, 'a', 1, 'b')).toBe(true);
    expect(sightingBefore(1, 'a', 1, 'a')).toBe(false);
  });
});
