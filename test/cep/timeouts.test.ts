import { describe, expect, it } from 'vitest';
import { compile, Pattern } from '../../src/cep/index.js';
import { type Ev, events, kind, run, sig } from './helpers.js';

const ab = (within: number): Pattern<Ev> => Pattern.begin<Ev>('a').where(kind('a')).followedBy('b').where(kind('b')).within(within);

describe('timeouts (within)', () => {
  it('times a partial match out when time reaches first event + within, reporting that time', () => {
    const nfa = compile(ab(10));
    const st = nfa.createState();
    expect(nfa.process(st, { k: 'a', i: 0 }, 100).matches).toEqual([]);
    expect(nfa.advanceTime(st, 109).timedOut).toEqual([]);
    expect(nfa.partialMatchCount(st)).toBe(1);
    const out = nfa.advanceTime(st, 110);
    expect(out.timedOut.map((t) => [sig(t.match), t.timeoutTimestamp])).toEqual([['a=0', 110]]);
    expect(nfa.partialMatchCount(st)).toBe(0);
    expect(st.buffer.eventCount).toBe(0);
    expect(nfa.advanceTime(st, 1000)).toEqual({ matches: [], timedOut: [] });
  });

  it('process() times out first, so an event at first + within cannot extend the match', () => {
    const late = run(ab(10), events('a b'), { ts: (e) => e.i * 10 });
    expect(late.matches).toEqual([]);
    expect(late.timedOut).toEqual(['a=0 @10']);
    const inTime = run(ab(10), events('a b'), { ts: (e) => e.i * 9 });
    expect(inTime.matches).toEqual(['a=0 b=1']);
    expect(inTime.timedOut).toEqual([]);
  });

  it('reports what was matched so far, looping variables included', () => {
    const p = Pattern.begin<Ev>('a').where(kind('a')).followedBy('b').where(kind('b')).times(3).within(5);
    const r = run(p, events('a b b x'), { endTime: 5 });
    expect(r.timedOut).toEqual(['a=0 b=1,2 @5']);
  });

  it('without within nothing times out', () => {
    const r = run(Pattern.begin<Ev>('a').where(kind('a')).followedBy('b').where(kind('b')), events('a x'), { endTime: Number.MAX_SAFE_INTEGER });
    expect(r.timedOut).toEqual([]);
    expect(r.nfa.partialMatchCount(r.state)).toBe(1);
  });

  it('a trailing notFollowedBy completes when within expires with no forbidden event', () => {
    const p = Pattern.begin<Ev>('a').where(kind('a')).notFollowedBy('n').where(kind('n')).within(10);
    const quiet = run(p, events('a x x'), { endTime: 10 });
    expect(quiet.matches).toEqual(['a=0']);
    expect(quiet.timedOut).toEqual([]);
    const early = run(p, events('a x x'), { endTime: 9 });
    expect(early.matches).toEqual([]);
    const forbidden = run(p, events('a x n'), { endTime: 10 });
    expect(forbidden.matches).toEqual([]);
    expect(forbidden.timedOut).toEqual([]);
    expect(forbidden.state.buffer.eventCount).toBe(0);
    // completion also happens inside process(), before the event is applied
    const byEvent = run(p, events('a x'), { ts: (e) => e.i * 20 });
    expect(byEvent.matches).toEqual(['a=0']);
  });

  it('after a loop, a loop prefix waits on the notFollowedBy only once a later event was seen (as in Flink)', () => {
    const p = Pattern.begin<Ev>('a').where(kind('a')).followedBy('b').where(kind('b')).oneOrMore().notFollowedBy('n').where(kind('n')).within(10);
    // The loop proceeds into the pending state by ignoring the next event: b1 is pending after b2 arrived,
    // b1 b2 only after one more event; a loop still open when time runs out is a timeout, not a match.
    const open = run(p, events('a b b'), { endTime: 100 });
    expect(open.matches).toEqual(['a=0 b=1']);
    expect(open.timedOut).toEqual(['a=0 b=1,2 @10']);
    expect(run(p, events('a b b x'), { endTime: 100 }).matches.sort()).toEqual(['a=0 b=1', 'a=0 b=1,2']);
    expect(run(p, events('a b b n'), { endTime: 100 }).matches).toEqual([]);
  });
});

describe('nextTimeout', () => {
  it('is the expiry of the oldest partial match, +Infinity without one or without within', () => {
    const nfa = compile(ab(10));
    const st = nfa.createState();
    expect(nfa.nextTimeout(st)).toBe(Number.POSITIVE_INFINITY);
    nfa.process(st, { k: 'a', i: 0 }, 100);
    nfa.process(st, { k: 'a', i: 1 }, 104);
    expect(nfa.nextTimeout(st)).toBe(110);
    nfa.advanceTime(st, 110);
    expect(nfa.nextTimeout(st)).toBe(114);
    const noWindow = compile(Pattern.begin<Ev>('a').where(kind('a')).followedBy('b'));
    const st2 = noWindow.createState();
    noWindow.process(st2, { k: 'a', i: 0 }, 0);
    expect(noWindow.nextTimeout(st2)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('event order', () => {
  it('accepts equal timestamps and refuses an event older than the last one (also after a snapshot)', async () => {
    const { encodeNfaState, decodeNfaState } = await import('../../src/cep/index.js');
    const nfa = compile(ab(10));
    const st = nfa.createState();
    nfa.process(st, { k: 'a', i: 0 }, 5);
    nfa.process(st, { k: 'x', i: 1 }, 5);
    expect(() => nfa.process(st, { k: 'b', i: 2 }, 4)).toThrow(RangeError);
    const back = decodeNfaState(nfa, JSON.parse(JSON.stringify(encodeNfaState(nfa, st))));
    expect(() => nfa.process(back, { k: 'b', i: 2 }, 4)).toThrow(/timestamp order/);
    expect(nfa.process(back, { k: 'b', i: 2 }, 6).matches.map(sig)).toEqual(['a=0 b=2']);
  });
});
