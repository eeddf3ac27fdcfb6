// The short version of `npm run fuzz` (bench/fuzz.ts): 2,000 inputs per target, the same properties.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { patternInputs, patternTarget, recordLines, recordTarget } from '../../bench/fuzz-targets.js';

const RUNS = 2_000;

describe('fuzz (short)', () => {
  it('the record parser and validator accept or dead-letter every line with a reason, in bounded time', () => {
    const seen = { accepted: 0, rejected: 0, control: 0 };
    fc.assert(
      fc.property(recordLines(false), (line) => {
        seen[recordTarget(line)]++;
      }),
      { numRuns: RUNS },
    );
    // The generators reach both sides: a fuzzer that only ever produces garbage tests nothing.
    expect(seen.accepted).toBeGreaterThan(RUNS / 100);
    expect(seen.rejected).toBeGreaterThan(RUNS / 2);
  });

  it('the pattern lexer, parser and checker accept or reject every file with file:line:col errors, in bounded time', () => {
    const seen = { accepted: 0, rejected: 0, control: 0 };
    fc.assert(
      fc.property(patternInputs, (p) => {
        seen[patternTarget(p.source, p.replaces)]++;
      }),
      { numRuns: RUNS },
    );
    expect(seen.accepted).toBeGreaterThan(0);
    expect(seen.rejected).toBeGreaterThan(RUNS / 2);
  });

  it('the targets do catch a broken promise', () => {
    expect(() => patternTarget('pattern p from nowhere match a', null)).not.toThrow();
    expect(recordTarget('{"id":"r1","plate":"浙A\\u202e12345","plate_color":"blue","checkpoint":"CP0001","speed":1,"ts":1772409600000}')).toBe('rejected');
    expect(recordTarget('{"id":"r1","plate":"浙A12345","plate_color":"blue","checkpoint":"CP0001","speed":1,"ts":1772409600000}')).toBe('accepted');
  });
});
