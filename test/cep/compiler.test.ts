import { describe, expect, it } from 'vitest';
import { AfterMatchSkipStrategy, compile, MalformedPatternError, Pattern } from '../../src/cep/index.js';
import { type CompiledPattern, compilePattern, IGNORE, PROCEED, TAKE } from '../../src/cep/nfa-compiler.js';
import { type Ev, kind } from './helpers.js';

const ACTION = { [TAKE]: 'take', [IGNORE]: 'ignore', [PROCEED]: 'proceed' } as const;

/** States as `name(kind): action>target ...`, conditions left out. */
function shape(c: CompiledPattern<Ev>): string[] {
  return c.states.map((s) => `${s.name}(${s.kind}):` + s.edges.map((e) => ` ${ACTION[e.action]}>${c.states[e.target]!.name}`).join(''));
}

describe('NFA compiler', () => {
  it('a followedBy b: take edges forward, relaxed IGNORE edges that stay put', () => {
    const c = compilePattern(Pattern.begin<Ev>('a').where(kind('a')).followedBy('b').where(kind('b')));
    expect(shape(c)).toEqual(['$endState$(final):', 'b(normal): take>$endState$ ignore>b', 'a(start): take>b ignore>a']);
    expect(c.states[c.start]!.name).toBe('a');
    expect(c.windowMs).toBe(0);
  });

  it('next has no IGNORE edge; followedByAny ignores unconditionally', () => {
    const strict = compilePattern(Pattern.begin<Ev>('a').next('b'));
    expect(shape(strict)[1]).toBe('b(normal): take>$endState$');
    const any = compilePattern(Pattern.begin<Ev>('a').where(kind('a')).followedByAny('b').where(kind('b')));
    const ignore = any.states[1]!.edges.find((e) => e.action === IGNORE)!;
    expect(ignore.condition!({ k: 'b', i: 0 }, { events: () => [], last: () => undefined, timestamp: 0 })).toBe(true);
  });

  it('oneOrMore: an entry state, a looping state that proceeds on, and an ignore state for relaxed inner contiguity', () => {
    const c = compilePattern(Pattern.begin<Ev>('a').followedBy('b').oneOrMore().followedBy('c'));
    expect(shape(c)).toEqual([
      '$endState$(final):',
      'c(normal): take>$endState$ ignore>c',
      'b(normal): proceed>c take>b ignore>b:1',
      'b:1(normal): take>b ignore>b:1',
      'b:2(normal): take>b ignore>b:2',
      'a(start): take>b:2 ignore>a',
    ]);
  });

  it('consecutive drops the inner IGNORE state; times(2,3) unrolls into three states', () => {
    const c = compilePattern(Pattern.begin<Ev>('a').next('b').times(2, 3).consecutive());
    expect(shape(c)).toEqual([
      '$endState$(final):',
      'b(normal): take>$endState$ proceed>$endState$',
      'b:1(normal): take>b',
      'b:2(normal): take>b:1',
      'a(start): take>b:2 ignore>a',
    ]);
  });

  it('notNext becomes a state with a PROCEED to a STOP state; a trailing notFollowedBy becomes a PENDING state', () => {
    const nn = compilePattern(Pattern.begin<Ev>('a').notNext('n').followedBy('b'));
    expect(shape(nn)).toContain('n:1(stop): take>n:1');
    expect(shape(nn)).toContain('n(normal): proceed>b proceed>n:1');
    const nf = compilePattern(Pattern.begin<Ev>('a').notFollowedBy('n').within(5));
    expect(shape(nf)).toContain('n(pending): proceed>n:1 ignore>n');
    expect(nf.windowMs).toBe(5);
  });

  it('a notFollowedBy in the middle guards the next variable with a PROCEED to STOP', () => {
    const c = compilePattern(Pattern.begin<Ev>('a').notFollowedBy('n').followedBy('b'));
    expect(shape(c)).toContain('b(normal): take>$endState$ ignore>b proceed>n');
  });

  it('takes the smallest within of the chain', () => {
    expect(compilePattern(Pattern.begin<Ev>('a').within(50).followedBy('b').within(20).followedBy('c').within(30)).windowMs).toBe(20);
  });

  it('rejects malformed patterns with MalformedPatternError', () => {
    const bad: Array<[string, () => unknown]> = [
      ['until on a single', () => Pattern.begin<Ev>('a').until(kind('x'))],
      ['until on times', () => Pattern.begin<Ev>('a').times(2).until(kind('x'))],
      ['two until', () => Pattern.begin<Ev>('a').oneOrMore().until(kind('x')).until(kind('y'))],
      ['trailing notFollowedBy without within', () => compile(Pattern.begin<Ev>('a').notFollowedBy('b'))],
      ['optional not', () => Pattern.begin<Ev>('a').notNext('b').optional()],
      ['optional notFollowedBy', () => Pattern.begin<Ev>('a').notFollowedBy('b').optional()],
      ['quantified not', () => Pattern.begin<Ev>('a').notNext('b').oneOrMore()],
      ['greedy not', () => Pattern.begin<Ev>('a').notFollowedBy('b').greedy()],
      ['not after optional', () => Pattern.begin<Ev>('a').optional().notFollowedBy('b')],
      ['duplicate names', () => compile(Pattern.begin<Ev>('a').followedBy('b').next('a'))],
      ['reserved name', () => compile(Pattern.begin<Ev>('$endState$'))],
      ['two quantifiers', () => Pattern.begin<Ev>('a').oneOrMore().times(2)],
      ['optional twice', () => Pattern.begin<Ev>('a').optional().optional()],
      ['times(0)', () => Pattern.begin<Ev>('a').times(0)],
      ['times(3, 2)', () => Pattern.begin<Ev>('a').times(3, 2)],
      ['times(1.5)', () => Pattern.begin<Ev>('a').times(1.5)],
      ['consecutive on a single', () => Pattern.begin<Ev>('a').consecutive()],
      ['allowCombinations on a single', () => Pattern.begin<Ev>('a').allowCombinations()],
      ['optional after greedy', () => Pattern.begin<Ev>('a').oneOrMore().greedy().next('b').optional()],
      ['unknown skip target', () => compile(Pattern.begin<Ev>('a', AfterMatchSkipStrategy.skipToFirst('zz')).next('b'))],
      ['within(0)', () => Pattern.begin<Ev>('a').within(0)],
      ['empty name', () => Pattern.begin<Ev>('')],
    ];
    for (const [what, f] of bad) expect(f, what).toThrow(MalformedPatternError);
  });

  it('accepts what Flink accepts: zeroOrMore, times(0, n), a trailing notFollowedBy with within, greedy loops', () => {
    expect(() => compile(Pattern.begin<Ev>('a').followedBy('b').zeroOrMore().followedBy('c'))).not.toThrow();
    expect(() => compile(Pattern.begin<Ev>('a').followedBy('b').times(0, 2).followedBy('c'))).not.toThrow();
    expect(() => compile(Pattern.begin<Ev>('a').notFollowedBy('b').within(10))).not.toThrow();
    expect(() => compile(Pattern.begin<Ev>('a').oneOrMore().greedy().until(kind('x')).next('c'))).not.toThrow();
    expect(Pattern.begin<Ev>('a').followedBy('b').times(0, 2).isOptional).toBe(true);
  });
});
