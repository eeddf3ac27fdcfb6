/** A compile error of the pattern language, always tied to one place in one file. */
export class DslError extends Error {
  readonly file: string;
  readonly line: number;
  readonly col: number;

  constructor(file: string, line: number, col: number, message: string) {
    super(message);
    this.name = 'DslError';
    this.file = file;
    this.line = line;
    this.col = col;
  }
}

/** Anything with a position: AST nodes and tokens alike. */
export interface Located {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export function errorAt(at: Located, message: string): DslError {
  return new DslError(at.file, at.line, at.col, message);
}

/**
 * `file:line:col: message`, then the source line, then a caret under the column.
 * The caret prefix copies tabs from the source line so the caret lines up in any tab width.
 */
export function formatDslError(error: DslError, source: string): string {
  const lines = linesOf(source);
  const text = lines[error.line - 1] ?? '';
  let prefix = '';
  for (let i = 0; i < error.col - 1; i++) prefix += text[i] === '\t' ? '\t' : ' ';
  return `${error.file}:${error.line}:${error.col}: ${error.message}\n${text}\n${prefix}^`;
}

// The last source split into lines: a file with thousands of errors is split once, not once per error.
let lastSource: string | undefined;
let lastLines: readonly string[] = [];

function linesOf(source: string): readonly string[] {
  if (source !== lastSource) {
    lastLines = source.replace(/^\uFEFF/, '').split(/\r?\n/);
    lastSource = source;
  }
  return lastLines;
}

/**
 * Errors in reading order: by file, then line, then column; without repeats (a `let` body used twice is checked
 * twice, and an error in it would otherwise be reported at the same place once per use).
 */
export function sortErrors(errors: readonly DslError[]): DslError[] {
  const seen = new Set<string>();
  const unique = errors.filter((e) => {
    const key = `${e.file}\0${e.line}\0${e.col}\0${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.col - b.col);
}
