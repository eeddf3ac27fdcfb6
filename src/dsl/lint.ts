/**
 * The linter: warnings (never errors) on streams and patterns whose state can grow without bound, and on
 * patterns Flink accepts that probably do not say what was meant.
 * Run on a checked program; the result is sorted by place. See lint/patterns.ts and lint/streams.ts for
 * the rules and why each one holds.
 */
import type { CheckedProgram } from './checked.js';
import { KeyBounds, TRAFFIC_BOUNDED_FIELDS } from './lint/bounded-keys.js';
import { lintDubious } from './lint/dubious.js';
import { lintPattern } from './lint/patterns.js';
import { lintStream } from './lint/streams.js';
import type { Warning } from './lint/warning.js';

export type { LintCode, LintSeverity, Warning } from './lint/warning.js';
export { formatWarning } from './lint/warning.js';
export { TRAFFIC_BOUNDED_FIELDS } from './lint/bounded-keys.js';

export interface LintOptions {
  /**
   * Source fields whose values come from a finite set (keys on them cannot grow without bound).
   * Defaults to the traffic domain's (checkpoint, lane, direction, vehicle_type, plate_color, plate_readable).
   */
  readonly boundedFields?: ReadonlySet<string>;
}

export function lintProgram(checked: CheckedProgram, options: LintOptions = {}): Warning[] {
  const out: Warning[] = [];
  for (const s of checked.streams.values()) lintStream(s, out);
  const keys = new KeyBounds(checked, options.boundedFields ?? TRAFFIC_BOUNDED_FIELDS);
  for (const p of checked.patterns.values()) {
    lintPattern(p, keys, out);
    lintDubious(p, checked, out);
  }
  return out.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.col - b.col);
}
