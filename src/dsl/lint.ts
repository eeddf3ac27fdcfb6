/**
 * The linter: warnings (never errors) on streams and patterns whose state can grow without bound, and on
 * patterns Flink accepts that probably do not say what was meant.
 * Run on a checked program; the result is sorted by place. See lint/patterns.ts and lint/streams.ts for
 * the rules and why each one holds.
 */
import type { CheckedProgram } from './checked.js';
import { KeyBounds } from './lint/bounded-keys.js';
import { lintDubious } from './lint/dubious.js';
import { lintPattern } from './lint/patterns.js';
import { lintStream } from './lint/streams.js';
import type { Warning } from './lint/warning.js';

export type { LintCode, LintSeverity, Warning } from './lint/warning.js';
export { formatWarning } from './lint/warning.js';

export interface LintOptions {
  /**
   * Source fields whose values come from a finite set (keys on them cannot grow without bound), beyond those each
   * source's schema declares (a named schema's bounded fields, declared boolean fields).
   */
  readonly boundedFields?: ReadonlySet<string>;
}

export function lintProgram(checked: CheckedProgram, options: LintOptions = {}): Warning[] {
  const out: Warning[] = [];
  for (const s of checked.sources.values()) {
    // An open source is allowed (events of any shape), but a feed that was validated before may have lost it.
    if (!s.schema.open) continue;
    const at = s.decl.name.pos;
    out.push({
      code: 'open-source',
      severity: 'info',
      file: at.file,
      line: at.line,
      col: at.col,
      message: `source '${s.decl.name.name}' declares neither 'schema' nor 'fields': any JSON object is one of its records, unvalidated, and its fields are typed as they are used; declare a schema (e.g. 'schema traffic') or its fields to have records checked`,
    });
  }
  for (const s of checked.streams.values()) lintStream(s, out);
  const keys = new KeyBounds(checked, options.boundedFields ?? new Set());
  for (const p of checked.patterns.values()) {
    lintPattern(p, keys, out);
    lintDubious(p, checked, out);
  }
  return out.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.col - b.col);
}
