/**
 * What the checker hands to the compiler: the unchanged AST plus side tables keyed by node identity
 * (types, what each name binds to, which function each call resolves to) and per-declaration summaries.
 */
import type * as A from './ast.js';
import type { FunctionRegistry, FunctionSignature, LookupRegistry, LookupSignature, Value } from './functions.js';
import type { FeedMapping, SourceShape } from './schemas.js';
import type { TableValue } from './tables.js';
import type { Type } from './types.js';

export type { RecordSchema } from './schemas.js';

/** The record shape of a source or stream. An open schema admits any other field, typed `unknown`. */
export interface Schema {
  readonly open: boolean;
  readonly fields: ReadonlyMap<string, Type>;
}

/** What a bare name or `v.f` refers to. */
export type Binding =
  /** A field of the record under evaluation (streams, `key by`, and the event under test in `define`). */
  | { readonly kind: 'field'; readonly field: string; readonly type: Type }
  /** A pattern parameter: a constant, overridable by a rule file. */
  | { readonly kind: 'param'; readonly param: string; readonly type: Type }
  /** `v.f` inside `define v` or `until` of v: the event under test. */
  | { readonly kind: 'current'; readonly variable: string; readonly field: string; readonly type: Type }
  /** `w.f`: the last event matched to w so far (in emit: the last event of w in the match). */
  | { readonly kind: 'last'; readonly variable: string; readonly field: string; readonly type: Type };

export type AggregateBinding =
  /** In a windowed select: over the window's records; `arg` null for `count()`. */
  | {
      readonly kind: 'window';
      readonly fn: A.AggregateFn;
      readonly arg: A.Expr | null;
      readonly type: Type;
      /** `top(n, e)`: how many entries (its first argument, a constant); `arg` is `e`. */
      readonly n?: number;
    }
  /**
   * In a pattern: over the events matched to `variable` so far; `field` null for `count(w)`.
   * `includesCurrent`: the event under test counts (inside `define` of the variable itself).
   */
  | {
      readonly kind: 'variable';
      readonly fn: A.AggregateFn;
      readonly variable: string;
      readonly field: string | null;
      readonly includesCurrent: boolean;
      readonly type: Type;
    };

export interface ParamInfo {
  readonly name: string;
  readonly default: Value;
  readonly type: Type;
  readonly decl: A.Param;
}

export interface VariableInfo {
  readonly name: string;
  /** Position in `match`, from 0. */
  readonly index: number;
  readonly step: A.Step;
  /** Its `define` condition; null matches any event. */
  readonly condition: A.Expr | null;
  /** Behind `not next` / `not followed by`: never part of a match. */
  readonly negated: boolean;
  /** Can match no event (`?`, `*`, `{0,m}`, or a trailing `?`). */
  readonly optional: boolean;
  /** Can match more than one event. */
  readonly repeating: boolean;
}

export interface CheckedSource {
  readonly decl: A.SourceDecl;
  readonly schema: Schema;
  /** What validates the records: a named schema, declared fields, or nothing (open). */
  readonly shape: SourceShape;
  /** Field renames, value maps and the zone of zone-less times, applied before validation. */
  readonly mapping: FeedMapping;
  /** Fields with finitely many values (from the named schema; declared boolean fields). */
  readonly boundedFields: ReadonlySet<string>;
}

export interface CheckedStream {
  readonly decl: A.StreamDecl;
  /** Schema of the records the stream reads (for `from a union b`, the inputs' common schema). */
  readonly input: Schema;
  /** Schema of the records it produces. */
  readonly output: Schema;
  readonly lookups: ReadonlyMap<A.Enrich, LookupSignature>;
}

export interface CheckedPattern {
  readonly decl: A.PatternDecl;
  readonly input: Schema;
  readonly params: readonly ParamInfo[];
  /** In match order. */
  readonly variables: readonly VariableInfo[];
  /** Schema of its records when read as a stream: the keys of `emit`, closed (none without an emit). */
  readonly output: Schema;
}

/** A stream named only by `late into`: it carries the refused input records of its producers. */
export interface LateStream {
  readonly name: string;
  readonly producers: readonly (A.StreamDecl | A.PatternDecl)[];
  readonly schema: Schema;
}

export interface CheckedProgram {
  readonly programs: readonly A.Program[];
  readonly sources: ReadonlyMap<string, CheckedSource>;
  readonly streams: ReadonlyMap<string, CheckedStream>;
  readonly patterns: ReadonlyMap<string, CheckedPattern>;
  readonly lateStreams: ReadonlyMap<string, LateStream>;
  readonly types: ReadonlyMap<A.Expr, Type>;
  readonly bindings: ReadonlyMap<A.FieldRef | A.MemberRef, Binding>;
  readonly aggregates: ReadonlyMap<A.Aggregate, AggregateBinding>;
  readonly calls: ReadonlyMap<A.Call, FunctionSignature>;
  /** `lookup(t, key)` calls and the Map of their table (built once, by the checker). */
  readonly tableLookups: ReadonlyMap<A.Call, ReadonlyMap<string, TableValue>>;
  readonly functions: FunctionRegistry;
  readonly lookups: LookupRegistry;
}
