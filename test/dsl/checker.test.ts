import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type * as A from '../../src/dsl/ast.js';
import { builtinFunctions, type CheckedProgram, type CheckOptions, checkProgram, compileSources, formatDslError, parseProgram } from '../../src/dsl/index.js';
import { FIXTURES, lookups, trafficFunctions } from './helpers.js';

function check(source: string, options: CheckOptions = {}): { program: CheckedProgram | null; errors: string[] } {
  const parsed = parseProgram(source, 't.pattern');
  if (!parsed.ok) throw new Error(formatDslError(parsed.error, source));
  const r = checkProgram(parsed.program, { functions: trafficFunctions(), lookups: lookups(), ...options });
  return { program: r.program, errors: r.errors.map((e) => `${e.line}:${e.col}: ${e.message}`) };
}

function clean(source: string, options: CheckOptions = {}): CheckedProgram {
  const r = check(source, options);
  if (r.program === null) throw new Error(r.errors.join('\n'));
  return r.program;
}

/** Finds the first node of a kind satisfying a test, depth first. */
function find<T extends { kind: string }>(root: unknown, kind: T['kind'], test: (n: T) => boolean = () => true): T {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const n = stack.pop();
    if (typeof n !== 'object' || n === null) continue;
    if ((n as { kind?: unknown }).kind === kind && test(n as T)) return n as T;
    stack.push(...Object.values(n).reverse());
  }
  throw new Error(`no ${kind}`);
}

const example = readFileSync(join(FIXTURES, 'contract-example.pattern'), 'utf8');

describe('the checked program carries what the compiler needs', () => {
  const checked = clean(example);
  const pattern = checked.patterns.get('cloned_plate');
  if (pattern === undefined) throw new Error('no pattern');
  const decl = pattern.decl;
  const defineB = decl.defines[1] as A.Define;

  test('parameters with defaults and types', () => {
    expect(pattern.params.map((p) => [p.name, p.default, p.type])).toEqual([
      ['max_speed_kmh', 180, 'number'],
      ['min_km', 2, 'number'],
    ]);
    const ref = find<A.FieldRef>(defineB.cond, 'field', (f) => f.name === 'min_km');
    expect(checked.bindings.get(ref)).toEqual({ kind: 'param', param: 'min_km', type: 'number' });
  });

  test('what each name binds to: current record field, last event of an earlier variable', () => {
    const bare = find<A.FieldRef>(defineB.cond, 'field', (f) => f.name === 'checkpoint');
    expect(checked.bindings.get(bare)).toEqual({ kind: 'field', field: 'checkpoint', type: 'unknown' });
    const earlier = find<A.MemberRef>(defineB.cond, 'member', (m) => m.variable.name === 'a');
    expect(checked.bindings.get(earlier)).toMatchObject({ kind: 'last', variable: 'a', field: 'checkpoint' });
    const inEmit = find<A.MemberRef>(decl.emit, 'member', (m) => m.variable.name === 'b');
    expect(checked.bindings.get(inEmit)).toMatchObject({ kind: 'last', variable: 'b' });
  });

  test('resolved types: event time is a timestamp, differences are durations, calls resolve', () => {
    const diff = find<A.Binary>(defineB.cond, 'binary', (b) => b.op === '-');
    expect(checked.types.get(diff)).toBe('duration');
    const hours = find<A.Call>(defineB.cond, 'call', (c) => c.callee.name === 'hours');
    expect(checked.calls.get(hours)?.name).toBe('hours');
    expect(checked.types.get(hours)).toBe('number');
    expect(checked.types.get(defineB.cond)).toBe('boolean');
  });

  test('variables in match order with their conditions', () => {
    expect(pattern.variables.map((v) => [v.name, v.index, v.negated, v.optional, v.repeating, v.condition !== null])).toEqual([
      ['a', 0, false, false, false, true],
      ['b', 1, false, false, false, true],
    ]);
  });

  test('window streams produce a closed schema with window_start and window_end; late streams are known', () => {
    const flow = checked.streams.get('flow_1m');
    expect([...(flow?.output.fields.entries() ?? [])]).toEqual([
      ['checkpoint', 'unknown'],
      ['flow', 'number'],
      ['avg_speed', 'unknown'],
      ['window_start', 'timestamp'],
      ['window_end', 'timestamp'],
    ]);
    expect(flow?.output.open).toBe(false);
    expect(checked.lateStreams.get('flow_late')?.producers.map((p) => p.name.name)).toEqual(['flow_1m']);
    expect(checked.lateStreams.get('clone_late')?.producers.map((p) => p.name.name)).toEqual(['cloned_plate']);
    const seen = checked.streams.get('seen');
    expect(seen?.output.fields.get('is_new')).toBe('boolean');
    expect([...(seen?.lookups.values() ?? [])].map((l) => l.name)).toEqual(['first_seen']);
  });
});

describe('aggregates over pattern variables', () => {
  const source = `source s event time ts
pattern p from s
  define
    b as count(b) < 3 and sum(b.v) > 0
  match a followed by b+ until count(b) > 2 and avg(b.v) > 1 followed by c
  emit { n: count(b), m: max(b.v) }`;
  const checked = clean(source);
  const decl = checked.patterns.get('p')?.decl;
  if (decl === undefined) throw new Error('no pattern');

  test('inside define of the variable itself the event under test is included; in until it is not', () => {
    const inDefine = find<A.Aggregate>(decl.defines, 'aggregate', (g) => g.fn === 'count');
    expect(checked.aggregates.get(inDefine)).toEqual({ kind: 'variable', fn: 'count', variable: 'b', field: null, includesCurrent: true, type: 'number' });
    const until = decl.match[1]?.term.modifiers[0];
    const inUntil = find<A.Aggregate>(until, 'aggregate', (g) => g.fn === 'avg');
    expect(checked.aggregates.get(inUntil)).toMatchObject({ variable: 'b', field: 'v', includesCurrent: false });
    const inEmit = find<A.Aggregate>(decl.emit, 'aggregate', (g) => g.fn === 'max');
    expect(checked.aggregates.get(inEmit)).toMatchObject({ variable: 'b', field: 'v', includesCurrent: false });
  });

  test('v.f inside its own define or until is the event under test', () => {
    const r = clean(`source s event time ts
pattern p from s define a as a.v > 1 match a+ until a.v > 9 followed by b`);
    const d = r.patterns.get('p')?.decl;
    const inDefine = find<A.MemberRef>(d?.defines, 'member');
    expect(r.bindings.get(inDefine)).toMatchObject({ kind: 'current', variable: 'a', field: 'v' });
  });
});

describe('schemas', () => {
  const schema = { ts: 'number', plate: 'string', speed: 'number', checkpoint: 'string' } as const;

  test('a record schema types fields and rejects unknown ones', () => {
    const r = check(
      `source s event time ts
stream t = from s where plate * 2 > 1 and speeed > 1 and lower(speed) == "x"`,
      { schema },
    );
    expect(r.errors).toEqual([
      "2:31: cannot apply '*' to a string and a number",
      "2:43: unknown field 'speeed' in the records of 's'; did you mean 'speed'?",
      "2:64: argument 1 of 'lower' must be a string, got a number",
    ]);
  });

  test('per-source schemas win over the default one', () => {
    const r = check('source s event time ts\nstream t = from s where lane > 1', { schema, sourceSchemas: { s: { ts: 'number', lane: 'number' } } });
    expect(r.errors).toEqual([]);
  });

  test('a pattern over a window stream sees only the selected fields', () => {
    const r = check(`source s event time ts
stream f = from s key by checkpoint window tumbling 1m select checkpoint, count() as flow
pattern p from f define a as flow > 10 and speed > 1 match a+ followed by b emit { cp: b.checkpoint, w: b.window_end, x: b.nope }`);
    expect(r.errors).toEqual(["3:44: unknown field 'speed' in the records of 'f'", "3:122: unknown field 'nope' in the records of 'f'"]);
  });

  test('output types do not depend on declaration order', () => {
    const stream = 'stream f = from s key by k window tumbling 1m select k, count() as flow';
    const pattern = 'pattern p from f define a as flow + "x" == "y" match a';
    for (const source of [`source s event time ts\n${stream}\n${pattern}`, `${pattern}\n${stream}\nsource s event time ts`]) {
      expect(check(source).errors.map((e) => e.replace(/^\d+:\d+: /, ''))).toEqual(["cannot apply '+' to a number and a string"]);
    }
  });

  test('enriched fields are typed by the lookup', () => {
    expect(check('source s event time ts\nstream a = from s enrich n = first_seen(p)\nstream b = from a where n + 1 > 0').errors).toEqual([
      "3:27: cannot apply '+' to a boolean and a number",
    ]);
  });
});

describe('functions and files', () => {
  test('a domain function is unknown until a module registers it', () => {
    const source = 'source s event time ts\nstream t = from s where distance_km(a, b) > 1';
    const parsed = parseProgram(source, 't.pattern');
    if (!parsed.ok) throw new Error('parse');
    expect(checkProgram(parsed.program).errors.map((e) => e.message)).toEqual(["unknown function 'distance_km'"]);
    const functions = builtinFunctions().register({
      name: 'distance_km',
      params: ['string', 'string'],
      minArgs: 2,
      maxArgs: 2,
      returns: 'number',
      impl: () => 0,
    });
    expect(checkProgram(parsed.program, { functions }).errors).toEqual([]);
  });

  test('registering a name twice is a programming error', () => {
    expect(() => builtinFunctions().register({ name: 'abs', params: [], minArgs: 0, maxArgs: 0, returns: 'number', impl: () => 0 })).toThrow(
      "function 'abs' is already registered",
    );
  });

  test('built-in implementations: null in, null out; min/max keep durations', () => {
    const f = builtinFunctions();
    expect(f.get('round')?.impl(2.5)).toBe(3);
    expect(f.get('round')?.impl(-2.5)).toBe(-3);
    expect(f.get('round')?.impl(1.2345, 2)).toBe(1.23);
    expect(f.get('hours')?.impl(5_400_000)).toBe(1.5);
    expect(f.get('lower')?.impl(null)).toBeNull();
    expect(f.get('max')?.impl(1, 7, 3)).toBe(7);
    expect(f.get('starts_with')?.impl('京A123', '京')).toBe(true);
    const max = f.get('max')?.returns;
    expect(typeof max === 'function' ? max(['duration', 'duration']) : max).toBe('duration');
  });

  test('declarations may refer across files; the program is checked as one', () => {
    const r = compileSources([
      { file: 'sources.pattern', source: 'source passes event time ts' },
      { file: 'rules.pattern', source: 'pattern p from passes match a followed by b emit { x: a.plate }' },
    ]);
    expect(r.errors).toEqual([]);
    expect(r.program?.sources.has('passes')).toBe(true);
  });

  test('compileSources reports parse errors of every file', () => {
    const r = compileSources([
      { file: 'a.pattern', source: 'source' },
      { file: 'b.pattern', source: 'stream s = from' },
    ]);
    expect(r.errors.map((e) => `${e.file}:${e.line}:${e.col}: ${e.message}`)).toEqual([
      "a.pattern:1:7: expected a name after 'source', found end of input",
      "b.pattern:1:16: expected a name after 'from', found end of input",
    ]);
  });
});

describe('constants', () => {
  test('within and window sizes accept parameters and constant arithmetic', () => {
    expect(
      check(`source s event time ts
pattern p(gap = 10m) from s match a followed by b within gap * 2`).errors,
    ).toEqual([]);
    expect(
      check(`source s event time ts
pattern p(gap = 10m) from s match a followed by b within gap - 20m`).errors,
    ).toEqual(["2:58: 'within' must be a positive duration, got -600000ms"]);
    expect(
      check(`source s event time ts
stream t = from s key by k window tumbling speed select k`).errors,
    ).toEqual(["2:44: 'speed' is not a constant; only literals and parameters may be used in 'window size'"]);
  });

  test('a duration past 2^52 ms is refused: an event time plus it would not be an exact integer', () => {
    expect(
      check(`source s event time ts
pattern p from s match a followed by b within 100000000000d`).errors,
    ).toEqual(["2:47: 'within' is too long: 8640000000000000000ms (at most 2^52 ms, about 142,000 years)"]);
    expect(
      check(`source s event time ts
stream t = from s key by k window tumbling 52000000d select k`).errors,
    ).toEqual([]);
  });
});

describe('a pattern read as a stream, and a union', () => {
  const SRC = 'source passes\n  event time ts\n';
  const HOP =
    'pattern hop\n  from passes\n  key by plate\n  match a next b\n' +
    '  emit { plate: a.plate, gap: b.ts - a.ts, at: b.ts, km: distance_km(a.checkpoint, b.checkpoint), far: distance_km(a.checkpoint, b.checkpoint) > 1, pair: { a: a.checkpoint } }\n';
  const schema = { ts: 'number', plate: 'string', checkpoint: 'string', speed: 'number' } as const;

  test("its records have the emit's keys, typed from the emit's expressions, in a closed schema", () => {
    const p = clean(SRC + HOP + 'stream far_hops = from hop where far\n', { schema });
    const hop = p.patterns.get('hop');
    expect(hop?.output.open).toBe(false);
    expect([...(hop?.output.fields ?? [])]).toEqual([
      ['plate', 'string'],
      ['gap', 'duration'],
      ['at', 'timestamp'],
      ['km', 'number'],
      ['far', 'boolean'],
      ['pair', 'object'],
    ]);
    expect(p.streams.get('far_hops')?.output).toEqual(hop?.output);
  });

  test('a union has the common schema of its inputs, types mixed as in `if`', () => {
    const p = clean(
      SRC +
        HOP +
        'stream spot = from passes select plate, speed as v, null as gap\n' +
        'stream hop_gaps = from hop select plate, null as v, gap\n' +
        'stream both = from spot union hop_gaps\n  key by plate\n  window tumbling 1m\n  select plate, avg(v) as v, max(gap) as gap\n',
      { schema },
    );
    expect([...(p.streams.get('both')?.input.fields ?? [])]).toEqual([
      ['plate', 'string'],
      ['v', 'number'],
      ['gap', 'duration'],
    ]);
    expect(p.streams.get('both')?.input.open).toBe(false);
  });

  test('a pattern may read another pattern directly, and a pattern with no emit gives empty records', () => {
    const r = check(
      SRC +
        HOP +
        'pattern long\n  from hop\n  define\n    h as gap > 10m\n  match h\n  emit { plate: h.plate }\n' +
        'pattern bare\n  from passes\n  match x\nstream s = from bare select nope\n',
      { schema },
    );
    expect(r.errors).toEqual(["17:29: unknown field 'nope' in the records of 'bare'"]);
  });
});
