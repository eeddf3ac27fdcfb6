/**
 * Limits of the language, refused with a positioned error instead of exhausting the stack or the heap. The
 * checker and the compiler walk expressions recursively, and an NFA has a state per counted repetition.
 */
import { type Expr, forEachChild } from './ast.js';
import { DslError } from './errors.js';
import type { Token } from './lexer.js';

/** Nesting of expressions (operators, calls, `not`): far beyond what a person writes, well inside the stack. */
export const MAX_EXPRESSION_DEPTH = 256;

/** `v{n}` / `v{n,m}` / `v{n,}`: each counted repetition is an NFA state, copied into every partial match. */
export const MAX_QUANTIFIER_COUNT = 1000;

/**
 * The longest duration (`within`, window sizes, lateness): 2^52 ms. An event time (at most 2^52 ms, see the core's
 * MAX_EVENT_TIME) plus a duration must stay an exact integer, or a timer due at `ts + within` never gets past `ts`.
 */
export const MAX_DURATION_MS = 2 ** 52;

/**
 * The largest pattern file, in UTF-8 bytes: 2 MiB, the body limit of the rule-set API (so every file the API accepts
 * also fits here), room for a watchlist of 100,000 plates (1.3 MB), sixty times the shipped patterns. Checked before
 * lexing: the lexer alone takes seconds and hundreds of MB on a few MB of punctuation.
 */
export const MAX_SOURCE_BYTES = 2 * 1024 * 1024;

/**
 * The most tokens the lexer makes of a file (each is an object in memory): twice the 100,000-plate watchlist's
 * 200,000, a tenth of what 2 MiB of one-character tokens would make (3 s and 280 MB to lex).
 */
export const MAX_LEXED_TOKENS = 500_000;

/**
 * The most tokens the parser reads (a list of literals counts as one): thirty times the shipped patterns (3,000).
 * Earley parsing costs some microseconds a token and more on long chains; 100,000 ordinary tokens parse in about 0.7 s.
 */
export const MAX_PARSED_TOKENS = 100_000;

/**
 * Nesting of brackets (`(`, `[`, `{`), checked on the tokens before parsing, as is a run of prefix `not` and `-`
 * (each one expression level): past this the expression depth check after the parse would refuse the file anyway,
 * and the parser would first spend up to seconds on it. Parentheses around a single expression count here too.
 */
export const MAX_NESTING_DEPTH = MAX_EXPRESSION_DEPTH;

/** An error when `source` is longer than MAX_SOURCE_BYTES, at the first character past the limit; else null. */
export function sourceTooLarge(source: string, file: string): DslError | null {
  // UTF-16 units never outnumber UTF-8 bytes, and a unit is at most 3 bytes: count bytes only when it matters.
  if (source.length <= MAX_SOURCE_BYTES / 3) return null;
  const text = source.startsWith('\uFEFF') ? source.slice(1) : source;
  let bytes = 0;
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // A surrogate pair is 4 bytes: 2 for each half.
    bytes += c < 0x80 ? 1 : c < 0x800 || (c >= 0xd800 && c < 0xe000) ? 2 : 3;
    if (bytes > MAX_SOURCE_BYTES) {
      const size = utf8Length(text);
      return new DslError(
        file,
        line,
        i - lineStart + 1,
        `this file is too large: ${grouped(size)} bytes, at most ${grouped(MAX_SOURCE_BYTES)} (2 MiB); split it into several pattern files`,
      );
    }
    if (c === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return null;
}

function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    bytes += c < 0x80 ? 1 : c < 0x800 || (c >= 0xd800 && c < 0xe000) ? 2 : 3;
  }
  return bytes;
}

export function tooManyTokensMessage(limit: number, what: string): string {
  return `this file has too many tokens: at most ${grouped(limit)} ${what}; split it into several pattern files`;
}

/** An error at the first token past MAX_PARSED_TOKENS, or null. */
export function tooManyTokens(tokens: readonly Token[]): DslError | null {
  const t = tokens[MAX_PARSED_TOKENS];
  if (t === undefined) return null;
  return new DslError(
    t.file,
    t.line,
    t.col,
    tooManyTokensMessage(MAX_PARSED_TOKENS, 'words, numbers, strings and operators (a list of literals counts as one)'),
  );
}

/**
 * The first place in `tokens[from, to)` nested past MAX_NESTING_DEPTH: brackets, or a run of prefix `not` / `-`.
 * One pass, no recursion; null when none.
 */
export function nestingError(tokens: readonly Token[], from: number, to: number): DslError | null {
  let depth = 0;
  let prefixRun = 0;
  for (let i = from; i < to; i++) {
    const t = tokens[i] as Token;
    const prefix = (t.type === 'kw' && t.text === 'not') || (t.type === 'op' && t.text === '-');
    prefixRun = prefix ? prefixRun + 1 : 0;
    if (prefixRun > MAX_NESTING_DEPTH) {
      return new DslError(t.file, t.line, t.col, `this expression is nested too deeply (more than ${MAX_NESTING_DEPTH} 'not' or '-' in a row)`);
    }
    if (t.type !== 'op') continue;
    if (t.text === '(' || t.text === '[' || t.text === '{') {
      depth++;
      if (depth > MAX_NESTING_DEPTH) {
        return new DslError(t.file, t.line, t.col, `brackets nest too deeply here (more than ${MAX_NESTING_DEPTH} levels of '(', '[' and '{')`);
      }
    } else if ((t.text === ')' || t.text === ']' || t.text === '}') && depth > 0) depth--;
  }
  return null;
}

const grouped = (n: number): string => n.toLocaleString('en-US');

/** The first node (in source order) nested deeper than MAX_EXPRESSION_DEPTH in `e`, or null. Iterative. */
export function tooDeep(e: Expr, depth = 1): Expr | null {
  const stack: [Expr, number][] = [[e, depth]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [x, d] = top;
    if (d > MAX_EXPRESSION_DEPTH) return x;
    const children: Expr[] = [];
    forEachChild(x, (c) => {
      children.push(c);
      return undefined;
    });
    for (let i = children.length - 1; i >= 0; i--) {
      const c = children[i] as Expr;
      // A leaf at an allowed depth cannot be too deep: skipping it keeps long literal lists cheap.
      if (d + 1 <= MAX_EXPRESSION_DEPTH && isLeaf(c)) continue;
      stack.push([c, d + 1]);
    }
  }
  return null;
}

export function tooDeepMessage(at: Expr): string {
  const hint = at.kind === 'binary' && at.op === 'or' ? "; for a list of values use 'x in [a, b, ...]'" : '';
  return `this expression is nested too deeply (more than ${MAX_EXPRESSION_DEPTH} levels of operators and calls)${hint}`;
}

function isLeaf(e: Expr): boolean {
  return (
    e.kind === 'number' ||
    e.kind === 'string' ||
    e.kind === 'boolean' ||
    e.kind === 'null' ||
    e.kind === 'duration' ||
    e.kind === 'field' ||
    e.kind === 'member'
  );
}
