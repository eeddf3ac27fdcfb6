import type { CheckedProgram } from '../dsl/index.js';
import { UserError } from './errors.js';
import { inputPath } from './program.js';

/** Input files by source name. */
export type NamedInputs = ReadonlyMap<string, string>;

const NAMED = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/;

/**
 * `--input F` (the one source the job reads) or `--input NAME=F` once per source. Returns the one path, or the
 * paths by source name; `-` (stdin) may be given once.
 */
export function parseInputs(values: readonly string[], flag = '--input'): string | NamedInputs {
  const first = values[0];
  if (first === undefined) throw new UserError(`${flag} is required`);
  if (values.length === 1 && !NAMED.test(first)) return first;
  const named = new Map<string, string>();
  for (const v of values) {
    const m = NAMED.exec(v);
    if (m === null) throw new UserError(`${flag} ${v}: with several inputs, name each one's source: ${flag} SOURCE=FILE`);
    const [, name, path] = m as unknown as [string, string, string];
    if (named.has(name)) throw new UserError(`${flag} ${v}: the source '${name}' already has an input (${named.get(name)})`);
    named.set(name, path);
  }
  if ([...named.values()].filter((p) => p === '-').length > 1) throw new UserError(`${flag}: stdin (-) can feed one source only`);
  return named;
}

/** Resolves input paths, and checks that named inputs name sources of the program. */
export function resolveInputs(input: string | NamedInputs, program: CheckedProgram, cwd: string, flag = '--input'): string | NamedInputs {
  if (typeof input === 'string') return inputPath(input, cwd);
  const sources = [...program.sources.keys()];
  const out = new Map<string, string>();
  for (const [name, path] of input) {
    if (!program.sources.has(name)) throw new UserError(`${flag} ${name}=${path}: no source '${name}' (sources: ${sources.join(', ') || 'none'})`);
    out.set(name, inputPath(path, cwd));
  }
  return out;
}
