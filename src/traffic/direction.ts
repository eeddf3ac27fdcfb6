/**
 * Direction words feeds send for the two carriageways, mapped to `in` (towards the centre) and `out`; any other
 * word is kept as given (inner cameras say "through", ring roads "cw"...) and counted.
 */
const DIRECTION_ALIASES: Readonly<Record<string, 'in' | 'out'>> = {
  in: 'in',
  inbound: 'in',
  inward: 'in',
  entering: 'in',
  entry: 'in',
  进城: 'in',
  入城: 'in',
  进: 'in',
  入: 'in',
  out: 'out',
  outbound: 'out',
  outward: 'out',
  leaving: 'out',
  exit: 'out',
  出城: 'out',
  出: 'out',
};

/** `in`/`out` for a known direction word (the shared literal, not the parsed copy), undefined otherwise. */
export function normalizeDirection(raw: string): 'in' | 'out' | undefined {
  if (raw === 'in') return 'in';
  if (raw === 'out') return 'out';
  return DIRECTION_ALIASES[raw] ?? DIRECTION_ALIASES[raw.trim().toLowerCase()];
}
