import { describe, expect, it } from 'vitest';
import { align, differences, project } from '../../src/cli/test-harness/compare.js';

describe('test expectations: differences', () => {
  it('a mapping checks only its keys, at any depth; a missing field equals null or []', () => {
    expect(differences({ a: { b: 1 } }, { a: { b: 1, c: 2 }, d: 3 }, '')).toEqual([]);
    expect(differences({ a: null, b: [] }, {}, '')).toEqual([]);
    expect(differences({ a: 1 }, {}, '')).toEqual(['a: expected 1, but there is no such field']);
    expect(differences({ a: { b: 1 } }, { a: { b: 2 } }, 'x')).toEqual(['x.a.b: expected 1, got 2']);
  });

  it('lists match item by item and must have the same length', () => {
    expect(differences([1, 2], [1, 2], 'l')).toEqual([]);
    expect(differences([1, 2], [1, 3], 'l')).toEqual(['l[1]: expected 2, got 3']);
    expect(differences([1], [1, 2], 'l')).toEqual(['l: expected 1 item(s), got 2: [1,2]']);
  });

  it('a string stands for the id of an event, or for a time in epoch ms', () => {
    expect(differences(['e1'], [{ id: 'e1', v: 1 }], 'a')).toEqual([]);
    expect(differences(['e1'], [{ id: 'e2' }], 'a')).toEqual(['a[0]: expected event "e1", got event "e2"']);
    expect(differences('2026-03-02T08:00:00Z', 1772438400000, 't')).toEqual([]);
    expect(differences('2026-03-02T08:00:00+08:00', 1772438400000 - 8 * 3600_000, 't')).toEqual([]);
    expect(differences('2026-03-02T08:00:01Z', 1772438400000, 't')).toEqual([
      't: expected 2026-03-02T08:00:01Z (1772438401000), got 1772438400000 (2026-03-02T08:00:00.000Z)',
    ]);
    // A string that is not a time is compared as a string.
    expect(differences('soon', 5, 't')).toEqual(['t: expected "soon", got 5']);
  });

  it('projects the actual value onto the expected shape for side-by-side display', () => {
    expect(project({ a: ['e1'], t: '2026-03-02T08:00:00Z' }, { a: [{ id: 'e1', x: 1 }], t: 1772438400000, z: 9 })).toEqual({
      a: ['e1'],
      t: '2026-03-02T08:00:00.000Z',
    });
  });
});

describe('test expectations: align', () => {
  it('in order: agreeing items by longest common subsequence; leftovers in the same gap are paired as changed', () => {
    expect(align([1, 2, 3], [1, 9, 3], 'strict')).toEqual({
      matched: [
        [0, 0],
        [2, 2],
      ],
      changed: [[1, 1]],
      missing: [],
      unexpected: [],
    });
    expect(align([1, 3, 4], [1, 2, 3], 'strict')).toEqual({
      matched: [
        [0, 0],
        [1, 2],
      ],
      changed: [],
      missing: [2],
      unexpected: [1],
    });
    expect(align([2, 1], [1, 2], 'strict').matched).toHaveLength(1);
  });

  it('in any order: each expected item takes the first free agreeing one', () => {
    expect(align([2, 1], [1, 2], 'any')).toEqual({
      matched: [
        [0, 1],
        [1, 0],
      ],
      changed: [],
      missing: [],
      unexpected: [],
    });
    expect(align([{ a: 1 }, { a: 1 }], [{ a: 1 }], 'any')).toEqual({ matched: [[0, 0]], changed: [], missing: [1], unexpected: [] });
  });
});
