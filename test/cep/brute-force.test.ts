// Property test: on small random inputs the NFA (noSkip, no window) finds exactly the matches that a brute-force
// enumerator of all subsequences finds, counted with multiplicity (a duplicate or a missing match fails).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile, Pattern } from '../../src/cep/index.js';

type Kind = 'x' | 'y' | 'z';
interface Ev {
  readonly i: number;
  readonly k: Kind;
  /** Event time; the arrival index unless a test sets it. */
  readonly ts?: number;
}
const tsOf = (e: Ev): number => e.ts ?? e.i;
type Link = 'strict' | 'relaxed' | 'any' | 'notNext';
type Inner = 'strict' | 'relaxed' | 'any';
interface VarSpec {
  /** Kinds the condition accepts; undefined = no where() (matches anything). */
  accepts: readonly Kind[] | undefined;
  link: Link;
  /** min..max events (max Infinity = looping); min 0 = optional. notNext vars ignore this. */
  quant: { kind: 'single' } | { kind: 'times'; from: number; to: number } | { kind: 'more'; from: number };
  optional: boolean;
  inner: Inner;
}

const ok = (v: VarSpec, e: Ev): boolean => v.accepts === undefined || v.accepts.includes(e.k);

function build(vars: readonly VarSpec[]): Pattern<Ev> {
  let p: Pattern<Ev> | undefined;
  vars.forEach((v, idx) => {
    const name = `v${idx}`;
    if (p === undefined) p = Pattern.begin<Ev>(name);
    else if (v.link === 'strict') p = p.next(name);
    else if (v.link === 'relaxed') p = p.followedBy(name);
    else if (v.link === 'any') p = p.followedByAny(name);
    else p = p.notNext(name);
    if (v.accepts !== undefined) {
      const acc = v.accepts;
      p.where((e) => acc.includes(e.k));
    }
    if (v.link === 'notNext') return;
    if (v.quant.kind === 'times') {
      if (v.quant.from === v.quant.to) p.times(v.quant.from);
      else p.times(v.quant.from, v.quant.to);
    } else if (v.quant.kind === 'more') {
      if (v.quant.from === 1) p.oneOrMore();
      else p.timesOrMore(v.quant.from);
    }
    if (v.quant.kind !== 'single') {
      if (v.inner === 'strict') p.consecutive();
      else if (v.inner === 'any') p.allowCombinations();
    }
    if (v.optional) p.optional();
  });
  return p!;
}

/** Every assignment of increasing event indices to the variables that Flink's contiguity rules allow. */
/** With `within`, a match counts when the event that completes it (its last event, or for a trailing notNext the
 *  event after it) comes less than `within` after its first event. */
function bruteForce(vars: readonly VarSpec[], events: readonly Ev[], within = 0): string[] {
  const out: string[] = [];
  const taken: number[][] = vars.map(() => []);
  // `last` is the index of the last taken event, -1 before the first.
  const gapOk = (v: VarSpec, rule: Inner | Link, from: number, to: number): boolean => {
    if (from < 0) return true; // the first event of a match may start anywhere
    if (rule === 'strict') return to === from + 1;
    if (rule === 'relaxed') {
      for (let m = from + 1; m < to; m++) if (ok(v, events[m]!)) return false;
    }
    return true;
  };
  const visit = (vi: number, last: number): void => {
    if (vi === vars.length) {
      if (last < 0) return;
      if (within > 0) {
        const first = Math.min(...taken.filter((t) => t.length > 0).map((t) => t[0]!));
        const completing = vars[vars.length - 1]!.link === 'notNext' ? last + 1 : last;
        if (tsOf(events[completing]!) - tsOf(events[first]!) >= within) return;
      }
      out.push(signature(taken));
      return;
    }
    const v = vars[vi]!;
    if (v.link === 'notNext') {
      const nextEv = events[last + 1];
      if (vi === vars.length - 1) {
        // A trailing notNext completes on the next event, when that event is not forbidden.
        if (nextEv !== undefined && !ok(v, nextEv)) visit(vi + 1, last);
      } else if (nextEv === undefined || !ok(v, nextEv)) visit(vi + 1, last);
      return;
    }
    const min = v.quant.kind === 'single' ? 1 : v.quant.from;
    const max = v.quant.kind === 'single' ? 1 : v.quant.kind === 'times' ? v.quant.to : Infinity;
    if (v.optional) visit(vi + 1, last);
    const pick = (count: number, prev: number): void => {
      if (count >= min) visit(vi + 1, prev);
      if (count >= max) return;
      for (let j = prev + 1; j < events.length; j++) {
        if (!ok(v, events[j]!)) continue;
        const rule = count === 0 ? v.link : v.inner;
        if (!gapOk(v, rule, prev, j)) continue;
        taken[vi]!.push(j);
        pick(count + 1, j);
        taken[vi]!.pop();
      }
    };
    pick(0, last);
  };
  visit(0, -1);
  return out.sort();
}

function signature(taken: readonly (readonly number[])[]): string {
  return taken
    .map((t, k) => (t.length === 0 ? '' : `v${k}=${t.join(',')}`))
    .filter((s) => s !== '')
    .join(' ');
}

function runNfa(vars: readonly VarSpec[], events: readonly Ev[], within = 0): string[] {
  const nfa = compile(within > 0 ? build(vars).within(within) : build(vars));
  const st = nfa.createState();
  const out: string[] = [];
  for (const e of events) {
    for (const m of nfa.process(st, e, tsOf(e)).matches) {
      const taken = vars.map((_, k) => (m[`v${k}`] ?? []).map((x) => x.i));
      out.push(signature(taken));
    }
  }
  // Nothing may outlive its partial match: with all matches out, only live partials hold events.
  if (nfa.partialMatchCount(st) === 0) expect(st.buffer.eventCount).toBe(0);
  return out.sort();
}

const kindArb = fc.constantFrom<Kind>('x', 'y', 'z');
const eventsArb = fc.array(kindArb, { maxLength: 8 }).map((ks) => ks.map((k, i): Ev => ({ i, k })));
const acceptsArb = fc.option(fc.uniqueArray(kindArb, { minLength: 1, maxLength: 2 }), { nil: undefined, freq: 5 });
const quantArb = fc.oneof(
  { arbitrary: fc.constant({ kind: 'single' as const }), weight: 3 },
  fc.integer({ min: 1, max: 3 }).chain((from) => fc.integer({ min: from, max: 3 }).map((to) => ({ kind: 'times' as const, from, to }))),
  fc.integer({ min: 1, max: 2 }).map((from) => ({ kind: 'more' as const, from })),
);
const varArb: fc.Arbitrary<VarSpec> = fc.record({
  accepts: acceptsArb,
  link: fc.constantFrom<Link>('strict', 'relaxed', 'any', 'notNext'),
  quant: quantArb,
  optional: fc.boolean(),
  inner: fc.constantFrom<Inner>('strict', 'relaxed', 'any'),
});

/** Keep to what both sides model: notNext only right after a plain (single, mandatory) variable and followed by a
 *  mandatory variable or nothing; never two notNext in a row; at least one mandatory variable. */
function normalize(raw: readonly VarSpec[]): VarSpec[] {
  const vars = raw.map((v, k) => ({ ...v, link: k === 0 && v.link === 'notNext' ? ('relaxed' as Link) : v.link }));
  for (let k = 0; k < vars.length; k++) {
    const v = vars[k]!;
    if (v.link === 'notNext') {
      const prev = vars[k - 1]!;
      const next = vars[k + 1];
      if (prev.link === 'notNext' || prev.quant.kind !== 'single' || prev.optional) v.link = 'relaxed';
      else if (next !== undefined) next.optional = false;
    }
  }
  if (vars.every((v) => v.optional || v.link === 'notNext')) vars[0]!.optional = false;
  return vars;
}

function check(vars: readonly VarSpec[], events: readonly Ev[]): void {
  expect(runNfa(vars, events)).toEqual(bruteForce(vars, events));
}

const single = (accepts: Kind[] | undefined, link: Link = 'relaxed'): VarSpec => ({
  accepts,
  link,
  quant: { kind: 'single' },
  optional: false,
  inner: 'relaxed',
});
const evs = (s: string): Ev[] => [...s].map((k, i) => ({ i, k: k as Kind }));

describe('NFA (noSkip) equals a brute-force subsequence enumerator', () => {
  it('agrees on hand-picked cases', () => {
    check([single(['x']), single(['y'])], evs('xxyzy'));
    check([single(['x']), single(['y'], 'strict')], evs('xxyzy'));
    check([single(['x']), single(['y'], 'any')], evs('xxyzy'));
    check([single(['x']), single(['z'], 'notNext'), single(['y'])], evs('xzyxyy'));
    check([single(['x']), { ...single(['y']), quant: { kind: 'more', from: 1 } }, single(['z'])], evs('xyyxyz'));
    check([single(['x']), { ...single(['y']), quant: { kind: 'times', from: 1, to: 3 }, optional: true }, single(['z'])], evs('xyyyz'));
  });

  const patterns: Array<[string, fc.Arbitrary<VarSpec[]>]> = [
    ['followedBy', fc.tuple(acceptsArb, acceptsArb).map(([a, b]) => [single(a), single(b)])],
    ['next', fc.tuple(acceptsArb, acceptsArb).map(([a, b]) => [single(a), single(b, 'strict')])],
    ['followedByAny', fc.tuple(acceptsArb, acceptsArb).map(([a, b]) => [single(a), single(b, 'any')])],
    [
      'oneOrMore',
      fc
        .tuple(acceptsArb, acceptsArb, acceptsArb, fc.constantFrom<Inner>('strict', 'relaxed', 'any'))
        .map(([a, b, c, inner]) => [single(a), { ...single(b), quant: { kind: 'more' as const, from: 1 }, inner }, single(c)]),
    ],
    [
      'times ranges',
      fc
        .tuple(acceptsArb, acceptsArb, fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 3 }), fc.constantFrom<Inner>('strict', 'relaxed', 'any'))
        .map(([a, b, from, span, inner]) => [
          single(a),
          { ...single(b), quant: { kind: 'times' as const, from: Math.max(1, from), to: Math.max(1, from) + span - 1 }, optional: from === 0, inner },
        ]),
    ],
    [
      'optional',
      fc
        .tuple(acceptsArb, acceptsArb, acceptsArb, fc.constantFrom<Link>('strict', 'relaxed', 'any'))
        .map(([a, b, c, link]) => [single(a), { ...single(b, link), optional: true }, single(c, link)]),
    ],
    [
      'notNext',
      fc
        .tuple(acceptsArb, acceptsArb, acceptsArb, fc.boolean())
        .map(([a, n, c, trailing]) => (trailing ? [single(a), single(n ?? ['z'], 'notNext')] : [single(a), single(n ?? ['z'], 'notNext'), single(c)])),
    ],
    ['random chains', fc.array(varArb, { minLength: 1, maxLength: 3 }).map(normalize)],
  ];

  for (const [name, arb] of patterns) {
    it(`agrees for ${name}`, () => {
      fc.assert(
        fc.property(arb, eventsArb, (vars, events) => check(vars, events)),
        { numRuns: name === 'random chains' ? 600 : 250 },
      );
    });
  }

  it('agrees with `within`: a match counts only if it completes less than `within` after its first event', () => {
    const timed = fc.array(fc.tuple(kindArb, fc.integer({ min: 0, max: 3 })), { maxLength: 8 }).map((rows) => {
      let ts = 0;
      return rows.map(([k, dt], i): Ev => ({ i, k, ts: (ts += dt) }));
    });
    fc.assert(
      fc.property(fc.array(varArb, { minLength: 1, maxLength: 3 }).map(normalize), timed, fc.integer({ min: 1, max: 8 }), (vars, events, within) => {
        expect(runNfa(vars, events, within)).toEqual(bruteForce(vars, events, within));
      }),
      { numRuns: 500 },
    );
  });
});
