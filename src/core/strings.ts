/**
 * Code-point order of two strings: the byte order of their UTF-8 encodings, which is what Redis compares and what
 * a Lua script comparing bytes sees. JavaScript's `<` compares UTF-16 units instead, which puts U+FFFD after U+1F600.
 * One order for ids everywhere (ties on event time, first_seen) means every component agrees on which record of a
 * millisecond comes first.
 */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (U+D800..DFFF) encode code points above U+FFFF, which sort after every BMP character.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}
