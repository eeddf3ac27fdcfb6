/**
 * Large rule files: long literal lists, deep expressions and big quantifier counts either compile or are refused
 * with file:line:col (never a stack overflow or an exhausted heap). Timings are in bench/dsl-large.ts.
 */
import { describe, expect, test } from 'vitest';
import { checkProgram, formatDslError, parseProgram } from '../../src/dsl/index.js';
import { MAX_EXPRESSION_DEPTH, MAX_LEXED_TOKENS, MAX_NESTING_DEPTH, MAX_PARSED_TOKENS, MAX_QUANTIFIER_COUNT, MAX_SOURCE_BYTES } from '../../src/dsl/limits.js';
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
    // Refused before parsing, at the bracket past the limit: the (MAX + 1)th 'abs(' starts at 35 + 4 * MAX.
    expect(first?.split('\n')[0]).toBe(
      `big.pattern:4:${35 + 4 * MAX_NESTING_DEPTH + 3}: brackets nest too deeply here (more than ${MAX_NESTING_DEPTH} levels of '(', '[' and '{')`,
    );
  });

  test('operators nested past the limit without brackets are refused after the parse', () => {
    // 300 additions: 300 levels, no bracket.
    const sum = Array.from({ length: 300 }, (_, i) => `speed * ${i}`).join(' + ');
    expect(errors(`stream s = from passes where ${sum} > 0\n`).map((e) => e.split('\n')[0])).toEqual([
      `big.pattern:4:30: this expression is nested too deeply (more than ${MAX_EXPRESSION_DEPTH} levels of operators and calls)`,
    ]);
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

/** The first error's first line (`file:line:col: message`) and the caret line, for a source parsed alone. */
function refused(source: string): string[] {
  const parsed = parseProgram(source, 'big.pattern');
  if (parsed.ok) return [];
  const lines = formatDslError(parsed.error, source).split('\n');
  return [lines[0] as string, lines[2] as string];
}

// Limits checked before the parser runs (issue 17): a hostile file is refused in one pass, at the place it breaks the limit.
describe('file limits, refused before parsing with file:line:col', () => {
  test('a file over 2 MiB, at the first character past the limit; one of exactly 2 MiB (in 3-byte characters) parses', () => {
    // Comment lines of 1,024 bytes each, the newline included.
    const line = `--${'x'.repeat(1021)}\n`;
    const over = SOURCE + line.repeat(MAX_SOURCE_BYTES / 1024);
    const before = over.slice(0, MAX_SOURCE_BYTES);
    const row = before.split('\n').length;
    const col = MAX_SOURCE_BYTES - before.lastIndexOf('\n');
    expect(refused(over)[0]).toBe(
      `big.pattern:${row}:${col}: this file is too large: ${(over.length).toLocaleString('en-US')} bytes, at most 2,097,152 (2 MiB); split it into several pattern files`,
    );
    // '浙' is 3 bytes in UTF-8: the limit is in bytes, not characters.
    const head = `${SOURCE}--`;
    const exact = head + '浙'.repeat((MAX_SOURCE_BYTES - head.length - 1) / 3) + 'x'.repeat((MAX_SOURCE_BYTES - head.length - 1) % 3) + '\n';
    expect(Buffer.byteLength(exact)).toBe(MAX_SOURCE_BYTES);
    expect(parseProgram(exact, 'big.pattern').ok).toBe(true);
    expect(refused(`${exact}x`)[0]).toMatch(/^big\.pattern:\d+:1: this file is too large: 2,097,153 bytes/);
  });

  test(`more than ${MAX_PARSED_TOKENS.toLocaleString('en-US')} tokens, at the first one past; exactly as many parse`, () => {
    // 5 tokens a declaration.
    const decls = Array.from({ length: MAX_PARSED_TOKENS / 5 }, (_, i) => `source s${i} event time ts\n`).join('');
    expect(parseProgram(decls, 'big.pattern').ok).toBe(true);
    expect(refused(`${decls}source extra event time ts\n`)).toEqual([
      `big.pattern:${MAX_PARSED_TOKENS / 5 + 1}:1: this file has too many tokens: at most 100,000 words, numbers, strings and operators (a list of literals counts as one); split it into several pattern files`,
      '^',
    ]);
  });

  test(`more than ${MAX_LEXED_TOKENS.toLocaleString('en-US')} tokens in lists of literals, at the first one past`, () => {
    const prefix = 'stream s = from passes where speed in [';
    // SOURCE is 10 tokens, the prefix 9; then one token a character.
    const list = `${prefix}${'1,'.repeat(MAX_LEXED_TOKENS / 2)}1]\n`;
    expect(refused(SOURCE + list)[0]).toBe(
      `big.pattern:4:${prefix.length + 1 + MAX_LEXED_TOKENS - 19}: this file has too many tokens: at most 500,000 words, numbers, strings and operators; split it into several pattern files`,
    );
  });

  test('brackets nested past the limit, at the first bracket past it; parentheses at the limit parse', () => {
    const parens = (n: number): string => `stream s = from passes where ${'('.repeat(n)}speed${')'.repeat(n)} > 1\n`;
    expect(parseProgram(SOURCE + parens(MAX_NESTING_DEPTH), 'big.pattern').ok).toBe(true);
    const col = 'stream s = from passes where '.length + MAX_NESTING_DEPTH + 1;
    expect(refused(SOURCE + parens(20_000))).toEqual([
      `big.pattern:4:${col}: brackets nest too deeply here (more than ${MAX_NESTING_DEPTH} levels of '(', '[' and '{')`,
      `${' '.repeat(col - 1)}^`,
    ]);
    // Objects and lists are brackets too.
    const objects = `pattern p from passes define a as true match a emit ${'{a: '.repeat(300)}1${'}'.repeat(300)}\n`;
    expect(refused(SOURCE + objects)[0]).toMatch(new RegExp(`^big\\.pattern:4:${53 + 4 * MAX_NESTING_DEPTH}: brackets nest too deeply`));
  });

  test("a run of prefix 'not' past the limit, at the first one past it", () => {
    const nots = `stream s = from passes where ${'not '.repeat(50_000)}speed > 1\n`;
    expect(refused(SOURCE + nots)[0]).toBe(
      `big.pattern:4:${30 + 4 * MAX_NESTING_DEPTH}: this expression is nested too deeply (more than ${MAX_NESTING_DEPTH} 'not' or '-' in a row)`,
    );
  });

  test('a declaration nested too deeply is left out; the others still parse and report their own errors, in order', () => {
    const deep = `stream d = from passes where ${'('.repeat(300)}speed${')'.repeat(300)} > 1\n`;
    const parsed = parseProgram(`${SOURCE}stream a = from\n${deep}stream b = from passes where speed >\n`, 'big.pattern');
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    // The parser never sees the deep declaration: the one before it runs into the one after it.
    expect(parsed.errors.map((e) => `${e.line}:${e.col}: ${e.message}`)).toEqual([
      `5:${30 + MAX_NESTING_DEPTH}: brackets nest too deeply here (more than ${MAX_NESTING_DEPTH} levels of '(', '[' and '{')`,
      "6:1: expected a name after 'from', found 'stream'",
      "6:37: expected an expression after '>', found end of input",
    ]);
    expect(parsed.error).toBe(parsed.errors[0]);
  });

  test('a file of many broken declarations reports each of them', () => {
    // Each resumed parse starts where the last one failed (the rest is not copied): quadratic before, 10 s for 25,000.
    const source = SOURCE + 'stream s = from\n'.repeat(5_000);
    const parsed = parseProgram(source, 'big.pattern');
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors).toHaveLength(5_000);
    expect(parsed.errors[4_999]).toMatchObject({ line: 5_003, col: 16, message: "expected a name after 'from', found end of input" });
  });
});
