import { describe, expect, test } from 'vitest';
import type * as A from '../../src/dsl/ast.js';
import { formatDslError } from '../../src/dsl/errors.js';
import { tokenize } from '../../src/dsl/lexer.js';
import { countParses, parse } from '../../src/dsl/parser.js';
import { fixtureFiles, stripPositions } from './helpers.js';

function program(source: string): A.Program {
  const r = parse(source, 't.pattern');
  if (!r.ok) throw new Error(r.error.message);
  return r.program;
}

/** The where-expression of `stream s = from x where <e>`. */
function expr(e: string): unknown {
  const d = program(`stream s = from x where ${e}`).decls[0];
  if (d?.kind !== 'stream' || d.where === null) throw new Error('no where');
  return stripPositions(d.where);
}

describe('lexer', () => {
  test('durations are one token whose value is milliseconds', () => {
    const tokens = tokenize('500ms 30s 5m 2h 1d 1.5h', 'l');
    expect(tokens.map((t) => [t.type, t.value])).toEqual([
      ['duration', '500'],
      ['duration', '30000'],
      ['duration', '300000'],
      ['duration', '7200000'],
      ['duration', '86400000'],
      ['duration', '5400000'],
    ]);
  });

  test('numbers, strings with both quotes and escapes, words, operators; comments and blanks dropped', () => {
    const tokens = tokenize(`42 1e6 3.25 "a\\"b\\n" 'c\\'d\\u0041' -- a comment\nkey and >= .`, 'l');
    expect(tokens.map((t) => [t.type, t.value])).toEqual([
      ['number', '42'],
      ['number', '1e6'],
      ['number', '3.25'],
      ['string', 'a"b\n'],
      ['string', "c'dA"],
      ['ident', 'key'],
      ['kw', 'and'],
      ['op', '>='],
      ['op', '.'],
    ]);
  });

  test('a leading byte-order mark is skipped: columns are those an editor shows', () => {
    expect(tokenize('\uFEFFsource s', 'l').map((t) => `${t.col}:${t.offset}:${t.text}`)).toEqual(['1:1:source', '8:8:s']);
    const source = '\uFEFFsource s event time';
    const r = parse(source, 'bom.pattern');
    if (r.ok) throw new Error('expected an error');
    expect(formatDslError(r.error, source)).toBe(
      "bom.pattern:1:20: expected a name after 'time', found end of input\nsource s event time\n                   ^",
    );
  });

  test('tokens carry file, line and column across newlines and comments', () => {
    const tokens = tokenize('source s -- c\n  event time\n\tts', 'f.pattern');
    expect(tokens.map((t) => `${t.file}:${t.line}:${t.col}:${t.text}`)).toEqual([
      'f.pattern:1:1:source',
      'f.pattern:1:8:s',
      'f.pattern:2:3:event',
      'f.pattern:2:9:time',
      'f.pattern:3:2:ts',
    ]);
  });

  test('a minus sign is an operator, so a-3 is a subtraction, and -3.5 folds into one literal', () => {
    expect(expr('a-3 > -3.5')).toEqual({
      kind: 'binary',
      op: '>',
      left: { kind: 'binary', op: '-', left: { kind: 'field', name: 'a' }, right: { kind: 'number', value: 3 } },
      right: { kind: 'number', value: -3.5 },
    });
    expect(expr('x == -5m')).toMatchObject({ right: { kind: 'duration', ms: -300000, amount: -5, unit: 'm' } });
  });
});

describe('parser', () => {
  test('precedence: or < and < not < comparison < + - < * / % < unary minus', () => {
    expect(expr('not a or b and c == 1 + 2 * -x')).toEqual({
      kind: 'binary',
      op: 'or',
      left: { kind: 'unary', op: 'not', operand: { kind: 'field', name: 'a' } },
      right: {
        kind: 'binary',
        op: 'and',
        left: { kind: 'field', name: 'b' },
        right: {
          kind: 'binary',
          op: '==',
          left: { kind: 'field', name: 'c' },
          right: {
            kind: 'binary',
            op: '+',
            left: { kind: 'number', value: 1 },
            right: { kind: 'binary', op: '*', left: { kind: 'number', value: 2 }, right: { kind: 'unary', op: '-', operand: { kind: 'field', name: 'x' } } },
          },
        },
      },
    });
  });

  test("between binds its own 'and'; in takes a list; calls become if, coalesce, aggregates or calls", () => {
    expect(expr('x between 1 and 2 and y')).toMatchObject({ op: 'and', left: { kind: 'between', negated: false } });
    expect(expr('x not in [1, "a"]')).toMatchObject({ kind: 'in', negated: true, items: [{ value: 1 }, { value: 'a' }] });
    expect(expr('if(a, b, c)')).toMatchObject({ kind: 'if' });
    expect(expr('coalesce(a, 1)')).toMatchObject({ kind: 'coalesce' });
    expect(expr('min(w.f) < min(a, b)')).toMatchObject({ left: { kind: 'aggregate', fn: 'min' }, right: { kind: 'call' } });
    expect(expr('count() + count(w) + last(w.f)')).toMatchObject({ left: { left: { kind: 'aggregate', args: [] } } });
  });

  test('unreserved keywords stay usable as names: fields, emit keys, variables', () => {
    const p = program(`pattern p from s key by key define first as window > 1 match first next last
      emit { first: first.key, last: last.time, "a b": 1 }`);
    const d = p.decls[0];
    if (d?.kind !== 'pattern') throw new Error('no pattern');
    expect(d.keyBy.map(stripPositions)).toEqual([{ kind: 'field', name: 'key' }]);
    expect(d.match.map((s) => s.term.variable.name)).toEqual(['first', 'last']);
    expect(d.emit?.entries.map((e) => e.key)).toEqual(['first', 'last', 'a b']);
  });

  test('quantifiers, the trailing ? and modifiers', () => {
    const d = program('pattern p from s match a? next b+? greedy followed by c{2}? any followed by any d{2,} consecutive until x followed by e{1,3}').decls[0];
    if (d?.kind !== 'pattern') throw new Error('no pattern');
    expect(d.match.map((s) => stripPositions([s.connector?.kind ?? null, s.term.quantifier, s.term.optional, s.term.modifiers.map((m) => m.kind)]))).toEqual([
      [null, { kind: 'optional' }, false, []],
      ['next', { kind: 'one-or-more' }, true, ['greedy']],
      ['followed-by', { kind: 'times', min: 2, max: 2 }, true, ['any']],
      ['followed-by-any', { kind: 'times', min: 2, max: null }, false, ['consecutive', 'until']],
      ['followed-by', { kind: 'times', min: 1, max: 3 }, false, []],
    ]);
  });

  test('every node carries file, line, column and offset', () => {
    const d = program('source s\n  event time ts\n  watermark 5s out of order').decls[0];
    if (d?.kind !== 'source') throw new Error('no source');
    expect(d.pos).toEqual({ file: 't.pattern', line: 1, col: 1, offset: 0 });
    expect(d.watermark?.pos).toEqual({ file: 't.pattern', line: 3, col: 13, offset: 37 });
  });

  test('an empty file is an empty program', () => {
    expect(program('  -- nothing here\n').decls).toEqual([]);
  });
});

describe('unambiguity', () => {
  const tricky = [
    'pattern p from s define a as x b as y match a followed by any b',
    'pattern p from s match a+ until x not next b within 1h after match skip to last b',
    'pattern p from s match a+ until x not followed by b followed by c within out',
    'stream s = from x where a key by key window tumbling 1m offset 1s allowed lateness 0s late into y select key, count() as n',
    'source s event time time watermark out out of order idle after after',
    'stream s = from x where not a == b and c between 1 and 2 or d not between 3 and 4',
    'stream s = from x select *, - -x as y, -(1) as z, a - -1 as w',
  ];
  for (const source of tricky) {
    test(`exactly one parse: ${source}`, () => {
      expect(countParses(source, 't.pattern')).toBe(1);
    });
  }
  for (const { file, source } of fixtureFiles()) {
    test(`exactly one parse: fixture ${file}`, () => {
      expect(countParses(source, file)).toBe(1);
    });
  }
});
