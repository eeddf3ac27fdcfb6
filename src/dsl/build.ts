/**
 * AST constructors called by the grammar's postprocessors. They live here, typed, so the generated
 * grammar file holds no logic of its own.
 */
import type * as A from './ast.js';
import { DURATION_UNITS, type DurationUnit, type Token } from './lexer.js';

export function pos(t: Token): A.Pos {
  return { file: t.file, line: t.line, col: t.col, offset: t.offset };
}

export function name(t: Token): A.Name {
  return { kind: 'name', name: t.value, pos: pos(t) };
}

export function number(t: Token): A.NumberLit {
  return { kind: 'number', value: Number(t.value), pos: pos(t) };
}

export function duration(t: Token): A.DurationLit {
  const unit = /[a-z]+$/.exec(t.text)?.[0] as DurationUnit;
  return { kind: 'duration', ms: Number(t.value), amount: Number(t.text.slice(0, t.text.length - unit.length)), unit, pos: pos(t) };
}

export function string(t: Token): A.StringLit {
  return { kind: 'string', value: t.value, pos: pos(t) };
}

export function keywordLiteral(t: Token): A.BooleanLit | A.NullLit {
  if (t.text === 'null') return { kind: 'null', pos: pos(t) };
  return { kind: 'boolean', value: t.text === 'true', pos: pos(t) };
}

/** Unary minus; folded into a number or duration literal so `-3.5` is one literal. */
export function negate(minus: Token, operand: A.Expr): A.Expr {
  const at = pos(minus);
  if (operand.kind === 'number') return { kind: 'number', value: -operand.value, pos: at };
  if (operand.kind === 'duration') {
    return { kind: 'duration', ms: -operand.ms, amount: -operand.amount, unit: operand.unit, pos: at };
  }
  return { kind: 'unary', op: '-', operand, pos: at };
}

export function not(t: Token, operand: A.Expr): A.Unary {
  return { kind: 'unary', op: 'not', operand, pos: pos(t) };
}

export function binary(left: A.Expr, op: Token, right: A.Expr): A.Binary {
  return { kind: 'binary', op: op.text as A.BinaryOp, left, right, opPos: pos(op), pos: left.pos };
}

export function inList(value: A.Expr, negated: boolean, items: readonly A.Expr[]): A.InList {
  return { kind: 'in', negated, value, items, pos: value.pos };
}

export function between(value: A.Expr, negated: boolean, low: A.Expr, high: A.Expr): A.Between {
  return { kind: 'between', negated, value, low, high, pos: value.pos };
}

export function field(t: Token): A.FieldRef {
  return { kind: 'field', name: t.value, pos: pos(t) };
}

export function member(variable: Token, fieldName: Token): A.MemberRef {
  return { kind: 'member', variable: name(variable), field: fieldName.value, pos: pos(variable) };
}

const AGGREGATES = new Set<string>(['count', 'sum', 'avg', 'stddev', 'first', 'last', 'top']);

/** A call by name: `if` (three arguments), `coalesce` and aggregates get their own nodes. */
export function call(callee: Token, args: readonly A.Expr[]): A.Expr {
  const at = pos(callee);
  const fn = callee.value;
  if (fn === 'if' && args.length === 3) {
    const [cond, then, otherwise] = args as [A.Expr, A.Expr, A.Expr];
    return { kind: 'if', cond, then, else: otherwise, pos: at };
  }
  if (fn === 'coalesce') return { kind: 'coalesce', args, pos: at };
  if (AGGREGATES.has(fn) || ((fn === 'min' || fn === 'max') && args.length === 1)) {
    return { kind: 'aggregate', fn: fn as A.AggregateFn, args, pos: at };
  }
  return { kind: 'call', callee: name(callee), args, pos: at };
}

export function plainCall(callee: Token, args: readonly A.Expr[]): A.Call {
  return { kind: 'call', callee: name(callee), args, pos: pos(callee) };
}

export function entry(key: Token, value: A.Expr): A.ObjectEntry {
  return { kind: 'entry', key: key.value, value, pos: pos(key) };
}

export function object(open: Token, entries: readonly A.ObjectEntry[]): A.ObjectLit {
  return { kind: 'object', entries, pos: pos(open) };
}

export function source(
  kw: Token,
  n: Token,
  eventTime: Token,
  watermark: A.Expr | null,
  idleAfter: A.Expr | null,
  clauses: readonly A.SourceClause[],
): A.SourceDecl {
  return { kind: 'source', name: name(n), eventTime: name(eventTime), watermark, idleAfter, clauses, pos: pos(kw) };
}

export function schemaClause(kw: Token, n: Token, options: A.ObjectLit | null): A.SchemaClause {
  return { kind: 'schema', name: name(n), options, pos: pos(kw) };
}

export function fieldsClause(kw: Token, fields: readonly A.FieldDecl[]): A.FieldsClause {
  return { kind: 'fields', fields, pos: pos(kw) };
}

export function fieldDecl(n: Token, optional: boolean, type: Token): A.FieldDecl {
  return { kind: 'field-decl', name: name(n), optional, type: name(type), pos: pos(n) };
}

export function mapClause(kw: Token, renames: readonly A.Rename[]): A.MapClause {
  return { kind: 'map', renames, pos: pos(kw) };
}

export function rename(from: Token, to: Token): A.Rename {
  return { kind: 'rename', from: name(from), to: name(to), pos: pos(from) };
}

export function valueMap(kw: Token, field: Token, values: A.ObjectLit, otherwise: A.Literal | null): A.ValueMapClause {
  return { kind: 'map-values', field: name(field), values, otherwise, pos: pos(kw) };
}

export function timeZone(kw: Token, zone: Token): A.TimeZoneClause {
  return { kind: 'time-zone', zone: string(zone), pos: pos(kw) };
}

export interface StreamClauses {
  readonly union: readonly Token[];
  readonly where: A.Expr | null;
  readonly enrich: readonly A.Enrich[];
  readonly keyBy: readonly A.Expr[] | null;
  readonly keep: A.Expr | null;
  readonly window: A.WindowClause | null;
  readonly allowedLateness: A.Expr | null;
  readonly lateInto: Token | null;
  readonly select: A.Select | null;
}

export function stream(kw: Token, n: Token, from: Token, c: StreamClauses): A.StreamDecl {
  return {
    kind: 'stream',
    name: name(n),
    from: name(from),
    union: c.union.map(name),
    where: c.where,
    enrich: c.enrich,
    keyBy: c.keyBy ?? [],
    keep: c.keep,
    window: c.window,
    allowedLateness: c.allowedLateness,
    lateInto: c.lateInto === null ? null : name(c.lateInto),
    select: c.select,
    pos: pos(kw),
  };
}

export function enrich(kw: Token, n: Token, fn: A.Call): A.Enrich {
  return { kind: 'enrich', name: name(n), call: fn, pos: pos(kw) };
}

export function tumbling(kw: Token, size: A.Expr, offset: A.Expr | null): A.TumblingWindow {
  return { kind: 'tumbling', size, offset, pos: pos(kw) };
}

export function sliding(kw: Token, size: A.Expr, slide: A.Expr, offset: A.Expr | null): A.SlidingWindow {
  return { kind: 'sliding', size, slide, offset, pos: pos(kw) };
}

export function session(kw: Token, gap: A.Expr): A.SessionWindow {
  return { kind: 'session', gap, pos: pos(kw) };
}

export function selectItem(expr: A.Expr, alias: Token | null): A.SelectItem {
  return { kind: 'select-item', expr, alias: alias === null ? null : name(alias), pos: expr.pos };
}

export function select(kw: Token, star: boolean, items: readonly A.SelectItem[]): A.Select {
  return { kind: 'select', star, items, pos: pos(kw) };
}

export function param(n: Token, value: A.Literal): A.Param {
  return { kind: 'param', name: name(n), default: value, pos: pos(n) };
}

export function define(n: Token, cond: A.Expr): A.Define {
  return { kind: 'define', variable: name(n), cond, pos: pos(n) };
}

export function quantifier(t: Token): A.Quantifier {
  const kind = t.text === '?' ? 'optional' : t.text === '+' ? 'one-or-more' : 'zero-or-more';
  return { kind, pos: pos(t) };
}

export function times(open: Token, min: Token, max: Token | null | 'unbounded'): A.Quantifier {
  const lo = Number(min.value);
  const hi = max === 'unbounded' ? null : max === null ? lo : Number(max.value);
  return { kind: 'times', min: lo, max: hi, pos: pos(open) };
}

export function modifier(kw: Token, cond: A.Expr | null): A.Modifier {
  if (cond !== null) return { kind: 'until', cond, pos: pos(kw) };
  return { kind: kw.text as 'greedy' | 'consecutive' | 'any', pos: pos(kw) };
}

export function term(v: Token, quantifier: A.Quantifier | null, optional: boolean, modifiers: readonly A.Modifier[]): A.Term {
  return { kind: 'term', variable: name(v), quantifier, optional, modifiers, pos: pos(v) };
}

export function connector(first: Token, kind: A.ConnectorKind): A.Connector {
  return { kind, pos: pos(first) };
}

export function step(connector: A.Connector | null, t: A.Term): A.Step {
  return { kind: 'step', connector, term: t, pos: connector?.pos ?? t.pos };
}

export function afterMatch(kw: Token, kind: 'no-skip' | 'skip-to-next' | 'skip-past-last-event'): A.AfterMatch {
  return { kind, pos: pos(kw) };
}

export function skipTo(kw: Token, which: Token, v: Token): A.AfterMatch {
  return { kind: which.text === 'first' ? 'skip-to-first' : 'skip-to-last', variable: name(v), pos: pos(kw) };
}

export interface PatternClauses {
  readonly params: readonly A.Param[] | null;
  readonly keyBy: readonly A.Expr[] | null;
  readonly lets: readonly A.LetDef[] | null;
  readonly defines: readonly A.Define[] | null;
  readonly match: readonly A.Step[];
  readonly within: A.Expr | null;
  readonly afterMatch: A.AfterMatch | null;
  readonly allowedLateness: A.Expr | null;
  readonly lateInto: Token | null;
  readonly emit: A.ObjectLit | null;
  readonly onTimeout: A.ObjectLit | null;
}

export function letDef(kw: Token, n: Token, params: readonly Token[] | null, body: A.Expr): A.LetDef {
  return { kind: 'let', name: name(n), params: params === null ? null : params.map(name), body, pos: pos(kw) };
}

export function pattern(kw: Token, n: Token, from: Token, c: PatternClauses): A.PatternDecl {
  return {
    kind: 'pattern',
    name: name(n),
    params: c.params ?? [],
    from: name(from),
    keyBy: c.keyBy ?? [],
    lets: c.lets ?? [],
    defines: c.defines ?? [],
    match: c.match,
    within: c.within,
    afterMatch: c.afterMatch,
    allowedLateness: c.allowedLateness,
    lateInto: c.lateInto === null ? null : name(c.lateInto),
    emit: c.emit,
    onTimeout: c.onTimeout,
    pos: pos(kw),
  };
}

export function program(file: string, decls: readonly (A.Decl | A.TableDecl)[]): A.Program {
  const tables: A.TableDecl[] = [];
  const rest: A.Decl[] = [];
  for (const d of decls) {
    if (d.kind === 'table') tables.push(d);
    else rest.push(d);
  }
  return { kind: 'program', file, decls: rest, tables };
}

export function inlineTable(kw: Token, n: Token, entries: A.ObjectLit): A.TableDecl {
  return { kind: 'table', name: name(n), entries, file: null, at: null, pos: pos(kw) };
}

export function fileTable(kw: Token, n: Token, file: Token, at: Token | null): A.TableDecl {
  return { kind: 'table', name: name(n), entries: null, file: string(file), at: at === null ? null : string(at), pos: pos(kw) };
}

export { DURATION_UNITS };

/**
 * A list under construction: each item points at the list before it, so adding one is O(1) (the grammar's
 * left-recursive list rules would otherwise copy the array at every item). `items` makes the array.
 */
export interface Cons<T> {
  readonly before: Cons<T> | null;
  readonly item: T;
}

export function cons<T>(before: Cons<T> | null, item: T): Cons<T> {
  return { before, item };
}

export function items<T>(list: Cons<T>): T[] {
  const out: T[] = [];
  for (let c: Cons<T> | null = list; c !== null; c = c.before) out.push(c.item);
  return out.reverse();
}

/** The items of a list that may be empty (null). */
export function list<T>(l: Cons<T> | null): T[] {
  return l === null ? [] : items(l);
}

/** The items of a packed literal list (see `packLiteralLists` in lexer.ts), as the grammar would build them. */
export function literalItems(t: Token): A.Expr[] {
  const out: A.Expr[] = [];
  for (const item of t.items ?? []) {
    const [first, second] = item;
    if (first === undefined) continue;
    if (second !== undefined) out.push(negate(first, second.type === 'number' ? number(second) : duration(second)));
    else if (first.type === 'number') out.push(number(first));
    else if (first.type === 'duration') out.push(duration(first));
    else if (first.type === 'string') out.push(string(first));
    else out.push(keywordLiteral(first));
  }
  return out;
}
