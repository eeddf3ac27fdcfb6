import { describe, expect, it } from 'vitest';
import { compile, Pattern, AfterMatchSkipStrategy as Skip } from '../../src/cep/index.js';
import { type Ev, kind } from './helpers.js';

describe('held-back matches (skip strategies)', () => {
  // Found by the buffer-invariant property: with skipToFirst, the match [c1] waits for the older partial match
  // started at c0; `a` ends every partial match through `until`, and the held match must come out then, not stay
  // in the buffer for ever.
  it('are released when the partial matches that held them die on an event, not only when one finishes', () => {
    const nfa = compile(Pattern.begin<Ev>('v0', Skip.skipToFirst('v0')).where(kind('c')).oneOrMore().until(kind('a')).within(6));
    const st = nfa.createState();
    const ids = (ms: ReadonlyArray<Record<string, Ev[]>>) => ms.map((m) => (m['v0'] ?? []).map((e) => e.i));
    expect(ids(nfa.process(st, { k: 'c', i: 0 }, 0).matches)).toEqual([[0]]);
    expect(ids(nfa.process(st, { k: 'c', i: 1 }, 0).matches)).toEqual([[0, 1]]);
    expect(ids(nfa.process(st, { k: 'a', i: 2 }, 0).matches)).toEqual([[1]]);
    expect(st.completed).toHaveLength(0);
    expect([st.buffer.nodeCount, st.buffer.eventCount]).toEqual([0, 0]);
  });
});
