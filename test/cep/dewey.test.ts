import { describe, expect, it } from 'vitest';
import { DEWEY_START, deweyAddStage, deweyCompare, deweyCompatible, deweyIncrease, deweyToString } from '../../src/cep/dewey.js';

describe('Dewey numbers', () => {
  it('increase bumps the last digit (and returns the same version for 0), addStage appends a stage', () => {
    expect(deweyIncrease(DEWEY_START, 0)).toBe(DEWEY_START);
    expect(deweyIncrease([1, 2], 3)).toEqual([1, 5]);
    expect(deweyAddStage([1, 5])).toEqual([1, 5, 0]);
    expect(DEWEY_START).toEqual([1]); // never mutated
    expect(deweyToString([1, 5, 0])).toBe('1.5.0');
  });

  it('compatibility: a descendant (longer, same prefix) or a later sibling at the same stage', () => {
    expect(deweyCompatible([1, 0, 2], [1, 0])).toBe(true);
    expect(deweyCompatible([1, 1, 2], [1, 0])).toBe(false);
    expect(deweyCompatible([1, 3], [1, 2])).toBe(true);
    expect(deweyCompatible([1, 1], [1, 2])).toBe(false);
    expect(deweyCompatible([2, 3], [1, 3])).toBe(false);
    expect(deweyCompatible([1], [1, 0])).toBe(false);
  });

  it('orders lexicographically, a prefix first', () => {
    const sorted = [[1, 2], [1], [1, 1, 5], [2], [1, 1]].sort(deweyCompare);
    expect(sorted).toEqual([[1], [1, 1], [1, 1, 5], [1, 2], [2]]);
  });
});
