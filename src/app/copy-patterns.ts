/**
 * A folder's pattern files copied elsewhere together with the table files they read (`table t = file
 * "../fixtures/x.json"`), each at the same place relative to the copies: the copies load as the originals do. Tests
 * and benchmarks run the shipped patterns from a scratch folder this way.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { parseProgram } from '../dsl/index.js';
import { UserError } from './errors.js';

export interface CopyPatterns {
  /** The folder of the pattern files. */
  readonly from: string;
  /** The folder the copy mirrors: `from` and every table file must be inside it (the package root, say). */
  readonly root: string;
  /** Where `root` is mirrored; nothing is written outside it. */
  readonly toRoot: string;
  /** Pattern file names not to copy. */
  readonly except?: readonly string[];
  /** Changes a pattern file's text on its way (a test's option left out, a benchmark's bound). */
  readonly edit?: (name: string, text: string) => string;
}

/** Copies the pattern files and the table files they read; returns the folder of the copied pattern files. */
export function copyPatterns(options: CopyPatterns): string {
  const inside = (path: string, what: string): string => {
    const rel = relative(options.root, path);
    if (rel.startsWith('..') || isAbsolute(rel)) throw new UserError(`${what} is outside ${options.root}: it cannot be copied with it`);
    return rel;
  };
  const dir = join(options.toRoot, inside(resolve(options.from), options.from));
  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(options.from).sort()) {
    if (!name.endsWith('.pattern') || (options.except ?? []).includes(name)) continue;
    const path = join(options.from, name);
    const text = readFileSync(path, 'utf8');
    writeFileSync(join(dir, name), options.edit === undefined ? text : options.edit(name, text));
    const parsed = parseProgram(text, path);
    // A file that does not parse reads no table; loading the copy reports its error as loading the original would.
    if (!parsed.ok) continue;
    for (const table of parsed.program.tables) {
      if (table.file === null) continue;
      const rel = inside(resolve(options.from, table.file.value), `${name}: the table file '${table.file.value}'`);
      mkdirSync(dirname(join(options.toRoot, rel)), { recursive: true });
      copyFileSync(join(options.root, rel), join(options.toRoot, rel));
    }
  }
  return dir;
}
