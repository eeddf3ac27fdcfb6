import { type ParseContext, type PlainRecordFactory, plainRecordFactory } from '../core/index.js';
import { parseNdjsonLine } from './ndjson-parse.js';

/**
 * NDJSON lines as byte strings: an {@link NdjsonSource} with `encoding: 'latin1'` hands on each line's raw bytes,
 * one char per byte (decoding latin1 is a copy; decoding UTF-8 to two-byte text costs more than the parse).
 * {@link parseNdjsonBytes} reads flat objects straight from those bytes: keys and ASCII strings are sliced, other
 * strings are decoded here, numbers are read by hand. Whatever it does not handle (escapes, nested values,
 * exponents, long numbers, invalid UTF-8, `$watermark`, `__proto__`, any syntax error) goes the slow way: the line
 * is decoded as UTF-8 and given to {@link parseNdjsonLine}. Either way the result is what JSON.parse of the decoded
 * line gives, and a dead letter carries the decoded text.
 */

/** The line's text: its bytes decoded as UTF-8, as the `utf8` source would have produced it. */
export function decodeByteLine(line: string): string {
  return Buffer.from(line, 'latin1').toString('utf8');
}

export function parseNdjsonBytes(line: string, ctx: ParseContext<Record<string, unknown>>): void {
  const record = parseFlatObject(line);
  if (record !== undefined) ctx.record(record);
  else parseDecoded(line, ctx);
}

/** The slow way for a line {@link parseFlatObject} did not take: decoded, then {@link parseNdjsonLine}. */
export function parseDecoded(line: string, ctx: ParseContext<Record<string, unknown>>): void {
  parseNdjsonLine(decodeByteLine(line), ctx);
}

/** The keys of an object in order, and a constructor that builds it from the values (an object literal: fast). */
interface Shape {
  readonly keys: readonly string[];
  /** Matches a line with exactly these keys in this order and captures their values. */
  readonly pattern: RegExp;
  readonly make: (values: unknown[]) => Record<string, unknown>;
  /** Learned from the first line of this shape read with `pattern`: its value kinds, without whitespace. */
  compact: Compact | null;
}

/**
 * Compact JSON with known value kinds: one capture-free regular expression checks the line (several times cheaper
 * than capturing), and the values are then cut out where that check guarantees they are.
 */
interface Compact {
  readonly test: RegExp;
  readonly kinds: Uint8Array;
  /** Per string field, its values seen so far (one string object per value), or null once the field has shown
   *  itself unique-ish (ids, plates): see intern(). */
  readonly interns: (Map<string, string> | null)[];
}

/** Distinct values a field may show and still be interned: cameras, colours, directions, vehicle types. */
const INTERN_LIMIT = 4096;

/**
 * One string object per distinct value of a field with few values. Records can be held for hours (first-entry's
 * allowed lateness keeps every sighting 4h10m), and each held a copy of its camera, colour, direction and type:
 * the copy read from the line dies young instead, and the held record points at the shared one.
 */
function intern(interns: (Map<string, string> | null)[], k: number, v: string): string {
  const seen = interns[k];
  if (seen === null || seen === undefined) return v;
  const known = seen.get(v);
  if (known !== undefined) return known;
  if (seen.size >= INTERN_LIMIT) {
    interns[k] = null;
    return v;
  }
  seen.set(v, v);
  return v;
}

const STRING = 0;
const NUMBER = 1;
const TRUE = 2;
const FALSE = 3;
const NULL = 4;
const KIND_PATTERNS = ['"[^"\\\\\\x00-\\x1f]*"', '-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?', 'true', 'false', 'null'];

const MAX_KEYS = 64;
const MAX_SHAPES = 256;
const kinds = new Uint8Array(MAX_KEYS);
const shapes = new Map<string, Shape>();
/** The last record's shape: feeds send every record with the same keys in the same order. */
let guess: Shape | null = null;
const values: unknown[] = [];
const keys: string[] = [];

function shapeOf(count: number): Shape | undefined {
  const ks = keys.slice(0, count);
  const id = ks.join('\n'); // keys hold no control characters
  let shape = shapes.get(id);
  if (shape === undefined) {
    if (shapes.size >= MAX_SHAPES) return undefined;
    // Keys are plain ASCII without quotes or backslashes, never __proto__ (so a plain store never sets a prototype).
    // The object is built by a loop, not by a function compiled from the keys: they come from the input, and input
    // never becomes code (even though a compiled object literal would be faster).
    const plain = plainRecordFactory();
    shape = { keys: ks, pattern: shapePattern(ks), make: (v) => makeRecord(plain, ks, v), compact: null };
    shapes.set(id, shape);
  }
  return shape;
}

/** A record of `keys` with `values` in order; the same keys in the same order give every record one hidden class,
 *  its fields inside the object (the shape's own factory). */
function makeRecord(plain: PlainRecordFactory, keys: readonly string[], values: readonly unknown[]): Record<string, unknown> {
  const o = plain();
  for (let i = 0; i < keys.length; i++) o[keys[i] as string] = values[i];
  return o;
}

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

/** The index after the whitespace at i. */
function skipWs(s: string, i: number, n: number): number {
  while (i < n && isWs(s.charCodeAt(i))) i++;
  return i;
}

// Scanner state for the value just read: module-level so reading a value allocates nothing but the value.
let pos = 0;

/** Lines longer than this (bytes) skip the fast parser: the general one is faster on them. */
export const FLAT_LINE_LIMIT = 64 * 1024;

/**
 * A flat JSON object read from a byte line, or undefined when the fast path does not handle it (not an error:
 * the caller then parses the slow way).
 */
export function parseFlatObject(s: string): Record<string, unknown> | undefined {
  // Records are a few hundred bytes; on a line of megabytes the regular expressions take a second where JSON.parse
  // takes milliseconds (found by npm run fuzz).
  if (s.length > FLAT_LINE_LIMIT) return undefined;
  if (guess !== null) {
    const compact = guess.compact;
    if (compact?.test.test(s)) return readCompact(s, guess, compact);
    const record = parseShaped(s, guess);
    if (record !== undefined) return record;
  }
  return parseScanned(s);
}

/**
 * The common case: the keys of the last record in the same order. One regular expression per shape checks the
 * whole line and captures each value (irregexp runs natively: far faster than reading chars one by one in JS).
 * A string value is captured without its quotes (no escapes or control characters in it), any other value as its
 * JSON token; a number token converts with Number(), which rounds exactly as JSON.parse.
 */
function parseShaped(s: string, shape: Shape): Record<string, unknown> | undefined {
  const m = shape.pattern.exec(s);
  if (m === null) return undefined;
  const count = shape.keys.length;
  // Non-ASCII bytes are rare outside plates: only a line that has some looks into its strings.
  const ascii = !HAS_NON_ASCII.test(s);
  for (let k = 0; k < count; k++) {
    const str = m[2 * k + 1];
    if (str !== undefined) {
      const v = ascii ? own(str) : decodeString(str);
      if (v === undefined) return undefined;
      values[k] = v;
      kinds[k] = STRING;
    } else {
      const token = m[2 * k + 2] as string;
      const c = token.charCodeAt(0);
      const kind = c === 0x74 ? TRUE : c === 0x66 ? FALSE : c === 0x6e ? NULL : NUMBER;
      values[k] = kind === TRUE ? true : kind === FALSE ? false : kind === NULL ? null : Number(token);
      kinds[k] = kind;
    }
  }
  shape.compact ??= compactOf(shape.keys, kinds);
  const record = shape.make(values);
  values.fill(undefined, 0, count);
  return record;
}

function compactOf(ks: readonly string[], lineKinds: Uint8Array): Compact {
  const shapeKinds = lineKinds.slice(0, ks.length);
  const body = ks.map((k, i) => (i === 0 ? '' : ',') + '"' + escapeRegExp(k) + '":' + (KIND_PATTERNS[shapeKinds[i] as number] as string)).join('');
  const interns = ks.map((_, i) => (shapeKinds[i] === STRING ? new Map<string, string>() : null));
  return { test: new RegExp('^\\{' + body + '\\}$'), kinds: shapeKinds, interns };
}

/** A line that matched `compact.test`: every value sits right after its `"key":` and is well formed. */
function readCompact(s: string, shape: Shape, compact: Compact): Record<string, unknown> | undefined {
  const ascii = !HAS_NON_ASCII.test(s);
  const ks = shape.keys;
  const valueKinds = compact.kinds;
  const last = ks.length - 1;
  let i = 0;
  for (let k = 0; k <= last; k++) {
    i += (ks[k] as string).length + 4; // {"key": or ,"key":
    switch (valueKinds[k]) {
      case STRING: {
        const end = s.indexOf('"', i + 1);
        const v = ascii ? copy(s, i + 1, end) : decodeString(s.slice(i + 1, end));
        if (v === undefined) return undefined;
        values[k] = intern(compact.interns, k, v);
        i = end + 1;
        break;
      }
      case NUMBER: {
        const end = k === last ? s.length - 1 : s.indexOf(',', i);
        values[k] = Number(s.slice(i, end));
        i = end;
        break;
      }
      case TRUE:
        values[k] = true;
        i += 4;
        break;
      case FALSE:
        values[k] = false;
        i += 5;
        break;
      default:
        values[k] = null;
        i += 4;
    }
  }
  const record = shape.make(values);
  values.fill(undefined, 0, ks.length);
  return record;
}

function escapeRegExp(k: string): string {
  return k.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

const HAS_NON_ASCII = /[\x80-\xff]/;
const WS = '[ \\t\\r\\n]*';
const VALUE = '(?:"([^"\\\\\\x00-\\x1f]*)"|(-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null))';

function shapePattern(ks: readonly string[]): RegExp {
  const key = (k: string): string => '"' + escapeRegExp(k) + '"' + WS + ':' + WS + VALUE + WS;
  return new RegExp('^' + WS + '\\{' + WS + ks.map(key).join(',' + WS) + '\\}' + WS + '$');
}

/** Below this length a substring is a copy; a longer one would be a view keeping the whole read chunk alive. */
const SLICE_COPIES_BELOW = 13;

/** An ASCII string as a string of its own (not a view into the line). */
function own(str: string): string {
  return str.length < SLICE_COPIES_BELOW ? str : (JSON.parse('"' + str + '"') as string);
}

/** A captured string's bytes decoded as UTF-8, or undefined when they are not valid UTF-8. */
function decodeString(str: string): string | undefined {
  for (let i = 0; i < str.length; i++) {
    if (str.charCodeAt(i) >= 0x80) {
      const v = decodeUtf8(str, 0, str.length);
      return v === FAIL ? undefined : (v as string);
    }
  }
  return own(str);
}

/** Any flat object, whitespace allowed, keys in any order; read char by char. It learns the shape. */
function parseScanned(s: string): Record<string, unknown> | undefined {
  const n = s.length;
  let i = skipWs(s, 0, n);
  if (i >= n || s.charCodeAt(i) !== 0x7b) return undefined;
  i = skipWs(s, i + 1, n);
  let shape = guess;
  let matching = shape !== null;
  let count = 0;
  if (i < n && s.charCodeAt(i) === 0x7d) {
    i++;
  } else {
    for (;;) {
      // Key: plain ASCII between quotes.
      if (i >= n || s.charCodeAt(i) !== 0x22) return undefined;
      const ks = ++i;
      for (;;) {
        if (i >= n) return undefined;
        const c = s.charCodeAt(i);
        if (c === 0x22) break;
        if (c < 0x20 || c === 0x5c || c >= 0x80) return undefined;
        i++;
      }
      const len = i - ks;
      if (count >= MAX_KEYS) return undefined;
      if (matching) {
        const expected = (shape as Shape).keys[count];
        if (expected === undefined || expected.length !== len || !sameChars(s, ks, expected)) {
          matching = false;
          for (let k = 0; k < count; k++) keys[k] = (shape as Shape).keys[k] as string;
        }
      }
      if (!matching) {
        const key = s.slice(ks, i);
        if (key === '__proto__' || key === '$watermark') return undefined;
        keys[count] = key;
      }
      i = skipWs(s, i + 1, n);
      if (i >= n || s.charCodeAt(i) !== 0x3a) return undefined;
      i = skipWs(s, i + 1, n);
      const v = readValue(s, i, n);
      if (v === FAIL) return undefined;
      values[count++] = v;
      i = skipWs(s, pos, n);
      if (i >= n) return undefined;
      const c = s.charCodeAt(i);
      if (c === 0x2c) {
        i = skipWs(s, i + 1, n);
        continue;
      }
      if (c !== 0x7d) return undefined;
      i++;
      break;
    }
  }
  if (skipWs(s, i, n) !== n) return undefined;
  if (!matching || (shape as Shape).keys.length !== count) {
    if (matching) for (let k = 0; k < count; k++) keys[k] = (shape as Shape).keys[k] as string;
    shape = shapeOf(count) ?? null;
    if (shape === null) return assign(count);
  }
  guess = shape;
  const record = (shape as Shape).make(values);
  values.fill(undefined, 0, count); // hold no record's values
  return record;
}

/** Too many shapes: build the object by assignment (the same keys in the same order as JSON.parse). */
function assign(count: number): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (let k = 0; k < count; k++) record[keys[k] as string] = values[k];
  values.fill(undefined, 0, count);
  return record;
}

function sameChars(s: string, at: number, key: string): boolean {
  for (let k = 0; k < key.length; k++) if (s.charCodeAt(at + k) !== key.charCodeAt(k)) return false;
  return true;
}

const FAIL: unique symbol = Symbol('fail');

/** Reads the value at i (sets pos after it) or returns FAIL for anything the fast path leaves to JSON.parse. */
function readValue(s: string, i: number, n: number): unknown {
  if (i >= n) return FAIL;
  const c = s.charCodeAt(i);
  if (c === 0x22) return readString(s, i + 1, n);
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return readNumber(s, i, n);
  if (c === 0x74 && s.startsWith('true', i)) {
    pos = i + 4;
    return true;
  }
  if (c === 0x66 && s.startsWith('false', i)) {
    pos = i + 5;
    return false;
  }
  if (c === 0x6e && s.startsWith('null', i)) {
    pos = i + 4;
    return null;
  }
  return FAIL;
}

function readString(s: string, start: number, n: number): unknown {
  let i = start;
  let ascii = true;
  for (;;) {
    if (i >= n) return FAIL;
    const c = s.charCodeAt(i);
    if (c === 0x22) break;
    if (c < 0x20 || c === 0x5c) return FAIL;
    if (c >= 0x80) ascii = false;
    i++;
  }
  pos = i + 1;
  return ascii ? copy(s, start, i) : decodeUtf8(s, start, i);
}

/** s[start..end), ASCII without quotes, backslashes or control characters, as a string of its own. */
function copy(s: string, start: number, end: number): string {
  return own(s.slice(start, end));
}

/**
 * Decodes the UTF-8 bytes s[start..end) or returns FAIL for any invalid sequence (the slow path then decodes the
 * line with Node, replacement characters and all).
 */
function decodeUtf8(s: string, start: number, end: number): unknown {
  let out = '';
  let run = start;
  let i = start;
  while (i < end) {
    const b0 = s.charCodeAt(i);
    if (b0 < 0x80) {
      i++;
      continue;
    }
    if (run < i) out += copy(s, run, i);
    let cp: number;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      if (i + 1 >= end) return FAIL;
      const b1 = s.charCodeAt(i + 1);
      if ((b1 & 0xc0) !== 0x80) return FAIL;
      cp = ((b0 & 0x1f) << 6) | (b1 & 0x3f);
      i += 2;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      if (i + 2 >= end) return FAIL;
      const b1 = s.charCodeAt(i + 1);
      const b2 = s.charCodeAt(i + 2);
      if ((b1 & 0xc0) !== 0x80 || (b2 & 0xc0) !== 0x80) return FAIL;
      cp = ((b0 & 0x0f) << 12) | ((b1 & 0x3f) << 6) | (b2 & 0x3f);
      if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)) return FAIL; // overlong or a surrogate
      i += 3;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      if (i + 3 >= end) return FAIL;
      const b1 = s.charCodeAt(i + 1);
      const b2 = s.charCodeAt(i + 2);
      const b3 = s.charCodeAt(i + 3);
      if ((b1 & 0xc0) !== 0x80 || (b2 & 0xc0) !== 0x80 || (b3 & 0xc0) !== 0x80) return FAIL;
      cp = ((b0 & 0x07) << 18) | ((b1 & 0x3f) << 12) | ((b2 & 0x3f) << 6) | (b3 & 0x3f);
      if (cp < 0x10000 || cp > 0x10ffff) return FAIL;
      i += 4;
    } else {
      return FAIL;
    }
    out += cp < 0x10000 ? String.fromCharCode(cp) : String.fromCharCode(0xd7c0 + (cp >> 10), 0xdc00 | (cp & 0x3ff));
    run = i;
  }
  if (run < end) out += copy(s, run, end);
  return out;
}

/**
 * Reads -?(0|[1-9]d*)(.d+)? with at most 15 significant digits: the digits are an exact double and so is the
 * power of ten, so one division rounds exactly as JSON.parse does. Exponents and longer numbers go the slow way.
 */
function readNumber(s: string, start: number, n: number): unknown {
  let i = start;
  const neg = s.charCodeAt(i) === 0x2d;
  if (neg) i++;
  if (i >= n) return FAIL;
  let m = 0;
  let digits = 0;
  let c = s.charCodeAt(i);
  if (c === 0x30) {
    i++;
  } else if (c >= 0x31 && c <= 0x39) {
    while (i < n) {
      c = s.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      m = m * 10 + (c - 0x30);
      digits++;
      i++;
    }
  } else {
    return FAIL;
  }
  let scale = 0;
  if (i < n && s.charCodeAt(i) === 0x2e) {
    i++;
    const fracStart = i;
    while (i < n) {
      c = s.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      m = m * 10 + (c - 0x30);
      i++;
    }
    scale = i - fracStart;
    if (scale === 0) return FAIL;
    digits += scale;
  }
  if (digits > 15) return FAIL;
  if (i < n) {
    c = s.charCodeAt(i);
    // An exponent, or a digit after a leading 0 (invalid JSON): the slow way says which.
    if (c === 0x65 || c === 0x45 || (c >= 0x30 && c <= 0x39)) return FAIL;
  }
  pos = i;
  const v = scale === 0 ? m : m / (POW10[scale] as number);
  return neg ? -v : v;
}
