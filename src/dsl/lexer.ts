import moo from 'moo';
import { DslError } from './errors.js';
import { MAX_LEXED_TOKENS, tooManyTokensMessage } from './limits.js';

/**
 * Words that can never be names. Everything else that reads like a keyword (`key`, `by`, `window`,
 * `first`, `last`, `time`, ...) is an identifier that the grammar matches by its text where a keyword
 * belongs, so record fields and emit keys may still be called `first`, `key` or `time`.
 * A word is reserved only where a name and that keyword could otherwise stand in the same place.
 */
export const RESERVED = [
  'and',
  'or',
  'not',
  'in',
  'between',
  'true',
  'false',
  'null',
  'as',
  'from',
  'where',
  'select',
  'define',
  'match',
  'within',
  'emit',
  'followed',
  'next',
  'any',
  'until',
  'greedy',
  'consecutive',
  'source',
  'stream',
  'pattern',
  'enrich',
] as const;

/** Milliseconds per duration unit. */
export const DURATION_UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
export type DurationUnit = keyof typeof DURATION_UNITS;

/** `literals` is no source text: it stands for a run of literal list items packed by `packLiteralLists`. */
export type TokenType = 'ident' | 'kw' | 'number' | 'duration' | 'string' | 'op' | 'literals';

/**
 * A token as the grammar sees it. `text` is the source text (nearley matches literals against it);
 * `value` is the decoded value: the string's content, the number's text, a duration in ms.
 */
// A type alias, not an interface, so it fits nearley's index-signature token type.
export type Token = {
  readonly type: TokenType;
  readonly text: string;
  readonly value: string;
  readonly line: number;
  readonly col: number;
  readonly offset: number;
  readonly file: string;
  /** Only on a `literals` token: each item's tokens (one, or a minus sign and a number or duration). */
  readonly items?: readonly (readonly Token[])[];
};

const mooLexer = moo.compile({
  nl: { match: /\r?\n/, lineBreaks: true },
  ws: /[ \t\f\v]+/,
  comment: /--[^\n]*/,
  duration: /\d+(?:\.\d+)?(?:ms|s|m|h|d)(?![A-Za-z0-9_])/,
  number: /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![A-Za-z0-9_])/,
  badnumber: /\d+(?:\.\d+)?[A-Za-z_][A-Za-z0-9_]*/,
  string: /"(?:[^"\\\n]|\\[^\n])*"|'(?:[^'\\\n]|\\[^\n])*'/,
  openstring: /["'](?:[^"'\\\n]|\\[^\n])*/,
  ident: { match: /[A-Za-z_][A-Za-z0-9_]*/, type: moo.keywords({ kw: [...RESERVED] }) },
  op: ['==', '!=', '<=', '>=', '<', '>', '+', '-', '*', '/', '%', '(', ')', '[', ']', '{', '}', ',', '.', ':', '=', '?'],
  error: moo.error,
});

const ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\',
  '"': '"',
  "'": "'",
  n: '\n',
  t: '\t',
  r: '\r',
  '0': '\0',
};

/** Decodes a quoted string literal; reports a bad escape at its own column. */
function decodeString(text: string, file: string, line: number, col: number): string {
  let out = '';
  for (let i = 1; i < text.length - 1; i++) {
    const c = text[i] as string;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = text[i + 1] as string;
    const simple = ESCAPES[e];
    if (simple !== undefined) {
      out += simple;
      i++;
    } else if (e === 'u' && /^[0-9A-Fa-f]{4}$/.test(text.slice(i + 2, i + 6))) {
      out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
      i += 5;
    } else {
      throw new DslError(file, line, col + i, `unknown escape '\\${e}' in string; use \\\\, \\", \\', \\n, \\t, \\r, \\0 or \\uXXXX`);
    }
  }
  return out;
}

/** Splits a whole source text into tokens, dropping whitespace and comments. Throws DslError. */
export function tokenize(source: string, file: string): Token[] {
  // A leading byte-order mark is invisible in editors: skip it so columns match what the user sees.
  const bom = source.startsWith('\uFEFF') ? 1 : 0;
  mooLexer.reset(bom === 0 ? source : source.slice(1));
  const tokens: Token[] = [];
  for (let t = mooLexer.next(); t !== undefined; t = mooLexer.next()) {
    // One object per token, fields in one order: long watchlists make hundreds of thousands of them.
    const token = (type: TokenType, value: string): Token => ({ type, text: t.text, value, line: t.line, col: t.col, offset: t.offset + bom, file });
    if (tokens.length === MAX_LEXED_TOKENS && t.type !== 'nl' && t.type !== 'ws' && t.type !== 'comment') {
      throw new DslError(file, t.line, t.col, tooManyTokensMessage(MAX_LEXED_TOKENS, 'words, numbers, strings and operators'));
    }
    switch (t.type) {
      case 'nl':
      case 'ws':
      case 'comment':
        break;
      case 'duration': {
        const unit = /[a-z]+$/.exec(t.text)?.[0] as DurationUnit;
        const amount = Number(t.text.slice(0, t.text.length - unit.length));
        tokens.push(token('duration', String(amount * DURATION_UNITS[unit])));
        break;
      }
      case 'number':
        tokens.push(token('number', t.text));
        break;
      case 'badnumber': {
        const unit = /[A-Za-z_][A-Za-z0-9_]*$/.exec(t.text)?.[0] ?? '';
        const unitCol = t.col + t.text.length - unit.length;
        throw new DslError(file, t.line, unitCol, `unknown unit '${unit}' after a number; durations use ms, s, m, h or d`);
      }
      case 'string':
        tokens.push(token('string', t.text.includes('\\') ? decodeString(t.text, file, t.line, t.col) : t.text.slice(1, -1)));
        break;
      case 'openstring':
        throw new DslError(file, t.line, t.col, 'unterminated string: a string must close on the same line');
      case 'ident':
      case 'kw':
      case 'op':
        tokens.push(token(t.type, t.text));
        break;
      default: {
        const ch = t.text.codePointAt(0) ?? 0;
        const shown = String.fromCodePoint(ch);
        throw new DslError(file, t.line, t.col, `unexpected character '${shown}'`);
      }
    }
  }
  return tokens;
}

/**
 * Replaces the items of each list made only of literals (`[1, -2, "x", 5m, true, null]`) by one `literals`
 * token. A watchlist of 100,000 plates then costs the Earley parser three tokens instead of 200,000, each of
 * which would keep a column of parser states alive until the end of the parse.
 */
export function packLiteralLists(tokens: readonly Token[]): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < tokens.length) {
    const t = tokens[i] as Token;
    out.push(t);
    i++;
    if (t.text !== '[' || t.type !== 'op') continue;
    const items: Token[][] = [];
    let j = i;
    for (;;) {
      const item = literalAt(tokens, j);
      if (item === null) break;
      items.push(item);
      j += item.length;
      const sep = tokens[j];
      if (sep?.type === 'op' && sep.text === ',') j++;
      else break;
    }
    const close = tokens[j];
    if (items.length === 0 || close?.type !== 'op' || close.text !== ']' || tokens[j - 1]?.text === ',') continue;
    const first = tokens[i] as Token;
    out.push({ type: 'literals', text: '<literals>', value: '', line: first.line, col: first.col, offset: first.offset, file: first.file, items });
    i = j;
  }
  return out;
}

function literalAt(tokens: readonly Token[], j: number): Token[] | null {
  const t = tokens[j];
  if (t === undefined) return null;
  if (t.type === 'number' || t.type === 'duration' || t.type === 'string') return [t];
  if (t.type === 'kw' && (t.text === 'true' || t.text === 'false' || t.text === 'null')) return [t];
  const next = tokens[j + 1];
  if (t.type === 'op' && t.text === '-' && (next?.type === 'number' || next?.type === 'duration')) return [t, next];
  return null;
}

/** The shape nearley needs from a lexer. */
interface NearleyLexerLike {
  reset(chunk: string, state?: unknown): void;
  next(): Token | undefined;
  save(): { index: number };
  formatError(token: unknown, message?: string): string;
  has(tokenType: string): boolean;
}

/**
 * Replays an already tokenized input to nearley. Lexing happens up front in `tokenize` so that a
 * lexer error surfaces as our DslError instead of nearley's wrapped multi-line message.
 */
export class TokenStream implements NearleyLexerLike {
  private index: number;
  /** `start`: the first token to replay (a parse resumed after an error), without copying the rest. */
  constructor(
    private readonly tokens: readonly Token[],
    private readonly start = 0,
  ) {
    this.index = start;
  }
  reset(): void {
    this.index = this.start;
  }
  next(): Token | undefined {
    return this.tokens[this.index++];
  }
  save(): { index: number } {
    return { index: this.index - this.start };
  }
  formatError(token: unknown, message = 'syntax error'): string {
    const t = token as Partial<Token>;
    return `${message} at ${t.line ?? '?'}:${t.col ?? '?'}`;
  }
  has(tokenType: string): boolean {
    return ['ident', 'kw', 'number', 'duration', 'string', 'op', 'literals'].includes(tokenType);
  }
}

/** The lexer named by the grammar's `@lexer`; the parser always supplies a TokenStream of its own. */
export const lexer = new TokenStream([]);
