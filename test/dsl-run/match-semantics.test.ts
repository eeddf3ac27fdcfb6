/**
 * The `define` / `match` section of DSL.md, one complete pattern per connector, quantifier and skip strategy,
 * run together over one small keyed sequence. The expected matches are derived by hand from Flink CEP's
 * documented semantics (not from the engine), so this is an independent oracle for the compiler.
 */
import { describe, expect, it } from 'vitest';
import { runFiles, s, T0 } from './helpers.js';

const CONDITIONS: Readonly<Record<string, string>> = { a: 't == "a"', b: 't == "b"', c: 't == "c"', d: 't == "d"', x: 't in ["a", "c"]' };

/** name -> match clause (and optional after-match line). */
const PATTERNS: Readonly<Record<string, string>> = {
  strict: 'a next b',
  relaxed: 'a followed by b',
  branching: 'a followed by any b',
  not_next_hit: 'a not next c',
  not_next_miss: 'a not next b',
  not_followed_hit: 'a not followed by c followed by b',
  not_followed_miss: 'a not followed by d followed by b',
  loop: 'a followed by b+',
  loop_consecutive: 'a followed by b+ consecutive',
  times: 'a followed by b{2}',
  times_range: 'a followed by b{1,2}',
  optional_middle: 'a followed by c? followed by b',
  optional_times: 'a followed by c{2}? followed by b',
  loop_until: 'a followed by b+ until t == "x"',
  skip_next: 'a followed by b+\n  after match skip to next',
  no_skip: 'x followed by b',
  skip_past: 'x followed by b\n  after match skip past last event',
};

function file(): string {
  let text = 'source events\n  event time ts\n  watermark 0s out of order\n\n';
  for (const [name, match] of Object.entries(PATTERNS)) {
    const clause = (match.split('\n')[0] as string).replace(/"[^"]*"/g, '');
    const used = Object.keys(CONDITIONS).filter((v) => new RegExp(`\\b${v}\\b`).test(clause));
    const define = used.map((v) => `    ${v} as ${CONDITIONS[v]}\n`).join('');
    text += `pattern ${name}\n  from events\n  key by k\n  define\n${define}  match ${match}\n\n`;
  }
  return text;
}

// k1: a1 c1 b1 x1 b2      k2: b3 a2 b4
const EVENTS = [
  ['k1', 'a', 'a1'],
  ['k1', 'c', 'c1'],
  ['k1', 'b', 'b1'],
  ['k1', 'x', 'x1'],
  ['k1', 'b', 'b2'],
  ['k2', 'b', 'b3'],
  ['k2', 'a', 'a2'],
  ['k2', 'b', 'b4'],
].map(([k, t, id], i) => ({ k, t, id, ts: T0 + s(i + 1) }));

describe('connectors, quantifiers and skip strategies against hand-derived Flink results', async () => {
  const r = await runFiles({ patterns: { 'm.pattern': file() }, input: EVENTS, schema: false });
  const got = new Map<string, string[]>();
  for (const o of r.outputs) {
    expect(o['timeout']).toBeUndefined();
    const match = o['match'] as Record<string, { id: string }[]>;
    const ids = Object.values(match)
      .flat()
      .map((e) => e.id)
      .join(' ');
    got.set(o['pattern'] as string, [...(got.get(o['pattern'] as string) ?? []), ids]);
  }
  const matches = (name: string): string[] => [...(got.get(name) ?? [])].sort();

  const expected: Readonly<Record<string, string[]>> = {
    // k1: a1 is followed by c1, not b; k2: a2 next b4.
    strict: ['a2 b4'],
    // followedBy takes the first b after a, and only that one.
    relaxed: ['a1 b1', 'a2 b4'],
    // followedByAny branches on every b.
    branching: ['a1 b1', 'a1 b2', 'a2 b4'],
    not_next_hit: ['a2'],
    not_next_miss: ['a1'],
    // c1 comes between a1 and b1: k1 is killed; k2 has no c.
    not_followed_hit: ['a2 b4'],
    not_followed_miss: ['a1 b1', 'a2 b4'],
    // Reluctant oneOrMore, relaxed inside the loop: each new b extends the partial match and emits.
    loop: ['a1 b1', 'a1 b1 b2', 'a2 b4'],
    // consecutive: x1 sits between b1 and b2, so the loop cannot take b2.
    loop_consecutive: ['a1 b1', 'a2 b4'],
    times: ['a1 b1 b2'],
    times_range: ['a1 b1', 'a1 b1 b2', 'a2 b4'],
    // c1 may be taken or skipped: both lead to b1.
    optional_middle: ['a1 b1', 'a1 c1 b1', 'a2 b4'],
    // `c{2}?` is no c or exactly two: one c1 cannot be taken.
    optional_times: ['a1 b1', 'a2 b4'],
    // x1 (t == "x") ends the loop before b2.
    loop_until: ['a1 b1', 'a2 b4'],
    // skip to next: a1 b1 discards the other partial matches that started at a1 (a1 b1 b2).
    skip_next: ['a1 b1', 'a2 b4'],
    // x is a or c: a1 and c1 both start matches that end at b1 (no skip).
    no_skip: ['a1 b1', 'a2 b4', 'c1 b1'],
    // skip past last event: the match a1 b1 discards c1's partial match, which started before b1.
    skip_past: ['a1 b1', 'a2 b4'],
  };

  for (const [name, want] of Object.entries(expected)) {
    it(`${name}: match ${PATTERNS[name]?.split('\n')[0]}`, () => {
      expect(matches(name)).toEqual([...want].sort());
    });
  }
});
