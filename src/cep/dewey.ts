/**
 * Dewey-decimal version numbers of computation states (Flink's DeweyNumber): a branch that stays on its path bumps
 * the last digit, a branch that moves on appends a stage. Versions are immutable arrays so branches can share them.
 */
export type Dewey = readonly number[];

export const DEWEY_START: Dewey = [1];

/**
 * The versions of a linear partial match after each take, [1], [1, 0], [1, 0, 0], ...: shared (Dewey versions are
 * never mutated), so a pattern that does not branch allocates no version per event. sudden_flow's 23 strict stages
 * would otherwise make a fresh array per stage for every window it reads, each held for 22 minutes.
 */
const LINEAR_STAGES: Dewey[] = [DEWEY_START];

export function addStage(v: Dewey): Dewey {
  // LINEAR_STAGES[k] has k + 1 digits: one index and one identity test tell a linear version from a branched one.
  const k = v.length;
  if (v !== LINEAR_STAGES[k - 1]) return deweyAddStage(v);
  let next = LINEAR_STAGES[k];
  if (next === undefined) {
    next = Object.freeze(deweyAddStage(v)) as Dewey;
    LINEAR_STAGES[k] = next;
  }
  return next;
}

/** What a version weighs in a state budget: nothing when it is one of the shared linear ones, else its digits. */
export function deweyWeight(v: Dewey): number {
  return v === LINEAR_STAGES[v.length - 1] ? 0 : v.length;
}

export function deweyIncrease(v: Dewey, times: number): Dewey {
  if (times === 0) return v;
  const out = v.slice();
  out[out.length - 1] = (out[out.length - 1] ?? 0) + times;
  return out;
}

export function deweyAddStage(v: Dewey): Dewey {
  const out = v.slice();
  out.push(0);
  return out;
}

/** `v` descends from `other`: same prefix and, at `other`'s last digit, equal (longer v) or not smaller (same length). */
export function deweyCompatible(v: Dewey, other: Dewey): boolean {
  if (v.length > other.length) {
    for (let i = 0; i < other.length; i++) if (v[i] !== other[i]) return false;
    return true;
  }
  if (v.length === other.length) {
    const last = v.length - 1;
    for (let i = 0; i < last; i++) if (v[i] !== other[i]) return false;
    return (v[last] ?? 0) >= (other[last] ?? 0);
  }
  return false;
}

/** Lexicographic order, shorter first on a shared prefix: a stable tie-break between branches. */
export function deweyCompare(a: Dewey, b: Dewey): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export function deweyToString(v: Dewey): string {
  return v.join('.');
}
