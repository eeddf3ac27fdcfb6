// Property test of the shared buffer's reference counting over random patterns (all contiguities, quantifiers,
// not-patterns, until, greedy, every skip strategy, within): after every event the buffer holds exactly the nodes
// and events reachable from live computation states, versions along every chain are Dewey-compatible, and once
// time passes every window the buffer holds nothing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deweyCompatible } from '../../src/cep/dewey.js';
import { compile, MalformedPatternError, type NfaKeyState, Pattern, AfterMatchSkipStrategy as Skip } from '../../src/cep/index.js';
import type { BufferNode } from '../../src/cep/shared-buffer.js';
import { type Ev, kind } from './helpers.js';

type Step =
  | { op: 'next' | 'followedBy' | 'followedByAny' | 'notNext' | 'notFollowedBy'; k: string }
  | { op: 'oneOrMore' | 'zeroOrMore' | 'optional' | 'greedy' | 'consecutive' | 'allowCombinations' }
  | { op: 'times'; from: number; to: number }
  | { op: 'until'; k: string };

const letter = fc.constantFrom('a', 'b', 'c');
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constantFrom('next' as const, 'followedBy' as const, 'followedByAny' as const, 'notNext' as const, 'notFollowedBy' as const), k: letter }),
  fc.record({
    op: fc.constantFrom(
      'oneOrMore' as const,
      'zeroOrMore' as const,
      'optional' as const,
      'greedy' as const,
      'consecutive' as const,
      'allowCombinations' as const,
    ),
  }),
  fc.integer({ min: 0, max: 2 }).chain((from) => fc.integer({ min: Math.max(1, from), max: 3 }).map((to) => ({ op: 'times' as const, from, to }))),
  fc.record({ op: fc.constant('until' as const), k: letter }),
);
const skipArb = fc.constantFrom(
  () => Skip.noSkip(),
  () => Skip.skipToNext(),
  () => Skip.skipPastLastEvent(),
  () => Skip.skipToFirst('v0'),
  () => Skip.skipToLast('v0'),
);

/** Builds a pattern from random steps, skipping the ones the builder rejects (as a user would have to). */
function build(first: string, steps: readonly Step[], skip: Skip): Pattern<Ev> | undefined {
  let p = Pattern.begin<Ev>('v0', skip).where(kind(first));
  let n = 1;
  for (const s of steps) {
    try {
      switch (s.op) {
        case 'next':
        case 'followedBy':
        case 'followedByAny':
        case 'notNext':
        case 'notFollowedBy':
          p = p[s.op](`v${n++}`).where(kind(s.k));
          break;
        case 'times':
          p = p.times(s.from, s.to);
          break;
        case 'until':
          p = p.until(kind(s.k));
          break;
        default:
          p = p[s.op]();
      }
    } catch (e) {
      if (!(e instanceof MalformedPatternError)) throw e;
    }
  }
  return p.within(6);
}

/** Nodes and events reachable from the key's computation states, counted the slow way. */
function reachable(st: NfaKeyState<Ev>): { nodes: number; events: number } {
  const nodes = new Set<BufferNode<Ev>>();
  for (const cs of [...st.partials, ...st.completed]) for (let n = cs.node; n !== null && !nodes.has(n); n = n.prev) nodes.add(n);
  return { nodes: nodes.size, events: new Set([...nodes].map((n) => n.event)).size };
}

describe('shared buffer reference counts', () => {
  it('hold exactly what live partial matches reach, and nothing once every window has passed', () => {
    const eventsArb = fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'x'), fc.integer({ min: 0, max: 2 })), { maxLength: 12 });
    fc.assert(
      fc.property(letter, fc.array(stepArb, { maxLength: 6 }), skipArb, eventsArb, (first, steps, skip, input) => {
        const pattern = build(first, steps, skip());
        if (pattern === undefined) return;
        let nfa;
        try {
          nfa = compile(pattern, { maxPartialMatchesPerKey: 50 });
        } catch (e) {
          if (e instanceof MalformedPatternError) return;
          throw e;
        }
        const st = nfa.createState();
        let ts = 0;
        input.forEach(([k, dt], i) => {
          ts += dt;
          nfa.process(st, { k, i }, ts);
          const r = reachable(st);
          expect(st.buffer.nodeCount).toBe(r.nodes);
          expect(st.buffer.eventCount).toBe(r.events);
          // Dewey numbering: a branch's version descends from the version that took each event on its chain.
          for (const cs of [...st.partials, ...st.completed]) {
            if (cs.node !== null) expect(deweyCompatible(cs.version, cs.node.version)).toBe(true);
            for (let n = cs.node; n !== null && n.prev !== null; n = n.prev) expect(deweyCompatible(n.version, n.prev.version)).toBe(true);
          }
        });
        nfa.advanceTime(st, ts + 6);
        expect(nfa.partialMatchCount(st)).toBe(0);
        expect(st.completed).toHaveLength(0);
        expect([st.buffer.nodeCount, st.buffer.eventCount]).toEqual([0, 0]);
      }),
      { numRuns: 400 },
    );
  });
});

describe('couldStart', () => {
  it('is false only for events that leave a fresh key state unchanged and produce nothing', () => {
    const eventsArb = fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'x'), fc.integer({ min: 0, max: 2 })), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(letter, fc.array(stepArb, { maxLength: 6 }), skipArb, eventsArb, (first, steps, skip, input) => {
        const pattern = build(first, steps, skip());
        if (pattern === undefined) return;
        let nfa;
        try {
          nfa = compile(pattern);
        } catch (e) {
          if (e instanceof MalformedPatternError) return;
          throw e;
        }
        let ts = 0;
        input.forEach(([k, dt], i) => {
          ts += dt;
          const event = { k, i };
          if (nfa.couldStart(event, ts)) return;
          const st = nfa.createState();
          const out = nfa.process(st, event, ts);
          expect([out.matches.length, out.timedOut.length, nfa.partialMatchCount(st), st.completed.length]).toEqual([0, 0, 0, 0]);
        });
      }),
      { numRuns: 1000 },
    );
  });
});
