/** What the linter reports: never an error, always tied to one clause of one file. */
import { DslError, formatDslError } from '../errors.js';

/**
 * `warning`: state can grow without bound unless the author adds a clause, or a construct Flink accepts that
 * probably does not say what its author meant (lint/dubious.ts).
 * `info`: state that grows by design (a lookup's own note, e.g. `first_seen` in Redis); printed as a `note`.
 */
export type LintSeverity = 'warning' | 'info';

export type LintCode =
  | 'followed-by-any-without-within'
  | 'followed-by-without-within'
  | 'loop-without-within'
  | 'unbounded-key-without-within'
  | 'long-session-gap'
  | 'long-allowed-lateness'
  | 'lookup-keeps-state'
  | 'open-source'
  | 'aggregate-of-one-event'
  | 'only-optional-terms';

export interface Warning {
  readonly code: LintCode;
  readonly severity: LintSeverity;
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** One sentence: why the state grows and what to add. */
  readonly message: string;
}

/** `file:line:col: warning: message` (or `note:` for info), then the line and a caret, as compile errors print. */
export function formatWarning(w: Warning, source: string): string {
  const label = w.severity === 'info' ? 'note' : 'warning';
  return formatDslError(new DslError(w.file, w.line, w.col, `${label}: ${w.message}`), source);
}
