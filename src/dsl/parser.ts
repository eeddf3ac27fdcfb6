/**
 * Wraps the generated nearley grammar: lexes up front, parses, insists on exactly one parse, and turns
 * nearley's failures into one-sentence DslErrors.
 */
import nearley from 'nearley';
import type { Expr, Program, TableDecl } from './ast.js';
import { type Cons, items, program } from './build.js';
import { DslError, sortErrors } from './errors.js';
import { describeExpected } from './expected.js';
import grammar from './generated/grammar.js';
import { packLiteralLists, type Token, TokenStream, tokenize } from './lexer.js';
import { nestingError, sourceTooLarge, tooDeep, tooDeepMessage, tooManyTokens } from './limits.js';

export type ParseResult =
  | { readonly ok: true; readonly program: Program }
  /** `error` is the first syntax error; `errors` adds one for each later declaration that also fails. */
  | { readonly ok: false; readonly error: DslError; readonly errors: readonly DslError[] };

type Postprocess = (d: unknown[], reference: number, reject: unknown) => unknown;

/**
 * A rule's result, built only for the one parse that is kept. Nearley runs a rule's postprocess each time the rule
 * completes: a declaration completes again after every item of a list that can end it (a `select`, the steps of a
 * `match`), and building it each time made a long list quadratic (20,000 select items took 28 s).
 */
class Deferred {
  value: unknown;
  built = false;
  constructor(
    readonly build: Postprocess,
    readonly data: unknown[],
  ) {}
}

const compiled = nearley.Grammar.fromCompiled({
  ...(grammar as unknown as nearley.CompiledRules),
  ParserRules: (grammar as unknown as nearley.CompiledRules).ParserRules.map((rule) => {
    const build = rule.postprocess as Postprocess | undefined;
    // Constants (`() => null`) and nearley's `id` (which passes a deferred result on) cost nothing: run as they are.
    if (build === undefined || build.length === 0 || build.name === 'id') return rule;
    return { ...rule, postprocess: (d: unknown[]) => new Deferred(build, d) };
  }),
});

/**
 * Builds a parse's results bottom-up, without recursion (a list of n items is a chain n deep). Nearley's data arrays
 * (of rules without a postprocess) may hold deferred results; a token or a built value holds none.
 */
function build(root: unknown): unknown {
  interface Frame {
    readonly node: Deferred | unknown[];
    readonly args: unknown[];
    i: number;
  }
  const frame = (node: Deferred | unknown[]): Frame => ({ node, args: [], i: 0 });
  const pending = (x: unknown): x is Deferred | unknown[] => (x instanceof Deferred && !x.built) || Array.isArray(x);
  if (root instanceof Deferred && root.built) return root.value;
  if (!pending(root)) return root;
  const stack: Frame[] = [frame(root)];
  let result: unknown;
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as Frame;
    const children = top.node instanceof Deferred ? top.node.data : top.node;
    if (top.i < children.length) {
      const child = children[top.i];
      if (pending(child)) {
        stack.push(frame(child));
        continue;
      }
      top.args.push(child instanceof Deferred ? child.value : child);
      top.i++;
      continue;
    }
    stack.pop();
    let value: unknown = top.args;
    if (top.node instanceof Deferred) {
      value = top.node.build(top.args, 0, nearley.Parser.fail);
      top.node.value = value;
      top.node.built = true;
    }
    const parent = stack[stack.length - 1];
    if (parent === undefined) result = value;
    else {
      parent.args.push(value);
      parent.i++;
    }
  }
  return result;
}

const DECLARATION_STARTS = new Set(['source', 'stream', 'pattern']);

/**
 * Parses one `.pattern` file. Never throws a DslError; an ambiguity is an internal error and throws.
 * After a syntax error it resumes at the next declaration (`source`, `stream` and `pattern` are reserved and
 * start nothing else), so one run reports a syntax error in each broken declaration.
 */
export function parse(source: string, file: string): ParseResult {
  let all: Token[];
  try {
    const tooLarge = sourceTooLarge(source, file);
    if (tooLarge !== null) throw tooLarge;
    all = packLiteralLists(tokenize(source, file));
    const tooMany = tooManyTokens(all);
    if (tooMany !== null) throw tooMany;
  } catch (error) {
    if (error instanceof DslError) return { ok: false, error, errors: [error] };
    throw error;
  }
  // Before nearley, which would spend up to seconds on them: declarations nested too deeply are refused and left out.
  const { tokens, errors: nested } = withoutNestedTooDeeply(all);
  const first = parseTokens(tokens, 0, file);
  if (first.ok) {
    const deep = sortErrors([...nested, ...tooDeepExpressions(first.decls)]);
    if (deep.length > 0) return { ok: false, error: deep[0] as DslError, errors: deep };
    return { ok: true, program: program(file, first.decls) };
  }
  const errors = [first.error];
  let start = 0;
  let failed = first.at;
  while (failed !== null) {
    const at = start + failed;
    const from = at > start && DECLARATION_STARTS.has(tokens[at]?.text ?? '') ? at : at + 1;
    // From `from`, not from 0, and no copy of the rest: a file of many broken declarations stays linear.
    let next = from;
    while (next < tokens.length && !isDeclarationStart(tokens[next] as Token)) next++;
    if (next >= tokens.length) break;
    start = next;
    const rest = parseTokens(tokens, start, file);
    if (rest.ok) break;
    errors.push(rest.error);
    failed = rest.at;
  }
  if (nested.length === 0) return { ok: false, error: first.error, errors };
  const sorted = sortErrors([...nested, ...errors]);
  return { ok: false, error: sorted[0] as DslError, errors: sorted };
}

const isDeclarationStart = (t: Token): boolean => t.type === 'kw' && DECLARATION_STARTS.has(t.text);

/**
 * The tokens without the declarations nested past the limit (a declaration runs from its `source`, `stream` or
 * `pattern` to the next), and an error for each of those; the others still parse and report their own errors.
 */
function withoutNestedTooDeeply(tokens: Token[]): { tokens: Token[]; errors: DslError[] } {
  const errors: DslError[] = [];
  const kept: Token[] = [];
  let from = 0;
  while (from < tokens.length) {
    let to = from + 1;
    while (to < tokens.length && !isDeclarationStart(tokens[to] as Token)) to++;
    const error = nestingError(tokens, from, to);
    if (error === null) for (let i = from; i < to; i++) kept.push(tokens[i] as Token);
    else errors.push(error);
    from = to;
  }
  return { tokens: errors.length === 0 ? tokens : kept, errors };
}

const EXPRESSION_KINDS = new Set<string>([
  'number',
  'string',
  'boolean',
  'null',
  'duration',
  'field',
  'member',
  'unary',
  'binary',
  'in',
  'between',
  'call',
  'aggregate',
  'if',
  'coalesce',
  'object',
]);

/**
 * An error for each expression nested beyond the limit (the checker and compiler recurse on expressions; past
 * the limit they would run out of stack). Walks the declarations without recursion, as deep input is the point.
 */
function tooDeepExpressions(decls: readonly (Program['decls'][number] | TableDecl)[]): DslError[] {
  const errors: DslError[] = [];
  const stack: unknown[] = [...decls];
  for (let x = stack.pop(); x !== undefined; x = stack.pop()) {
    if (typeof x !== 'object' || x === null) continue;
    const kind = (x as { kind?: unknown }).kind;
    if (typeof kind === 'string' && EXPRESSION_KINDS.has(kind)) {
      const deep = tooDeep(x as Expr);
      if (deep !== null) errors.push(new DslError(deep.pos.file, deep.pos.line, deep.pos.col, tooDeepMessage(deep)));
      continue;
    }
    for (const v of Object.values(x)) if (typeof v === 'object' && v !== null) stack.push(v);
  }
  return sortErrors(errors);
}

type TokensResult =
  | { readonly ok: true; readonly decls: readonly (Program['decls'][number] | TableDecl)[] }
  /** `at`: index of the offending token, null at the end of input. */
  | { readonly ok: false; readonly error: DslError; readonly at: number | null };

/** Parses `tokens` from `start` on; `at` in the result counts from `start`. */
function parseTokens(tokens: readonly Token[], start: number, file: string): TokensResult {
  const parser = new nearley.Parser(compiled, { lexer: new TokenStream(tokens, start) });
  try {
    parser.feed('');
  } catch (error) {
    const at = (error as { offset?: unknown }).offset;
    if (typeof at !== 'number') throw error;
    const token = tokens[start + at];
    if (token === undefined) throw error;
    return { ok: false, error: unexpected(parser, tokens, start, at, token, file), at };
  }
  const results = parser.results as unknown[];
  if (results.length === 0) return { ok: false, error: unexpected(parser, tokens, start, tokens.length - start, null, file), at: null };
  if (results.length > 1) {
    throw new Error(
      `internal error: the grammar is ambiguous for ${file} (${results.length} parses); ` +
        `first difference at ${firstDifference(build(results[0]), build(results[1]))}`,
    );
  }
  const decls = build(results[0]) as Cons<Program['decls'][number] | TableDecl> | null;
  return { ok: true, decls: decls === null ? [] : items(decls) };
}

/** How many complete parses nearley finds (tests: must be 1 for every accepted input). Throws on a syntax error. */
export function countParses(source: string, file: string): number {
  const parser = new nearley.Parser(compiled, { lexer: new TokenStream(packLiteralLists(tokenize(source, file))) });
  parser.feed('');
  return (parser.results as unknown[]).length;
}

/** The terminals the parser could have accepted next, read off nearley's last live column. */
function expectedTerminals(parser: nearley.Parser, column: number): string[] {
  const table = (parser as unknown as { table: { states: { rule: nearley.Rule; dot: number }[] }[] }).table;
  const states = table[column]?.states ?? [];
  const out = new Set<string>();
  for (const state of states) {
    const symbol: unknown = state.rule.symbols[state.dot];
    if (symbol === undefined || typeof symbol === 'string') continue;
    if (typeof symbol === 'object' && symbol !== null) {
      if ('literal' in symbol) out.add(`'${String((symbol as { literal: unknown }).literal)}'`);
      else if ('type' in symbol) out.add(`%${String((symbol as { type: unknown }).type)}`);
    }
  }
  return [...out];
}

/** `at` counts from `start`, where this parse began. */
function unexpected(parser: nearley.Parser, tokens: readonly Token[], start: number, at: number, token: Token | null, file: string): DslError {
  const expected = describeExpected(expectedTerminals(parser, at));
  const previous = at > 0 ? tokens[start + at - 1] : undefined;
  const after = previous === undefined ? '' : ` after '${previous.text}'`;
  if (token !== null) {
    const terminals = expectedTerminals(parser, at);
    const hint = token.text === '=' && terminals.includes("'=='") ? "; use '==' to compare" : clauseOrderHint(tokens, start, start + at);
    return new DslError(file, token.line, token.col, `expected ${expected}${after}, found ${describeToken(token)}${hint}`);
  }
  // End of input: point just past the last token.
  if (previous === undefined) return new DslError(file, 1, 1, `expected ${expected}, found end of input`);
  return new DslError(file, previous.line, previous.col + previous.text.length, `expected ${expected}${after}, found end of input`);
}

/** A pattern's clauses, in the order the grammar takes them. */
const PATTERN_CLAUSES = ['from', 'key by', 'let', 'define', 'match', 'within', 'after match', 'allowed lateness', 'late into', 'emit'];

/**
 * When a pattern clause comes out of order (`emit ... within 1m`, `define ... key by`), says the order: the
 * parser alone can only say what it expected next.
 */
function clauseOrderHint(tokens: readonly Token[], start: number, at: number): string {
  const token = tokens[at];
  const previous = at > start ? tokens[at - 1] : undefined;
  if (token === undefined) return '';
  const clause =
    token.text === 'by' && previous?.text === 'key'
      ? 'key by'
      : token.text === 'on'
        ? 'emit'
        : PATTERN_CLAUSES.find((c) => c.split(' ')[0] === token.text && c !== 'from');
  if (clause === undefined) return '';
  for (let i = at - 1; i >= start; i--) {
    const t = tokens[i] as Token;
    if (t.type !== 'kw' || !DECLARATION_STARTS.has(t.text)) continue;
    if (t.text !== 'pattern') return '';
    return `; a pattern's clauses come in this order: ${PATTERN_CLAUSES.join(', ')} (and 'on timeout emit', before or after 'emit'), each at most once`;
  }
  return '';
}

function describeToken(t: Token): string {
  switch (t.type) {
    case 'string':
      return `the string ${t.text}`;
    case 'literals':
      return 'a list of literals';
    case 'number':
      return `the number ${t.text}`;
    case 'duration':
      return `the duration ${t.text}`;
    case 'ident':
    case 'kw':
    case 'op':
      return `'${t.text}'`;
  }
}

/** For the ambiguity report: the path to the first place two parses differ. */
function firstDifference(a: unknown, b: unknown, path = 'root'): string {
  if (a === b) return 'nowhere';
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return path;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    const x = (a as Record<string, unknown>)[key];
    const y = (b as Record<string, unknown>)[key];
    if (JSON.stringify(x) !== JSON.stringify(y)) {
      const pos = (a as { pos?: { line: number; col: number } }).pos;
      const here = pos === undefined ? path : `${path} (${pos.line}:${pos.col})`;
      const deeper = firstDifference(x, y, `${path}.${key}`);
      return deeper === `${path}.${key}` ? here + `.${key}` : deeper;
    }
  }
  return path;
}
