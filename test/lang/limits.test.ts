/**
 * Large rule files: long literal lists, deep expressions and big quantifier counts either compile or are refused
 * with file:line:col (never a stack overflow or an exhausted heap). Timings are in bench/dsl-large.ts.
 */
import { describe, expect, test } from 'vitest';
import { checkProgram, formatDslError, parseProgram } from '../../src/dsl/index.js';
import { MAX_EXPRESSION_DEPTH, MAX_QUANTIFIER_COUNT } from '../../src/dsl/limits.js';
import { stripPositions } from '../dsl/helpers.js';
import { runFiles, T0 } from '../dsl-run/helpers.js';

const SOURCE = 'source passes\n  event time ts\n  watermark 0s out of order\n';
const SCHEMA = { schema: { ts: 'timestamp', plate: 'string', speed: 'number', checkpoint: 'string' } } as const;

function errors(text: string): string[] {
  const source = SOURCE + text;
  const parsed = parseProgram(source, 'big.pattern');
  if (!parsed.ok) return parsed.errors.map((e) => formatDslError(e, source));
  return checkProgram(parsed.program, SCHEMA).errors.map((e) => formatDslError(e, source));
}

const plate = (i: number): string => `"浙A${String(i).padStart(5, '0')}"`;

describe('long literal lists', () => {
  test('a watchlist of 100,000 plates parses and checks, every item kept in order', () => {
    const items = Array.from({ length: 100_000 }, (_, i) => plate(i));
    const source = `${SOURCE}stream watched = from passes where plate in [${items.join(', ')}]\n`;
    const parsed = parseProgram(source, 'w.pattern');
    if (!parsed.ok) throw new Error(parsed.error.message);
    const checked = checkProgram(parsed.program, SCHEMA);
    expect(checked.errors).toEqual([]);
    const where = checked.program?.streams.get('watched')?.decl.where;
    expect(where?.kind).toBe('in');
    if (where?.kind !== 'in') return;
    expect(where.items.length).toBe(100_000);
    expect(where.items[99_999]).toMatchObject({ kind: 'string', value: '浙A99999', pos: { line: 4 } });
  });

  test('a list of literals parses to the same items as one the parser reads item by item', () => {
    const packed = parseProgram('stream s = from p where x in [1, -2, "a\\n", 5m, -1.5h, true, false, null]', 'a.pattern');
    const unpacked = parseProgram('stream s = from p where x in [1, -2, "a\\n", 5m, -1.5h, true, false, null, y]', 'a.pattern');
    if (!packed.ok || !unpacked.ok) throw new Error('parse failed');
    const items = (p: typeof packed): unknown => {
      const d = p.ok ? p.program.decls[0] : undefined;
      return d?.kind === 'stream' && d.where?.kind === 'in' ? d.where.items : null;
    };
    expect(items(packed)).toEqual((items(unpacked) as unknown[]).slice(0, 8));
    expect(stripPositions(items(packed))).toHaveLength(8);
  });

  test('an error in a long list points at its item; a trailing comma is still a syntax error', () => {
    expect(errors('stream s = from passes where plate in ["a", "b", 3, "d"]\n').map((e) => e.split('\n')[0])).toEqual([
      'big.pattern:4:50: this list item is a number, but the value tested is a string',
    ]);
    expect(errors('stream s = from passes where plate in ["a", "b",]\n').map((e) => e.split('\n')[0])).toEqual([
      "big.pattern:4:49: expected an expression after ',', found ']'",
    ]);
  });

  test('a long list matches as a short one does (hash lookup or scan), null never matching', async () => {
    const listed = Array.from({ length: 20 }, (_, i) => plate(i));
    const patterns = {
      'w.pattern':
        `${SOURCE}stream hit = from passes where plate in [${listed.join(', ')}, null]\n` +
        `stream miss = from passes where plate not in [${listed.join(', ')}]\n` +
        `stream few = from passes where plate in [${listed.slice(0, 3).join(', ')}]\n`,
    };
    const input = [plate(3), plate(25), plate(0), '"x"'].map((p, i) => ({ plate: JSON.parse(p) as string, checkpoint: 'CP0001', speed: 1, ts: T0 + i }));
    input.push({ plate: null as unknown as string, checkpoint: 'CP0001', speed: 1, ts: T0 + 9 });
    const r = await runFiles({ patterns, input, streams: ['hit', 'miss', 'few'], match: [], schema: false });
    const plates = (s: string): unknown[] => (r.streams[s] ?? []).map((x) => x['plate']);
    expect(plates('hit')).toEqual(['浙A00003', '浙A00000']);
    expect(plates('miss')).toEqual(['浙A00025', 'x']);
    expect(plates('few')).toEqual(['浙A00000']);
  });
});

describe('limits, refused with file:line:col', () => {
  test(`an 'or' chain of 1,245 terms`, () => {
    const chain = Array.from({ length: 1245 }, (_, i) => `speed == ${i}`).join(' or ');
    expect(errors(`stream s = from passes\n  where ${chain}\n`)).toEqual([
      `big.pattern:5:9: this expression is nested too deeply (more than ${MAX_EXPRESSION_DEPTH} levels of operators and calls); ` +
        `for a list of values use 'x in [a, b, ...]'\n  where ${chain}\n        ^`,
    ]);
  });

  test('833 nested calls', () => {
    const nested = `${'abs('.repeat(833)}speed${')'.repeat(833)} > 1`;
    const [first] = errors(`pattern p from passes define a as ${nested} match a\n`);
    // The first call past the limit: its column is that of the (MAX + 1)th 'abs(' less the '>' comparison's level.
    expect(first?.split('\n')[0]).toBe(
      `big.pattern:4:${35 + 4 * (MAX_EXPRESSION_DEPTH - 1)}: this expression is nested too deeply (more than ${MAX_EXPRESSION_DEPTH} levels of operators and calls)`,
    );
  });

  test('an expression at the limit is accepted', () => {
    const nested = `${'abs('.repeat(MAX_EXPRESSION_DEPTH - 2)}speed${')'.repeat(MAX_EXPRESSION_DEPTH - 2)} > 1`;
    expect(errors(`pattern p from passes define a as ${nested} match a\n`)).toEqual([]);
  });

  test('lets that nest past the limit once expanded', () => {
    const deep = `${'abs('.repeat(200)}x${')'.repeat(200)}`;
    const [first] = errors(`pattern p from passes\n  let f(x) = ${deep}\n  define a as f(f(speed)) > 1\n  match a\n`);
    expect(first?.split('\n')[0]).toMatch(/^big\.pattern:5:\d+: this expression is nested too deeply .*, once its lets are expanded$/);
  });

  test('quantifier counts', () => {
    expect(errors('pattern p from passes match a{10000000}\n')).toEqual([
      `big.pattern:4:30: the counts in 'a{10000000}' are too large: at most ${MAX_QUANTIFIER_COUNT} (each counted event is a state of the matcher)\n` +
        'pattern p from passes match a{10000000}\n                             ^',
    ]);
    expect(errors('pattern p from passes match a{2, 5000} next b{1001,}\n').map((e) => e.split('\n')[0])).toEqual([
      "big.pattern:4:30: the counts in 'a{2,5000}' are too large: at most 1000 (each counted event is a state of the matcher)",
      "big.pattern:4:46: the counts in 'b{1001,}' are too large: at most 1000 (each counted event is a state of the matcher)",
    ]);
    expect(errors(`pattern p from passes match a{${MAX_QUANTIFIER_COUNT}} within 1h\n`)).toEqual([]);
  });
});
