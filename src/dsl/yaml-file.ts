import { type Document, LineCounter, type Node, type Pair, parseDocument } from 'yaml';
import { DslError } from './errors.js';

export interface Position {
  readonly line: number;
  readonly col: number;
}

/** Reports an error at a YAML node, with the key path it was found under (`params.x`, `routes[1].url`). */
export type Report = (node: Node | Pair | null | undefined, path: string, message: string) => void;

/** A YAML file (rule file, test file) parsed with positions, and the errors found so far, all as file:line:col. */
export interface YamlFile {
  readonly doc: Document.Parsed;
  readonly errors: DslError[];
  readonly at: Report;
  readonly posOf: (node: Node | Pair | null | undefined) => Position;
}

export function parseYamlFile(source: string, file: string, options: { merge?: boolean } = {}): YamlFile {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, merge: options.merge ?? false });
  const errors: DslError[] = [];
  const posOf = (node: Node | Pair | null | undefined): Position => {
    const offset = nodeOffset(node);
    return offset === null ? { line: 1, col: 1 } : lines.linePos(offset);
  };
  const at: Report = (node, path, message) => {
    const { line, col } = posOf(node);
    errors.push(new DslError(file, line, col, path === '' ? message : `${path}: ${message}`));
  };
  for (const e of doc.errors) {
    const { line, col } = lines.linePos(e.pos[0]);
    errors.push(new DslError(file, line, col, `invalid YAML: ${e.message.split('\n')[0] ?? e.message}`));
  }
  return { doc, errors, at, posOf };
}

/** Where a node (or a pair, by its key) starts in the source, if known. */
export function nodeOffset(node: Node | Pair | null | undefined): number | null {
  if (node === null || node === undefined) return null;
  const range = (node as { range?: readonly number[] | null }).range;
  if (Array.isArray(range) && typeof range[0] === 'number') return range[0];
  const key = (node as Pair).key as Node | undefined;
  return key !== undefined && key !== null ? nodeOffset(key) : null;
}
