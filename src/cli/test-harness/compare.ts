/**
 * Compares expected output (YAML data) with actual output (JSON data) the way a rule author means it: a subset of
 * fields, event ids for events, ISO or ms for times. Differences come back as short plain-text lines.
 */
import { parseEventTime } from '../../core/time.js';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Every difference between `expected` and `actual` under `path`, one line each; empty when they agree.
 * - a mapping checks only the keys it lists; a missing actual key equals `null` or `[]`;
 * - a list must have the same length and each item must agree;
 * - a string where the actual value is an object with an `id` is that id (events by id);
 * - a string where the actual value is a number is a time: ISO-8601 (with a zone) compared in epoch ms;
 * - anything else must be equal.
 */
export function differences(expected: unknown, actual: unknown, path: string, out: string[] = []): string[] {
  if (isObject(expected)) {
    if (!isObject(actual)) {
      out.push(`${path || 'item'}: expected an object, got ${show(actual)}`);
      return out;
    }
    for (const [key, want] of Object.entries(expected)) {
      const p = path === '' ? key : `${path}.${key}`;
      if (!(key in actual) || actual[key] === undefined) {
        if (want === null || (Array.isArray(want) && want.length === 0)) continue;
        out.push(`${p}: expected ${show(want)}, but there is no such field`);
        continue;
      }
      differences(want, actual[key], p, out);
    }
    return out;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) {
      out.push(`${path}: expected a list of ${expected.length}, got ${show(actual)}`);
      return out;
    }
    if (expected.length !== actual.length) {
      out.push(`${path}: expected ${expected.length} item(s), got ${actual.length}: ${show(actual)}`);
      return out;
    }
    expected.forEach((want, i) => {
      differences(want, actual[i], `${path}[${i}]`, out);
    });
    return out;
  }
  if (typeof expected === 'string' && isObject(actual) && 'id' in actual) {
    if (actual['id'] !== expected) out.push(`${path}: expected event ${show(expected)}, got event ${show(actual['id'])}`);
    return out;
  }
  if (typeof expected === 'string' && typeof actual === 'number') {
    const ms = parseEventTime(expected);
    if (Number.isFinite(ms)) {
      if (ms !== actual) out.push(`${path}: expected ${expected} (${ms}), got ${actual} (${isoOrRaw(actual)})`);
      return out;
    }
  }
  if (!Object.is(expected, actual) && !(expected === 0 && actual === 0)) out.push(`${path}: expected ${show(expected)}, got ${show(actual)}`);
  return out;
}

/**
 * The actual value cut down to the shape of the expected one (the keys it lists, events as ids where it names
 * ids, times as ISO where it writes ISO), so a diff shows both sides side by side.
 */
export function project(expected: unknown, actual: unknown): unknown {
  if (isObject(expected) && isObject(actual)) {
    const out: Record<string, unknown> = {};
    for (const [key, want] of Object.entries(expected)) out[key] = key in actual ? project(want, actual[key]) : undefined;
    return out;
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    return actual.map((a, i) => (i < expected.length ? project(expected[i], a) : a));
  }
  if (typeof expected === 'string' && isObject(actual) && 'id' in actual) return actual['id'];
  if (typeof expected === 'string' && typeof actual === 'number' && Number.isFinite(parseEventTime(expected))) return isoOrRaw(actual);
  return actual;
}

export function agrees(expected: unknown, actual: unknown): boolean {
  return differences(expected, actual, '').length === 0;
}

/** How expected items line up with actual items: pairs that agree, plus the ones left over on either side. */
export interface Alignment {
  /** [expected index, actual index] of items that agree. */
  readonly matched: ReadonlyArray<readonly [number, number]>;
  /** Items that disagree, paired in order where both sides have one left over in the same gap. */
  readonly changed: ReadonlyArray<readonly [number, number]>;
  readonly missing: readonly number[];
  readonly unexpected: readonly number[];
}

/** In order: the longest run of agreeing items (LCS); in any order: each expected item takes the first free agreeing one. */
export function align(expected: readonly unknown[], actual: readonly unknown[], order: 'strict' | 'any'): Alignment {
  const ok = expected.map((e) => actual.map((a) => agrees(e, a)));
  const agree = (i: number, j: number): boolean => (ok[i] as boolean[])[j] as boolean;
  const matched: Array<[number, number]> = [];
  if (order === 'any') {
    const used = new Set<number>();
    for (let i = 0; i < expected.length; i++) {
      for (let j = 0; j < actual.length; j++) {
        if (!used.has(j) && agree(i, j)) {
          used.add(j);
          matched.push([i, j]);
          break;
        }
      }
    }
    matched.sort((a, b) => a[0] - b[0]);
  } else {
    const n = expected.length;
    const m = actual.length;
    const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        const row = lcs[i] as number[];
        row[j] = agree(i, j) ? ((lcs[i + 1] as number[])[j + 1] as number) + 1 : Math.max((lcs[i + 1] as number[])[j] as number, row[j + 1] as number);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n && j < m) {
      if (agree(i, j) && (lcs[i] as number[])[j] === ((lcs[i + 1] as number[])[j + 1] as number) + 1) {
        matched.push([i, j]);
        i++;
        j++;
      } else if (((lcs[i + 1] as number[])[j] as number) >= ((lcs[i] as number[])[j + 1] as number)) i++;
      else j++;
    }
  }
  // Leftovers between consecutive matched pairs are paired up in order: "item 2 differs" reads better than
  // "item 2 missing, item 2 unexpected".
  const changed: Array<[number, number]> = [];
  const missing: number[] = [];
  const unexpected: number[] = [];
  const usedActual = new Set(matched.map(([, j]) => j));
  const usedExpected = new Set(matched.map(([i]) => i));
  const freeE = expected.map((_, i) => i).filter((i) => !usedExpected.has(i));
  const freeA = actual.map((_, j) => j).filter((j) => !usedActual.has(j));
  // In any order there are no gaps: every leftover is in the same one.
  const gapOf = (index: number, side: 0 | 1): number => (order === 'any' ? 0 : matched.filter((p) => p[side] < index).length);
  for (const i of freeE) {
    const gap = gapOf(i, 0);
    const k = freeA.findIndex((j) => gapOf(j, 1) === gap);
    if (k >= 0) {
      changed.push([i, freeA[k] as number]);
      freeA.splice(k, 1);
    } else missing.push(i);
  }
  unexpected.push(...freeA);
  return { matched, changed, missing, unexpected };
}

/** Compact one-line JSON for messages; long values are cut in the middle of nothing important (the end). */
export function show(v: unknown, max = 400): string {
  const text = v === undefined ? 'nothing' : JSON.stringify(v);
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

function isoOrRaw(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}
