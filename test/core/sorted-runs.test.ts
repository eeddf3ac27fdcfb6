import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MinHeap, SortedRuns } from '../../src/core/index.js';

interface E {
  readonly ts: number;
  readonly seq: number;
}
const before = (a: E, b: E): boolean => a.ts < b.ts || (a.ts === b.ts && a.seq < b.seq);

describe('SortedRuns', () => {
  it('pops in exactly the order of a heap, for any mix of in-order and out-of-order pushes and pops', () => {
    fc.assert(
      fc.property(
        // A push (a timestamp, often ahead of the last: mostly ordered input) or a pop.
        fc.array(
          fc.oneof(
            fc.integer({ min: -40, max: 20 }).map((d) => ({ push: d })),
            fc.constant({ push: null }),
          ),
          { maxLength: 300 },
        ),
        (ops) => {
          const q = new SortedRuns<E>(before);
          const h = new MinHeap<E>(before);
          let seq = 0;
          let ts = 0;
          for (const op of ops) {
            if (op.push === null) {
              expect(q.peek()).toBe(h.peek());
              expect(q.pop()).toBe(h.pop());
            } else {
              ts += op.push;
              const e = { ts, seq: seq++ };
              q.push(e);
              h.push(e);
            }
            expect(q.size).toBe(h.size);
          }
          expect(q.toArray().sort((a, b) => a.ts - b.ts || a.seq - b.seq)).toEqual(h.toArray().sort((a, b) => a.ts - b.ts || a.seq - b.seq));
          while (h.size > 0) expect(q.pop()).toBe(h.pop());
          expect(q.pop()).toBeUndefined();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('interleaved streams with their own offsets (cameras with skewed clocks) come out merged in order', () => {
    const q = new SortedRuns<E>(before);
    const h = new MinHeap<E>(before);
    let seq = 0;
    for (let t = 0; t < 2000; t++) {
      for (let cam = 0; cam < 10; cam++) {
        const e = { ts: t * 10 - cam * 137, seq: seq++ };
        q.push(e);
        h.push(e);
      }
      if (t % 3 === 0) for (let k = 0; k < 25; k++) expect(q.pop()).toBe(h.pop());
    }
    while (h.size > 0) expect(q.pop()).toBe(h.pop());
  });

  it('descending input (every entry a new run) stays exact past the run limit', () => {
    const q = new SortedRuns<E>(before);
    for (let i = 0; i < 500; i++) q.push({ ts: 1000 - i, seq: i });
    expect(q.size).toBe(500);
    for (let ts = 501; ts <= 1000; ts++) expect(q.pop()?.ts).toBe(ts);
    expect(q.pop()).toBeUndefined();
  });

  it('keeps order across the compaction of a long run', () => {
    const q = new SortedRuns<E>(before);
    for (let i = 0; i < 5000; i++) q.push({ ts: i, seq: i });
    for (let i = 0; i < 3000; i++) expect(q.pop()?.ts).toBe(i);
    q.push({ ts: 100, seq: 9999 }); // out of order: to the heap, and first out
    expect(q.pop()).toEqual({ ts: 100, seq: 9999 });
    for (let i = 3000; i < 5000; i++) expect(q.pop()?.ts).toBe(i);
    expect(q.size).toBe(0);
  });
});
