import { describe, expect, it } from 'vitest';
import { type MatchContext, Pattern, AfterMatchSkipStrategy as Skip } from '../../src/cep/index.js';
import { type Ev, events, kind, run } from './helpers.js';

// Flink's documentation examples for the after-match skip strategies.
const bPlusC = (skip: Skip): Pattern<Ev> => Pattern.begin<Ev>('b', skip).where(kind('b')).oneOrMore().consecutive().next('c').where(kind('c'));
const aBPlus = (skip: Skip): Pattern<Ev> => Pattern.begin<Ev>('a', skip).where(kind('a')).followedBy('b').where(kind('b')).oneOrMore();

describe('after-match skip strategies', () => {
  it('noSkip: every match', () => {
    expect(run(bPlusC(Skip.noSkip()), events('b b b c')).matches.sort()).toEqual(['b=0,1,2 c=3', 'b=1,2 c=3', 'b=2 c=3']);
    expect(run(aBPlus(Skip.noSkip()), events('a b b b')).matches).toEqual(['a=0 b=1', 'a=0 b=1,2', 'a=0 b=1,2,3']);
  });

  it('skipToNext: drops the partial matches that began with the same event', () => {
    expect(run(bPlusC(Skip.skipToNext()), events('b b b c')).matches).toEqual(['b=0,1,2 c=3', 'b=1,2 c=3', 'b=2 c=3']);
    expect(run(aBPlus(Skip.skipToNext()), events('a b b b')).matches).toEqual(['a=0 b=1']);
  });

  it('skipPastLastEvent: drops every partial match that began inside the match', () => {
    expect(run(bPlusC(Skip.skipPastLastEvent()), events('b b b c')).matches).toEqual(['b=0,1,2 c=3']);
    expect(run(bPlusC(Skip.skipPastLastEvent()), events('b b c b c')).matches).toEqual(['b=0,1 c=2', 'b=3 c=4']);
    // with relaxed contiguity the loop may stop at any b: noSkip finds all six, skipPastLastEvent the first only
    const relaxed = (s: Skip): Pattern<Ev> => Pattern.begin<Ev>('b', s).where(kind('b')).oneOrMore().followedBy('c').where(kind('c'));
    expect(run(relaxed(Skip.noSkip()), events('b b b c')).matches).toHaveLength(6);
    expect(run(relaxed(Skip.skipPastLastEvent()), events('b b b c')).matches).toEqual(['b=0,1,2 c=3']);
  });

  it('skipToFirst: keeps partial matches that begin at or after the first event of the variable', () => {
    expect(run(bPlusC(Skip.skipToFirst('b')), events('b b b c')).matches).toEqual(['b=0,1,2 c=3', 'b=1,2 c=3', 'b=2 c=3']);
    const p = Pattern.begin<Ev>('a', Skip.skipToFirst('b')).where(kind('a')).followedByAny('b').where(kind('b')).followedBy('c').where(kind('c'));
    // a0 b2 c4 prunes the partial matches that began before b2 (a0 b3, a1 b2, a1 b3).
    expect(run(p, events('a a b b c')).matches).toEqual(['a=0 b=2 c=4']);
  });

  it('skipToLast: keeps partial matches that begin at or after the last event of the variable', () => {
    expect(run(bPlusC(Skip.skipToLast('b')), events('b b b c')).matches).toEqual(['b=0,1,2 c=3', 'b=2 c=3']);
  });

  it('skip to the first event of the match itself is a no-op by default, an error with throwExceptionOnMiss', () => {
    const p = (s: Skip): Pattern<Ev> => Pattern.begin<Ev>('a', s).where(kind('a')).followedBy('b').where(kind('b'));
    expect(run(p(Skip.skipToFirst('a')), events('a a b')).matches).toEqual(['a=0 b=2', 'a=1 b=2']);
    expect(run(p(Skip.skipToLast('a')), events('a a b')).matches).toEqual(['a=0 b=2', 'a=1 b=2']);
    expect(() => run(p(Skip.skipToFirst('a').throwExceptionOnMiss()), events('a a b'))).toThrow(/first element/);
  });

  it('a skip target missing from the match prunes nothing (or throws with throwExceptionOnMiss)', () => {
    const p = (s: Skip): Pattern<Ev> =>
      Pattern.begin<Ev>('a', s).where(kind('a')).followedBy('o').where(kind('o')).optional().followedBy('b').where(kind('b')).within(10);
    // a0 still waits for an `o`, so a1 b2 is held back until a0 times out at 10
    const held = run(p(Skip.skipToFirst('o')), events('a a b'));
    expect(held.matches).toEqual(['a=0 b=2']);
    expect(held.state.completed).toHaveLength(1);
    expect(run(p(Skip.skipToFirst('o')), events('a a b'), { endTime: 100 }).matches).toEqual(['a=0 b=2', 'a=1 b=2']);
    // with `o` present, the partial matches that began before o1 (a0 waiting for b) are pruned
    expect(run(p(Skip.skipToFirst('o')), events('a o a b'), { endTime: 100 }).matches).toEqual(['a=0 o=1 b=3', 'a=2 b=3']);
    expect(() => run(p(Skip.skipToLast('o').throwExceptionOnMiss()), events('a a b'))).toThrow(/no such element/);
  });

  it('holds a finished match back while an earlier partial match is alive, as Flink does', () => {
    // b must exceed a's value: a0 (v=5) waits, a1 (v=1) finishes with b2 (v=3) first.
    const bigger = (e: Ev, ctx: MatchContext<Ev>): boolean => e.k === 'b' && (e.v ?? 0) > (ctx.events('a')[0]?.v ?? 0);
    const p = (s: Skip, within?: number): Pattern<Ev> => {
      const q = Pattern.begin<Ev>('a', s).where(kind('a')).followedBy('b').where(bigger);
      return within === undefined ? q : q.within(within);
    };
    const input = events('a a b b', [5, 1, 3, 6]);
    expect(run(p(Skip.noSkip()), input).matches).toEqual(['a=1 b=2', 'a=0 b=3']);
    // skipPastLastEvent: a0 b3 comes out first and prunes the held-back a1 b2.
    expect(run(p(Skip.skipPastLastEvent()), input).matches).toEqual(['a=0 b=3']);
    // When a0 times out instead, the held-back match is released by advanceTime.
    const timed = run(p(Skip.skipPastLastEvent(), 3), events('a a b', [5, 1, 3]), { endTime: 3 });
    expect(timed.timedOut).toEqual(['a=0 @3']);
    expect(timed.matches).toEqual(['a=1 b=2']);
    expect(timed.state.completed).toHaveLength(0);
    expect([timed.state.buffer.eventCount, timed.state.buffer.nodeCount]).toEqual([0, 0]);
  });

  it('reports its kind and target', () => {
    expect(Skip.skipToLast('b').kind).toBe('skipToLast');
    expect(Skip.skipToLast('b').variable).toBe('b');
    expect(String(Skip.skipPastLastEvent())).toBe('skipPastLastEvent');
  });
});
