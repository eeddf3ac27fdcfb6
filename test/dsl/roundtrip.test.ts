import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type * as A from '../../src/dsl/ast.js';
import { checkProgram, DslError, parseProgram, printProgram } from '../../src/dsl/index.js';
import { DURATION_UNITS, RESERVED } from '../../src/dsl/lexer.js';
import { stripPositions } from './helpers.js';

// Random ASTs -> print -> parse must give the same AST, up to positions.
const P: A.Pos = { file: 'gen.pattern', line: 1, col: 1 };
const reserved = new Set<string>(RESERVED);
const SPECIAL_CALLS = new Set(['if', 'coalesce', 'count', 'sum', 'avg', 'stddev', 'first', 'last', 'top', 'min', 'max']);

/** Names: plain identifiers, with the unreserved keywords mixed in on purpose. */
const ident = fc
  .oneof(
    fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,6}$/),
    fc.constantFrom(
      'key',
      'by',
      'window',
      'first',
      'last',
      'time',
      'event',
      'order',
      'offset',
      'after',
      'late',
      'on',
      'timeout',
      'skip',
      'to',
      'if',
      'count',
      'gap',
      'every',
    ),
  )
  .filter((s) => !reserved.has(s));
const word = fc.oneof(ident, fc.constantFrom(...RESERVED));
const name = ident.map((n): A.Name => ({ kind: 'name', name: n, pos: P }));
const callee = ident.filter((s) => !SPECIAL_CALLS.has(s));

const numberLit = fc.double({ noNaN: true, noDefaultInfinity: true }).map((value): A.NumberLit => ({ kind: 'number', value, pos: P }));
const durationLit = fc
  .tuple(fc.integer({ min: -1000, max: 100_000 }), fc.constantFrom(...(Object.keys(DURATION_UNITS) as (keyof typeof DURATION_UNITS)[])))
  .map(([amount, unit]): A.DurationLit => ({ kind: 'duration', ms: amount * DURATION_UNITS[unit], amount, unit, pos: P }));
const literal: fc.Arbitrary<A.Literal> = fc.oneof(
  numberLit,
  durationLit,
  fc
    .oneof(
      fc.string({ unit: 'binary', maxLength: 8 }),
      // The characters a printer must escape.
      fc.string({ unit: fc.constantFrom('"', "'", '\\', '\n', '\t', '\r', '\0', '\u0001', '-', 'a'), maxLength: 8 }),
    )
    .map((value): A.StringLit => ({ kind: 'string', value, pos: P })),
  fc.boolean().map((value): A.BooleanLit => ({ kind: 'boolean', value, pos: P })),
  fc.constant<A.NullLit>({ kind: 'null', pos: P }),
);

const BINARY_OPS: readonly A.BinaryOp[] = ['+', '-', '*', '/', '%', '==', '!=', '<', '<=', '>', '>=', 'and', 'or'];

/** Emit keys: plain, duplicated on purpose, or needing quotes. */
const key = fc.oneof(fc.constantFrom('k', 'a\nb', 'and'), fc.string({ maxLength: 6 }));

const { expr } = fc.letrec<{ expr: A.Expr; obj: A.ObjectLit }>((tie) => {
  const e = tie('expr');
  const args = fc.array(e, { maxLength: 3 });
  return {
    expr: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      literal,
      ident.map((n): A.FieldRef => ({ kind: 'field', name: n, pos: P })),
      fc.tuple(name, word).map(([variable, field]): A.MemberRef => ({ kind: 'member', variable, field, pos: P })),
      fc
        .tuple(fc.constantFrom<A.UnaryOp>('-', 'not'), e)
        .filter(([op, operand]) => !(op === '-' && (operand.kind === 'number' || operand.kind === 'duration')))
        .map(([op, operand]): A.Unary => ({ kind: 'unary', op, operand, pos: P })),
      fc.tuple(fc.constantFrom(...BINARY_OPS), e, e).map(([op, left, right]): A.Binary => ({ kind: 'binary', op, left, right, opPos: P, pos: P })),
      fc.tuple(fc.boolean(), e, args).map(([negated, value, items]): A.InList => ({ kind: 'in', negated, value, items, pos: P })),
      fc.tuple(fc.boolean(), e, e, e).map(([negated, value, low, high]): A.Between => ({ kind: 'between', negated, value, low, high, pos: P })),
      fc.tuple(callee, args).map(([c, a]): A.Call => ({ kind: 'call', callee: { kind: 'name', name: c, pos: P }, args: a, pos: P })),
      fc
        .oneof(
          fc.tuple(fc.constantFrom<A.AggregateFn>('count', 'sum', 'avg', 'stddev', 'first', 'last', 'top'), args),
          fc.tuple(
            fc.constantFrom<A.AggregateFn>('min', 'max'),
            e.map((x) => [x]),
          ),
        )
        .map(([fn, a]): A.Aggregate => ({ kind: 'aggregate', fn, args: a, pos: P })),
      fc.tuple(e, e, e).map(([cond, then, otherwise]): A.If => ({ kind: 'if', cond, then, else: otherwise, pos: P })),
      args.map((a): A.Coalesce => ({ kind: 'coalesce', args: a, pos: P })),
    ),
    obj: fc.array(fc.tuple(key, fc.oneof(e, tie('obj'))), { maxLength: 3 }).map(
      (entries): A.ObjectLit => ({
        kind: 'object',
        entries: entries.map(([key, value]) => ({ kind: 'entry', key, value, pos: P })),
        pos: P,
      }),
    ),
  };
});
const object = fc
  .array(fc.tuple(key, expr), { maxLength: 3 })
  .map((entries): A.ObjectLit => ({ kind: 'object', entries: entries.map(([key, value]) => ({ kind: 'entry', key, value, pos: P })), pos: P }));

const opt = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(a, { nil: null });

const wordName = word.map((n): A.Name => ({ kind: 'name', name: n, pos: P }));
/** A feed's field name: any word, or any text (printed quoted). */
const feedName = fc.oneof(word, fc.string({ maxLength: 6 })).map((n): A.Name => ({ kind: 'name', name: n, pos: P }));
const sourceClause: fc.Arbitrary<A.SourceClause> = fc.oneof(
  fc.tuple(name, opt(object)).map(([n, options]): A.SourceClause => ({ kind: 'schema', name: n, options, pos: P })),
  fc.array(fc.tuple(wordName, fc.boolean(), name), { minLength: 1, maxLength: 3 }).map(
    (fields): A.SourceClause => ({
      kind: 'fields',
      fields: fields.map(([n, optional, type]) => ({ kind: 'field-decl', name: n, optional, type, pos: P })),
      pos: P,
    }),
  ),
  fc
    .array(fc.tuple(feedName, name), { minLength: 1, maxLength: 3 })
    .map((renames): A.SourceClause => ({ kind: 'map', renames: renames.map(([from, to]) => ({ kind: 'rename', from, to, pos: P })), pos: P })),
  fc.tuple(name, object, opt(literal)).map(([field, values, otherwise]): A.SourceClause => ({ kind: 'map-values', field, values, otherwise, pos: P })),
  fc.string({ maxLength: 6 }).map((value): A.SourceClause => ({ kind: 'time-zone', zone: { kind: 'string', value, pos: P }, pos: P })),
);

const source = fc
  .tuple(name, name, opt(expr), opt(expr), fc.array(sourceClause, { maxLength: 3 }))
  .map(([n, eventTime, watermark, idleAfter, clauses]): A.SourceDecl => ({ kind: 'source', name: n, eventTime, watermark, idleAfter, clauses, pos: P }));

const windowSpec: fc.Arbitrary<A.WindowClause> = fc.oneof(
  fc.tuple(expr, opt(expr)).map(([size, offset]): A.WindowClause => ({ kind: 'tumbling', size, offset, pos: P })),
  fc.tuple(expr, expr, opt(expr)).map(([size, slide, offset]): A.WindowClause => ({ kind: 'sliding', size, slide, offset, pos: P })),
  expr.map((gap): A.WindowClause => ({ kind: 'session', gap, pos: P })),
);
const select = fc
  .tuple(fc.boolean(), fc.array(fc.tuple(expr, opt(name)), { maxLength: 3 }))
  .filter(([star, items]) => star || items.length > 0)
  .map(
    ([star, items]): A.Select => ({
      kind: 'select',
      star,
      items: items.map(([e, alias]) => ({ kind: 'select-item', expr: e, alias, pos: P })),
      pos: P,
    }),
  );
const call = fc
  .tuple(ident, fc.array(expr, { maxLength: 2 }))
  .map(([c, args]): A.Call => ({ kind: 'call', callee: { kind: 'name', name: c, pos: P }, args, pos: P }));
const stream = fc
  .record({
    name,
    from: name,
    union: fc.array(name, { maxLength: 2 }),
    where: opt(expr),
    enrich: fc.array(
      fc.tuple(name, call).map(([n, c]): A.Enrich => ({ kind: 'enrich', name: n, call: c, pos: P })),
      { maxLength: 2 },
    ),
    keyBy: fc.array(expr, { maxLength: 2 }),
    keep: opt(expr),
    window: opt(windowSpec),
    allowedLateness: opt(expr),
    lateInto: opt(name),
    select: opt(select),
  })
  // `keep` follows `key by`: none without keys.
  .map((r): A.StreamDecl => ({ kind: 'stream', ...r, keep: r.keyBy.length === 0 ? null : r.keep, pos: P }));

const count = fc.nat({ max: 20 });
const quantified: fc.Arbitrary<[A.Quantifier | null, boolean]> = fc.oneof(
  fc.constant<[A.Quantifier | null, boolean]>([null, false]),
  fc.constantFrom<A.Quantifier['kind']>('optional', 'zero-or-more').map((k): [A.Quantifier, boolean] => [{ kind: k, pos: P } as A.Quantifier, false]),
  fc.boolean().map((o): [A.Quantifier, boolean] => [{ kind: 'one-or-more', pos: P }, o]),
  fc
    .tuple(count, fc.oneof(fc.constant<'same' | null>('same'), fc.constant(null), count), fc.boolean())
    .map(([min, max, o]): [A.Quantifier, boolean] => [{ kind: 'times', min, max: max === 'same' ? min : max, pos: P }, o]),
);
const modifier: fc.Arbitrary<A.Modifier> = fc.oneof(
  fc.constantFrom<'greedy' | 'consecutive' | 'any'>('greedy', 'consecutive', 'any').map((kind): A.Modifier => ({ kind, pos: P })),
  expr.map((cond): A.Modifier => ({ kind: 'until', cond, pos: P })),
);
const term = fc
  .tuple(name, quantified, fc.array(modifier, { maxLength: 2 }))
  .map(([variable, [quantifier, optional], modifiers]): A.Term => ({ kind: 'term', variable, quantifier, optional, modifiers, pos: P }));
const connector = fc
  .constantFrom<A.ConnectorKind>('next', 'followed-by', 'followed-by-any', 'not-next', 'not-followed-by')
  .map((kind): A.Connector => ({ kind, pos: P }));
const match = fc
  .tuple(term, fc.array(fc.tuple(connector, term), { maxLength: 3 }))
  .map(([first, rest]): A.Step[] => [
    { kind: 'step', connector: null, term: first, pos: P },
    ...rest.map(([c, t]): A.Step => ({ kind: 'step', connector: c, term: t, pos: P })),
  ]);
const afterMatch: fc.Arbitrary<A.AfterMatch> = fc.oneof(
  fc
    .constantFrom<'no-skip' | 'skip-to-next' | 'skip-past-last-event'>('no-skip', 'skip-to-next', 'skip-past-last-event')
    .map((kind): A.AfterMatch => ({ kind, pos: P })),
  fc
    .tuple(fc.constantFrom<'skip-to-first' | 'skip-to-last'>('skip-to-first', 'skip-to-last'), name)
    .map(([kind, variable]): A.AfterMatch => ({ kind, variable, pos: P })),
);
const pattern = fc
  .record({
    name,
    params: fc.array(
      fc.tuple(name, literal).map(([n, d]): A.Param => ({ kind: 'param', name: n, default: d, pos: P })),
      { maxLength: 2 },
    ),
    from: name,
    keyBy: fc.array(expr, { maxLength: 2 }),
    lets: fc.array(
      fc
        .tuple(name, fc.option(fc.array(name, { maxLength: 3 }), { nil: null }), expr)
        .map(([n, params, body]): A.LetDef => ({ kind: 'let', name: n, params, body, pos: P })),
      { maxLength: 2 },
    ),
    defines: fc.array(
      fc.tuple(name, expr).map(([variable, cond]): A.Define => ({ kind: 'define', variable, cond, pos: P })),
      { maxLength: 3 },
    ),
    match,
    within: opt(expr),
    afterMatch: opt(afterMatch),
    allowedLateness: opt(expr),
    lateInto: opt(name),
    emit: opt(object),
    onTimeout: opt(object),
  })
  .map((r): A.PatternDecl => ({ kind: 'pattern', ...r, pos: P }));

const program = fc
  .array(fc.oneof(source, stream, pattern), { maxLength: 3 })
  .map((decls): A.Program => ({ kind: 'program', file: 'gen.pattern', decls, tables: [] }));

describe('print then parse', () => {
  test('gives back the same expression', () => {
    fc.assert(
      fc.property(expr, (e) => {
        // An expression travels inside a stream's where clause.
        const p: A.Program = {
          kind: 'program',
          file: 'gen.pattern',
          tables: [],
          decls: [
            {
              kind: 'stream',
              name: { kind: 'name', name: 's', pos: P },
              from: { kind: 'name', name: 'x', pos: P },
              union: [],
              where: e,
              enrich: [],
              keyBy: [],
              keep: null,
              window: null,
              allowedLateness: null,
              lateInto: null,
              select: null,
              pos: P,
            },
          ],
        };
        const text = printProgram(p);
        const parsed = parseProgram(text, 'gen.pattern');
        if (!parsed.ok) throw new Error(`${parsed.error.message}\n${text}`);
        expect(stripPositions(parsed.program)).toEqual(stripPositions(p));
      }),
      { numRuns: 300 },
    );
  });

  test('gives back the same program (every declaration form, exactly one parse)', () => {
    fc.assert(
      fc.property(program, (p) => {
        const text = printProgram(p);
        const parsed = parseProgram(text, 'gen.pattern');
        if (!parsed.ok) throw new Error(`${parsed.error.message}\n${text}`);
        expect(stripPositions(parsed.program)).toEqual(stripPositions(p));
      }),
      { numRuns: 200 },
    );
  });

  test('the checker never throws on any program, and every error has a place in the file', () => {
    fc.assert(
      fc.property(program, (p) => {
        const r = checkProgram(p);
        for (const e of r.errors) {
          expect(e).toBeInstanceOf(DslError);
          expect(e.file).toBe('gen.pattern');
          expect(e.message.includes('\n')).toBe(false);
        }
        expect(r.program === null).toBe(r.errors.length > 0);
      }),
      { numRuns: 200 },
    );
  });
});
