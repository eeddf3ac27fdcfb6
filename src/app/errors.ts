import { type DslError, formatDslError } from '../dsl/index.js';

/** An error the user caused (bad flag, bad file, unreachable service): reported without a stack trace, exit 1. */
export class UserError extends Error {
  override readonly name = 'UserError';
  /** Printed as is (already `file:line:col: ...` lines), without the `vigil <command>:` prefix. */
  readonly plain: boolean = false;
}

/** A pattern or rule file as read: errors are printed against its text. */
export interface SourceFile {
  readonly file: string;
  readonly source: string;
}

export function formatErrors(errors: readonly DslError[], sources: readonly SourceFile[]): string {
  const byFile = new Map(sources.map((s) => [s.file, s.source]));
  return errors.map((e) => formatDslError(e, byFile.get(e.file) ?? '')).join('\n') + '\n';
}

/** The user's pattern or rule files have errors: each is printed as file:line:col with a caret; exit 1. */
export class ProgramErrors extends UserError {
  constructor(
    readonly errors: readonly DslError[],
    readonly sources: readonly SourceFile[],
  ) {
    super(formatErrors(errors, sources).trimEnd());
  }
  override readonly plain = true;
}
