import { describe, expect, it } from 'vitest';
import { compile, Pattern } from '../../src/cep/index.js';
import { heldEvents, SharedBuffer } from '../../src/cep/shared-buffer.js';
import { type Ev, events, kind, run } from './helpers.js';

const V = [1] as const;

describe('shared buffer', () => {
  it('shares the event among the nodes that take it, and frees a chain with its last holder', () => {
    const buf = new SharedBuffer<string>();
    const root = buf.put('a', 'e1', 1, 0, null, V);
    buf.lock(root);
    // Two branches take e2 after the same prefix: two nodes pointing at one event, the prefix shared.
    const left = buf.put('b', 'e2', 2, 1, root, V);
    const right = buf.put('c', 'e2', 2, 1, root, V);
    buf.lock(left);
    buf.lock(right);
    expect(heldEvents([left, right])).toBe(2);
    expect(buf.nodeCount).toBe(3);
    expect(left.prev).toBe(right.prev);
    expect(buf.extract(left)).toEqual({ a: ['e1'], b: ['e2'] });
    expect(buf.extract(right)).toEqual({ a: ['e1'], c: ['e2'] });

    buf.release(root); // the partial match at `root` moved on; its branches still hold it
    expect(buf.nodeCount).toBe(3);
    buf.release(left); // e2 is still held by `right`, and so is e1 through it
    expect([buf.nodeCount, heldEvents([right])]).toEqual([2, 2]);
    buf.release(right); // last holder: the chain is freed back to its first event
    expect(buf.nodeCount).toBe(0);
    expect(() => buf.release(right)).toThrow(/not held/);
  });

  it('eventsOf returns one variable in order, and a shared empty array when none', () => {
    const buf = new SharedBuffer<number>();
    let n = buf.put('a', 1, 1, 0, null, V);
    n = buf.put('b', 2, 2, 1, n, V);
    n = buf.put('a', 3, 3, 2, n, V);
    expect(buf.eventsOf(n, 'a')).toEqual([1, 3]);
    expect(buf.eventsOf(n, 'x')).toHaveLength(0);
    expect(buf.eventsOf(null, 'a')).toHaveLength(0);
    // lastOf is eventsOf's last element, found by walking back.
    expect([buf.lastOf(n, 'a'), buf.lastOf(n, 'b'), buf.lastOf(n, 'x'), buf.lastOf(null, 'a')]).toEqual([3, 2, undefined, undefined]);
    const t = buf.trace(n);
    expect([t.firstSeq, t.lastSeq, t.firstSeqOf('a'), t.lastSeqOf('a'), t.firstSeqOf('b'), t.lastSeqOf('x')]).toEqual([0, 2, 0, 2, 1, -1]);
  });

  it('branches of the NFA share their prefix node and never copy events', () => {
    const p = Pattern.begin<Ev>('a').where(kind('a')).followedByAny('b').where(kind('b')).followedBy('c').where(kind('c'));
    const nfa = compile(p);
    const st = nfa.createState();
    events('a b b').forEach((e) => {
      nfa.process(st, e, e.i);
    });
    const waitingForC = st.partials.filter((cs) => cs.node?.variable === 'b');
    expect(waitingForC).toHaveLength(2);
    expect(waitingForC[0]!.node!.prev).toBe(waitingForC[1]!.node!.prev);
    expect(st.buffer.eventCount).toBe(3);
  });

  it('frees every entry once no partial match needs it: after matches, after timeouts, after stop states', () => {
    const matched = run(Pattern.begin<Ev>('a').where(kind('a')).followedBy('b').where(kind('b')), events('a a x b'));
    expect(matched.matches).toEqual(['a=0 b=3', 'a=1 b=3']);
    expect(matched.nfa.partialMatchCount(matched.state)).toBe(0);
    expect([matched.state.buffer.eventCount, matched.state.buffer.nodeCount]).toEqual([0, 0]);

    const timed = run(Pattern.begin<Ev>('a').where(kind('a')).followedBy('b').where(kind('b')).oneOrMore().within(5), events('a b b x'), { endTime: 100 });
    expect(timed.timedOut).toEqual(['a=0 b=1,2 @5']);
    expect([timed.state.buffer.eventCount, timed.state.buffer.nodeCount]).toEqual([0, 0]);

    const stopped = run(Pattern.begin<Ev>('a').where(kind('a')).notFollowedBy('n').where(kind('n')).followedBy('b').where(kind('b')), events('a a n x'));
    expect(stopped.matches).toEqual([]);
    expect(stopped.nfa.partialMatchCount(stopped.state)).toBe(0);
    expect([stopped.state.buffer.eventCount, stopped.state.buffer.nodeCount]).toEqual([0, 0]);
  });

  it('holds exactly the events of live partial matches', () => {
    const r = run(Pattern.begin<Ev>('a').where(kind('a')).followedBy('b').where(kind('b')).followedBy('c').where(kind('c')), events('a x a b y'));
    // two partial matches (a0 b3) and (a2 b3): events a0, a2, b3 are held once each
    expect(r.nfa.partialMatchCount(r.state)).toBe(2);
    expect(r.state.buffer.eventCount).toBe(3);
    expect(r.state.buffer.nodeCount).toBe(4);
  });
});
