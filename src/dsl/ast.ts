/**
 * The pattern language's one AST: an immutable discriminated union on `kind`.
 * Every node carries `pos`, the place of its first token.
 */
import type { DurationUnit } from './lexer.js';

export interface Pos {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly offset?: number;
}

/** A name as written, with its own position (declaration names, variables, aliases). */
export interface Name {
  readonly kind: 'name';
  readonly name: string;
  readonly pos: Pos;
}

// ---------------------------------------------------------------- expressions

export interface NumberLit {
  readonly kind: 'number';
  readonly value: number;
  readonly pos: Pos;
}
export interface StringLit {
  readonly kind: 'string';
  readonly value: string;
  readonly pos: Pos;
}
export interface BooleanLit {
  readonly kind: 'boolean';
  readonly value: boolean;
  readonly pos: Pos;
}
export interface NullLit {
  readonly kind: 'null';
  readonly pos: Pos;
}
/** `5m`: `ms` is the value; `amount` and `unit` keep the spelling for printing. */
export interface DurationLit {
  readonly kind: 'duration';
  readonly ms: number;
  readonly amount: number;
  readonly unit: DurationUnit;
  readonly pos: Pos;
}
export type Literal = NumberLit | StringLit | BooleanLit | NullLit | DurationLit;

/** A bare name: a field of the current record, a pattern parameter, or (in `count(w)`) a variable. */
export interface FieldRef {
  readonly kind: 'field';
  readonly name: string;
  readonly pos: Pos;
}
/** `v.f`: field `f` of pattern variable `v`. */
export interface MemberRef {
  readonly kind: 'member';
  readonly variable: Name;
  readonly field: string;
  readonly pos: Pos;
}

export type UnaryOp = '-' | 'not';
export interface Unary {
  readonly kind: 'unary';
  readonly op: UnaryOp;
  readonly operand: Expr;
  readonly pos: Pos;
}

export type ArithmeticOp = '+' | '-' | '*' | '/' | '%';
export type ComparisonOp = '==' | '!=' | '<' | '<=' | '>' | '>=';
export type LogicalOp = 'and' | 'or';
export type BinaryOp = ArithmeticOp | ComparisonOp | LogicalOp;
export interface Binary {
  readonly kind: 'binary';
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
  /** The operator's own place, where type errors point. */
  readonly opPos: Pos;
  readonly pos: Pos;
}

/** `x in [a, b]`, `x not in [...]`. */
export interface InList {
  readonly kind: 'in';
  readonly negated: boolean;
  readonly value: Expr;
  readonly items: readonly Expr[];
  readonly pos: Pos;
}
/** `x between a and b` (inclusive), `x not between a and b`. */
export interface Between {
  readonly kind: 'between';
  readonly negated: boolean;
  readonly value: Expr;
  readonly low: Expr;
  readonly high: Expr;
  readonly pos: Pos;
}

/** A call of a registered function. */
export interface Call {
  readonly kind: 'call';
  readonly callee: Name;
  readonly args: readonly Expr[];
  readonly pos: Pos;
}

export type AggregateFn = 'count' | 'sum' | 'avg' | 'stddev' | 'min' | 'max' | 'first' | 'last' | 'top';
/**
 * `count()`, `count(w)`, `sum(w.f)`, `avg(speed)`. The parser makes every call of count, sum, avg,
 * first, last, and min/max with exactly one argument, an aggregate; the checker decides what it ranges over.
 */
export interface Aggregate {
  readonly kind: 'aggregate';
  readonly fn: AggregateFn;
  readonly args: readonly Expr[];
  readonly pos: Pos;
}

export interface If {
  readonly kind: 'if';
  readonly cond: Expr;
  readonly then: Expr;
  readonly else: Expr;
  readonly pos: Pos;
}
export interface Coalesce {
  readonly kind: 'coalesce';
  readonly args: readonly Expr[];
  readonly pos: Pos;
}

export interface ObjectEntry {
  readonly kind: 'entry';
  readonly key: string;
  readonly value: Expr;
  readonly pos: Pos;
}
/** `{ k: v, ... }`: the payload of `emit`, possibly nested. */
export interface ObjectLit {
  readonly kind: 'object';
  readonly entries: readonly ObjectEntry[];
  readonly pos: Pos;
}

export type Expr = Literal | FieldRef | MemberRef | Unary | Binary | InList | Between | Call | Aggregate | If | Coalesce | ObjectLit;

// ---------------------------------------------------------------- declarations

/** `source passes event time ts watermark 30s out of order idle after 1m schema traffic`. */
export interface SourceDecl {
  readonly kind: 'source';
  readonly name: Name;
  readonly eventTime: Name;
  readonly watermark: Expr | null;
  readonly idleAfter: Expr | null;
  /** What the records look like and how the feed's own shape is mapped to it, in the order written. */
  readonly clauses: readonly SourceClause[];
  readonly pos: Pos;
}

/** `schema traffic` or `schema traffic { min_plate_confidence: 80 }`: a named schema a domain module registers. */
export interface SchemaClause {
  readonly kind: 'schema';
  readonly name: Name;
  readonly options: ObjectLit | null;
  readonly pos: Pos;
}
/** `vehicle: string` or `route?: string` (may be missing or null) in `fields { ... }`. */
export interface FieldDecl {
  readonly kind: 'field-decl';
  readonly name: Name;
  readonly optional: boolean;
  readonly type: Name;
  readonly pos: Pos;
}
/** `fields { vehicle: string, lat: number, ts: timestamp }`: the source's own closed schema. */
export interface FieldsClause {
  readonly kind: 'fields';
  readonly fields: readonly FieldDecl[];
  readonly pos: Pos;
}
/** `kkbh as checkpoint`: the feed's field name (any word or a string) and the name patterns read. */
export interface Rename {
  readonly kind: 'rename';
  readonly from: Name;
  readonly to: Name;
  readonly pos: Pos;
}
/** `map kkbh as checkpoint, hphm as plate`. */
export interface MapClause {
  readonly kind: 'map';
  readonly renames: readonly Rename[];
  readonly pos: Pos;
}
/** `map plate_color values { "2": "blue", ... } else "unknown"`: codes of a (renamed) field to values. */
export interface ValueMapClause {
  readonly kind: 'map-values';
  readonly field: Name;
  readonly values: ObjectLit;
  readonly otherwise: Literal | null;
  readonly pos: Pos;
}
/** `time zone "+08:00"`: the offset of event times the feed writes without one. */
export interface TimeZoneClause {
  readonly kind: 'time-zone';
  readonly zone: StringLit;
  readonly pos: Pos;
}
export type SourceClause = SchemaClause | FieldsClause | MapClause | ValueMapClause | TimeZoneClause;

export interface Enrich {
  readonly kind: 'enrich';
  readonly name: Name;
  readonly call: Call;
  readonly pos: Pos;
}

export interface TumblingWindow {
  readonly kind: 'tumbling';
  readonly size: Expr;
  readonly offset: Expr | null;
  readonly pos: Pos;
}
export interface SlidingWindow {
  readonly kind: 'sliding';
  readonly size: Expr;
  readonly slide: Expr;
  readonly offset: Expr | null;
  readonly pos: Pos;
}
export interface SessionWindow {
  readonly kind: 'session';
  readonly gap: Expr;
  readonly pos: Pos;
}
export type WindowClause = TumblingWindow | SlidingWindow | SessionWindow;

export interface SelectItem {
  readonly kind: 'select-item';
  readonly expr: Expr;
  readonly alias: Name | null;
  readonly pos: Pos;
}
/** `select *`, `select a, b as c`, `select *, x as y`. */
export interface Select {
  readonly kind: 'select';
  readonly star: boolean;
  readonly items: readonly SelectItem[];
  readonly pos: Pos;
}

/** Clauses appear in this order in the text; every clause after `from` is optional. */
export interface StreamDecl {
  readonly kind: 'stream';
  readonly name: Name;
  /** A source, a stream, a late stream, or a pattern (the records its `emit` builds, one per match). */
  readonly from: Name;
  /** `from a union b union c`: the further inputs (`b`, `c`); empty for a single input. */
  readonly union: readonly Name[];
  readonly where: Expr | null;
  readonly enrich: readonly Enrich[];
  readonly keyBy: readonly Expr[];
  /** `keep <duration>`: how long a key's `prev(...)` state lasts after its last record (event time). */
  readonly keep: Expr | null;
  readonly window: WindowClause | null;
  readonly allowedLateness: Expr | null;
  readonly lateInto: Name | null;
  readonly select: Select | null;
  readonly pos: Pos;
}

export interface Param {
  readonly kind: 'param';
  readonly name: Name;
  readonly default: Literal;
  readonly pos: Pos;
}
/**
 * `let impossible(x, y) = <expr>` in a pattern: a named expression, used as `impossible(a, b)` (or as a bare
 * name when it has no parameter list). The checker expands every use in place (see lets.ts).
 */
export interface LetDef {
  readonly kind: 'let';
  readonly name: Name;
  /** Null for `let n = e` (used as `n`); a list, possibly empty, for `let n(...) = e`. */
  readonly params: readonly Name[] | null;
  readonly body: Expr;
  readonly pos: Pos;
}
export interface Define {
  readonly kind: 'define';
  readonly variable: Name;
  readonly cond: Expr;
  readonly pos: Pos;
}

export type Quantifier =
  | { readonly kind: 'optional'; readonly pos: Pos } //                  v?
  | { readonly kind: 'one-or-more'; readonly pos: Pos } //               v+
  | { readonly kind: 'zero-or-more'; readonly pos: Pos } //              v*
  /** `{n}` has max = min; `{n,}` has max = null. */
  | { readonly kind: 'times'; readonly min: number; readonly max: number | null; readonly pos: Pos };

export type Modifier =
  | { readonly kind: 'greedy'; readonly pos: Pos }
  | { readonly kind: 'consecutive'; readonly pos: Pos }
  | { readonly kind: 'any'; readonly pos: Pos }
  | { readonly kind: 'until'; readonly cond: Expr; readonly pos: Pos };

/** A variable with its quantifier; `optional` is the trailing `?` of `v+?` or `v{2}?`. */
export interface Term {
  readonly kind: 'term';
  readonly variable: Name;
  readonly quantifier: Quantifier | null;
  readonly optional: boolean;
  readonly modifiers: readonly Modifier[];
  readonly pos: Pos;
}

export type ConnectorKind = 'next' | 'followed-by' | 'followed-by-any' | 'not-next' | 'not-followed-by';
export interface Connector {
  readonly kind: ConnectorKind;
  readonly pos: Pos;
}

/** One term of `match` and the connector before it (null for the first term). */
export interface Step {
  readonly kind: 'step';
  readonly connector: Connector | null;
  readonly term: Term;
  readonly pos: Pos;
}

export type AfterMatch =
  | { readonly kind: 'no-skip'; readonly pos: Pos }
  | { readonly kind: 'skip-to-next'; readonly pos: Pos }
  | { readonly kind: 'skip-past-last-event'; readonly pos: Pos }
  | { readonly kind: 'skip-to-first'; readonly variable: Name; readonly pos: Pos }
  | { readonly kind: 'skip-to-last'; readonly variable: Name; readonly pos: Pos };

export interface PatternDecl {
  readonly kind: 'pattern';
  readonly name: Name;
  readonly params: readonly Param[];
  readonly from: Name;
  readonly keyBy: readonly Expr[];
  readonly lets: readonly LetDef[];
  readonly defines: readonly Define[];
  readonly match: readonly Step[];
  readonly within: Expr | null;
  readonly afterMatch: AfterMatch | null;
  /**
   * Extension: how far behind the watermark an event may come and still be matched (its key's recent events are
   * kept that long and matched again with it); null: none, a late event goes to the late output.
   */
  readonly allowedLateness: Expr | null;
  readonly lateInto: Name | null;
  /** Absent: a match emits an empty payload (useful with `vigil match`). */
  readonly emit: ObjectLit | null;
  readonly onTimeout: ObjectLit | null;
  readonly pos: Pos;
}

export type Decl = SourceDecl | StreamDecl | PatternDecl;

/**
 * `table t = { "k": literal, ... }` or `table t = file "path.json" [at "a.b"]`: a constant key -> value table that
 * `lookup(t, key)` reads. Exactly one of `entries` and `file` is set; the file is read by the checker, once.
 */
export interface TableDecl {
  readonly kind: 'table';
  readonly name: Name;
  readonly entries: ObjectLit | null;
  /** A JSON file, relative to the pattern file's directory. */
  readonly file: StringLit | null;
  /** `at "provinces"` / `at "a.b"`: the sub-object of the file's JSON object to use; null: the whole object. */
  readonly at: StringLit | null;
  readonly pos: Pos;
}

export interface Program {
  readonly kind: 'program';
  readonly file: string;
  readonly decls: readonly Decl[];
  /** Lookup tables, in source order (a namespace of their own, read only by `lookup(...)`). */
  readonly tables: readonly TableDecl[];
}

export type Node =
  | Expr
  | Decl
  | Program
  | Name
  | Enrich
  | WindowClause
  | Select
  | SelectItem
  | Param
  | LetDef
  | Define
  | Quantifier
  | Modifier
  | Term
  | Connector
  | Step
  | AfterMatch
  | ObjectEntry;

// ---------------------------------------------------------------- walking expressions

/**
 * Calls `visit` on each direct sub-expression of `e`, in source order, and stops at the first truthy result,
 * which it returns (as the TypeScript compiler's `forEachChild`). The one place that knows every kind's children.
 */
export function forEachChild<T>(e: Expr, visit: (child: Expr) => T | undefined): T | undefined {
  const each = (list: readonly Expr[]): T | undefined => {
    for (const x of list) {
      const r = visit(x);
      if (r) return r;
    }
    return undefined;
  };
  switch (e.kind) {
    case 'number':
    case 'string':
    case 'boolean':
    case 'null':
    case 'duration':
    case 'field':
    case 'member':
      return undefined;
    case 'unary':
      return visit(e.operand);
    case 'binary':
      return each([e.left, e.right]);
    case 'in':
      return visit(e.value) || each(e.items);
    case 'between':
      return each([e.value, e.low, e.high]);
    case 'call':
    case 'aggregate':
    case 'coalesce':
      return each(e.args);
    case 'if':
      return each([e.cond, e.then, e.else]);
    case 'object':
      return each(e.entries.map((x) => x.value));
  }
}

/** Whether `e` or any expression inside it satisfies `test`. Iterative: deep expressions do not recurse. */
export function someExpr(e: Expr, test: (x: Expr) => boolean): boolean {
  const stack: Expr[] = [e];
  for (let x = stack.pop(); x !== undefined; x = stack.pop()) {
    if (test(x)) return true;
    forEachChild(x, (child) => {
      stack.push(child);
      return undefined;
    });
  }
  return false;
}

/** A copy of `e` whose direct sub-expressions are replaced by `f` of each (the node itself is new). */
export function mapChildren(e: Expr, f: (child: Expr) => Expr): Expr {
  switch (e.kind) {
    case 'number':
    case 'string':
    case 'boolean':
    case 'null':
    case 'duration':
    case 'field':
    case 'member':
      return { ...e };
    case 'unary':
      return { ...e, operand: f(e.operand) };
    case 'binary':
      return { ...e, left: f(e.left), right: f(e.right) };
    case 'in':
      return { ...e, value: f(e.value), items: e.items.map(f) };
    case 'between':
      return { ...e, value: f(e.value), low: f(e.low), high: f(e.high) };
    case 'call':
      return { ...e, args: e.args.map(f) };
    case 'aggregate':
      return { ...e, args: e.args.map(f) };
    case 'coalesce':
      return { ...e, args: e.args.map(f) };
    case 'if':
      // biome-ignore lint/suspicious/noThenProperty: the if-node's branch, an Expr and never a function, so no thenable.
      return { ...e, cond: f(e.cond), then: f(e.then), else: f(e.else) };
    case 'object':
      return { ...e, entries: e.entries.map((x) => ({ ...x, value: f(x.value) })) };
  }
}

/** The output field name of a select item: its alias, a bare field's name, the aggregate's or function's name. */
export function selectItemName(item: SelectItem, index: number): string {
  if (item.alias !== null) return item.alias.name;
  const e = item.expr;
  if (e.kind === 'field') return e.name;
  if (e.kind === 'member') return e.field;
  if (e.kind === 'aggregate') return e.fn;
  if (e.kind === 'call') return e.callee.name;
  return `expr_${index + 1}`;
}
