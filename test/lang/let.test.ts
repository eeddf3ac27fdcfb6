/**
 * `let` in a pattern: named expressions, expanded where they are used and then checked and compiled as if the
 * body were written there.
 */
import { describe, expect, test } from 'vitest';
import { checkProgram, formatDslError, parseProgram, printExpr } from '../../src/dsl/index.js';
import { trafficFunctions } from '../dsl/helpers.js';
import { m, runFiles, T0 } from '../dsl-run/helpers.js';

const SOURCE = 'source passes\n  event time ts\n  watermark 0s out of order\n';

function check(text: string) {
  const source = SOURCE + text;
  const parsed = parseProgram(source, 'p.pattern');
  if (!parsed.ok) return { errors: [formatDslError(parsed.error, source)], program: null };
  const r = checkProgram(parsed.program, { functions: trafficFunctions() });
  return { errors: r.errors.map((e) => formatDslError(e, source)), program: r.program };
}

const firstLines = (errors: readonly string[]): string[] => errors.map((e) => e.split('\n')[0] as string);

describe('let: expansion', () => {
  test('a use is the body with the arguments in place: expression parameters and variable parameters (x.f)', () => {
    const { errors, program } = check(`pattern p(min_km = 3)
  from passes
  let far_at(p1, p2) = distance_km(p1, p2) >= min_km
  let far(x, y) = far_at(x.checkpoint, y.checkpoint)
  let quick = ts - a.ts < 10m
  define
    b as far(a, b) and quick
  match a next b
  emit { far: far(a, b), n: far_at("CP0001", b.checkpoint) }
`);
    expect(errors).toEqual([]);
    const decl = program?.patterns.get('p')?.decl;
    expect(decl?.lets).toEqual([]);
    expect(printExpr(decl?.defines[0]?.cond ?? { kind: 'null', pos: { file: '', line: 1, col: 1 } })).toBe(
      'distance_km(a.checkpoint, b.checkpoint) >= min_km and ts - a.ts < 10m',
    );
    expect(decl?.emit === null || decl?.emit === undefined ? '' : printExpr(decl.emit)).toBe(
      '{ far: distance_km(a.checkpoint, b.checkpoint) >= min_km, n: distance_km("CP0001", b.checkpoint) >= min_km }',
    );
  });

  test('a parameter shadows a let, a pattern parameter and a field of the same name', () => {
    const { errors, program } = check(`pattern p(limit = 100)
  from passes
  let speed = 1
  let over(speed, limit) = speed > limit
  define a as over(a.speed, 120)
  match a
`);
    expect(errors).toEqual([]);
    const cond = program?.patterns.get('p')?.decl.defines[0]?.cond;
    expect(cond === undefined ? '' : printExpr(cond)).toBe('a.speed > 120');
  });

  test('emit and on timeout emit may come in either order', () => {
    const a = check('pattern p from passes match a next b within 1m emit { x: 1 } on timeout emit { y: 2 }\n');
    const b = check('pattern p from passes match a next b within 1m on timeout emit { y: 2 } emit { x: 1 }\n');
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
    const pa = a.program?.patterns.get('p')?.decl;
    const pb = b.program?.patterns.get('p')?.decl;
    expect([pa?.emit?.entries[0]?.key, pa?.onTimeout?.entries[0]?.key]).toEqual(['x', 'y']);
    expect([pb?.emit?.entries[0]?.key, pb?.onTimeout?.entries[0]?.key]).toEqual(['x', 'y']);
  });
});

describe('let: errors, each at its place', () => {
  const cases: readonly { name: string; text: string; expected: string[] }[] = [
    {
      name: 'wrong number of arguments',
      text: 'pattern p from passes\n  let far(x, y) = x.speed > y.speed\n  define b as far(a)\n  match a next b\n',
      expected: ["p.pattern:6:15: 'far' takes 2 arguments, got 1"],
    },
    {
      name: 'an expression where the body needs a variable',
      text: 'pattern p from passes\n  let faster(x) = x.speed > 100\n  define a as faster(speed + 1)\n  match a\n',
      expected: ["p.pattern:6:22: 'faster' uses its parameter 'x' as a pattern variable (x.speed), so it needs a variable here, not an expression"],
    },
    {
      name: 'a let used above its definition, or by itself',
      text: 'pattern p from passes\n  let a1 = b1 > 1\n  let b1 = b1 + 1\n  define a as a1\n  match a\n',
      expected: [
        "p.pattern:5:12: 'b1' is the let at line 6; a let may use only the lets above it",
        "p.pattern:6:12: 'b1' cannot use itself: a let is expanded in place, so it cannot recurse",
      ],
    },
    {
      name: 'a let with parameters used as a bare name',
      text: 'pattern p from passes\n  let fast(x) = x > 100\n  define a as fast\n  match a\n',
      expected: ["p.pattern:6:15: 'fast' takes 1 argument: call it as fast(...)"],
    },
    {
      name: 'names a let cannot take',
      text: 'pattern p(limit = 1) from passes\n  let abs = 1\n  let count = 2\n  let limit = 3\n  let a = 4\n  let ok(x, x) = x\n  let ok = 5\n  match a\n',
      expected: [
        "p.pattern:5:7: a let cannot be called 'abs': that is a built-in name",
        "p.pattern:6:7: a let cannot be called 'count': that is a built-in name",
        "p.pattern:7:7: a let cannot be called 'limit': that is a parameter of the pattern",
        "p.pattern:8:7: a let cannot be called 'a': that is a pattern variable",
        "p.pattern:9:13: duplicate parameter 'x' of let 'ok'",
        "p.pattern:10:7: 'ok' is already defined by the let at line 9",
      ],
    },
    {
      name: 'a type error in a body used twice is reported once, in the body',
      text: 'pattern p from passes\n  let bad(x) = x.plate * 2 > 1\n  define b as bad(a) and bad(b)\n  match a next b\n',
      expected: ["p.pattern:5:24: cannot apply '*' to a string and a number"],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const source = SOURCE + c.text;
      const parsed = parseProgram(source, 'p.pattern');
      if (!parsed.ok) throw new Error(formatDslError(parsed.error, source));
      const r = checkProgram(parsed.program, { schema: { ts: 'timestamp', plate: 'string', speed: 'number', checkpoint: 'string' } });
      expect(firstLines(r.errors.map((e) => formatDslError(e, source)))).toEqual(c.expected);
    });
  }
});

describe('let: run', () => {
  test('a pattern written with lets matches exactly as the one written out', async () => {
    const written = `${SOURCE}pattern p(min_gap = 2m)
  from passes
  key by plate
  define b as checkpoint != a.checkpoint and ts - a.ts >= min_gap and speed > a.speed
  match a next b
  emit { plate: a.plate, gap: b.ts - a.ts, faster: b.speed > a.speed }
`;
    const withLets = `${SOURCE}pattern p(min_gap = 2m)
  from passes
  key by plate
  let moved(x, y) = y.checkpoint != x.checkpoint and y.ts - x.ts >= min_gap
  let faster(x, y) = y.speed > x.speed
  define b as moved(a, b) and faster(a, b)
  match a next b
  emit { plate: a.plate, gap: b.ts - a.ts, faster: faster(a, b) }
`;
    const input = [
      { plate: 'A', checkpoint: 'CP0001', speed: 50, ts: T0 },
      { plate: 'A', checkpoint: 'CP0002', speed: 60, ts: T0 + m(3) },
      { plate: 'A', checkpoint: 'CP0003', speed: 55, ts: T0 + m(6) },
      { plate: 'A', checkpoint: 'CP0004', speed: 70, ts: T0 + m(7) },
      { plate: 'B', checkpoint: 'CP0001', speed: 50, ts: T0 + m(8) },
      { plate: 'B', checkpoint: 'CP0005', speed: 90, ts: T0 + m(20) },
    ];
    const a = await runFiles({ patterns: { 'p.pattern': written }, input, schema: false });
    const b = await runFiles({ patterns: { 'p.pattern': withLets }, input, schema: false });
    expect(a.outputs.length).toBe(2);
    expect(b.outputs).toEqual(a.outputs);
  });
});
