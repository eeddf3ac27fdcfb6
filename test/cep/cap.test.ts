import { describe, expect, it } from 'vitest';
import { compile, Pattern } from '../../src/cep/index.js';
import { type Ev, events, kind, sig } from './helpers.js';

describe('partial-match cap (maxPartialMatchesPerKey)', () => {
  const pattern = (): Pattern<Ev> => Pattern.begin<Ev>('a').where(kind('a')).followedByAny('b').where(kind('b'));

  it('keeps at most N partial matches per key, drops the oldest, counts them and logs once per key', () => {
    const warnings: Array<[string, Readonly<Record<string, unknown>> | undefined]> = [];
    const nfa = compile(pattern(), { maxPartialMatchesPerKey: 3, logger: { warn: (m, f) => warnings.push([m, f]) } });
    const st = nfa.createState('plate-1');
    for (const e of events('a a a a a')) nfa.process(st, e, e.i);
    expect(nfa.partialMatchCount(st)).toBe(3);
    expect(st.droppedPartialMatches).toBe(2);
    expect(st.buffer.eventCount).toBe(3); // the dropped ones' events are freed
    expect(nfa.process(st, { k: 'b', i: 5 }, 5).matches.map(sig)).toEqual(['a=2 b=5', 'a=3 b=5', 'a=4 b=5']);
    for (const e of events('a a')) nfa.process(st, { ...e, i: e.i + 6 }, e.i + 6);
    expect(st.droppedPartialMatches).toBe(4);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]![1]).toMatchObject({ key: 'plate-1', maxPartialMatchesPerKey: 3 });

    const other = nfa.createState('plate-2');
    for (const e of events('a a a a')) nfa.process(other, e, e.i);
    expect(other.droppedPartialMatches).toBe(1);
    expect(warnings).toHaveLength(2);
  });

  it('defaults to 10000 and rejects nonsense', () => {
    // allowCombinations makes the partial matches grow exponentially; compare with an uncapped run.
    const p = (): Pattern<Ev> => Pattern.begin<Ev>('a').where(kind('a')).oneOrMore().allowCombinations().followedBy('b').where(kind('b'));
    const capped = compile(p());
    const free = compile(p(), { maxPartialMatchesPerKey: 1e9 });
    const cs = capped.createState();
    const fs = free.createState();
    let i = 0;
    for (; free.partialMatchCount(fs) <= 10_000; i++) {
      expect(capped.partialMatchCount(cs)).toBe(free.partialMatchCount(fs));
      capped.process(cs, { k: 'a', i }, i);
      free.process(fs, { k: 'a', i }, i);
    }
    expect(i).toBeLessThan(20);
    expect(capped.partialMatchCount(cs)).toBe(10_000);
    expect(cs.droppedPartialMatches).toBe(free.partialMatchCount(fs) - 10_000);
    expect(fs.droppedPartialMatches).toBe(0);
    expect(() => compile(pattern(), { maxPartialMatchesPerKey: 0 })).toThrow(RangeError);
  });
});
