/**
 * Plate normalisation. Runs once per record, so it scans char codes instead of using regexes,
 * and returns the input string untouched (no allocation) when it is already normal.
 */

/** Characters dropped from plates: whitespace and the separators feeds put after the region code. */
function isDropped(c: number): boolean {
  return (
    c === 0x20 ||
    c === 0x09 ||
    c === 0x0a ||
    c === 0x0d ||
    c === 0xa0 ||
    c === 0x3000 || // spaces
    c === 0x2d ||
    c === 0xb7 ||
    c === 0x2022 ||
    c === 0x30fb ||
    c === 0xff65 ||
    c === 0x2027 // - · • ・
  );
}

/** The code a char normalises to (full-width ASCII to half-width, a-z to A-Z), or -1 to drop it. */
function normalChar(c: number): number {
  if (isDropped(c)) return -1;
  if (c >= 0xff01 && c <= 0xff5e) c -= 0xfee0; // full-width ASCII block
  if (c >= 0x61 && c <= 0x7a) c -= 0x20; // a-z
  return c;
}

/** Normalises a plate: full-width to half-width, spaces and separators removed, upper case. */
export function normalizePlate(plate: string): string {
  const n = plate.length;
  let i = 0;
  for (; i < n; i++) {
    const c = plate.charCodeAt(i);
    // Digits, A-Z and CJK ideographs (region characters) are normal: most plates are only these.
    if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x4e00 && c <= 0x9fff)) continue;
    if (normalChar(c) !== c) break;
  }
  if (i === n) return plate;
  let out = plate.slice(0, i);
  for (; i < n; i++) {
    const c = normalChar(plate.charCodeAt(i));
    if (c >= 0) out += String.fromCharCode(c);
  }
  return out;
}

/** True for a normalised plate that an ANPR camera reports when it could not read one. */
export function isUnreadablePlate(normalised: string): boolean {
  const n = normalised.length;
  if (n === 0) return true;
  if (normalised === 'UNKNOWN' || normalised === '无牌' || normalised === '未识别') return true;
  for (let i = 0; i < n; i++) if (normalised.charCodeAt(i) !== 0x30) return false;
  return true; // all zeros
}

/** Longest plate we accept after normalisation; anything longer is garbage from the feed. */
export const MAX_PLATE_LENGTH = 12;

/** Control characters in a plate mean a corrupt capture. */
export function hasControlChar(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/**
 * The first character in a plate that is invisible or changes text direction (U+200B-U+200F zero-width and
 * left/right marks, U+202A-U+202E embeddings and overrides, U+2066-U+2069 isolates, U+FEFF), or -1. Such a plate
 * would render reordered or look identical to another on a dashboard or a webhook receiver's UI.
 */
export function invisibleCharIn(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 0x200b && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c === 0xfeff) return c;
  }
  return -1;
}

/** A plate fit to quote in a reason: every invisible or control character written as `\u{...}`. */
export function quotePlate(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    out += c < 0x20 || c === 0x7f || invisibleCharIn(ch) >= 0 ? `\\u{${c.toString(16).toUpperCase()}}` : ch;
  }
  return out;
}

/**
 * Groups of characters that ANPR cameras commonly read one for another (0/D/Q/O, 8/B/3, 5/S, 2/Z, 1/7/I, 6/G,
 * U/V, E/F); each maps to its group's first character.
 */
const LOOK_ALIKE_GROUPS: readonly string[] = ['0DQO', '8B3', '5S', '2Z', '17I', '6G', 'UV', 'EF'];
const SHAPE_OF = new Map<string, string>(LOOK_ALIKE_GROUPS.flatMap((g) => [...g].map((c) => [c, g[0] as string] as const)));

/**
 * A plate's shape: every look-alike character replaced by its group's representative, so a misread (one character
 * taken for its look-alike) has the shape of the plate it misreads. Two plates of one shape are what a camera may
 * confuse; a plate with no look-alike character is its own shape.
 */
export function plateShape(plate: string): string {
  let out = '';
  let from = 0;
  // Copies the runs between look-alike characters (all of them ASCII, so one code unit each) in one slice.
  for (let i = 0; i < plate.length; i++) {
    const rep = SHAPE_OF.get(plate[i] as string);
    if (rep === undefined || rep === plate[i]) continue;
    out += plate.slice(from, i) + rep;
    from = i + 1;
  }
  return from === 0 ? plate : out + plate.slice(from);
}
