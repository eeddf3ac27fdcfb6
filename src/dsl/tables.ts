/**
 * Lookup tables (`table t = { ... }`, `table t = file "x.json" [at "a.b"]`): built once when the program is
 * checked, into a Map that `lookup(t, key)` reads with one `get` per record. A file is read here and only here
 * (JSON.parse, no code), relative to the directory of the pattern file that declares it.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type * as A from './ast.js';
import { type DslError, errorAt } from './errors.js';
import { join, type Type } from './types.js';

/** A table's values: strings, numbers or booleans, as the JSON or the literals gave them. */
export type TableValue = string | number | boolean;

export interface LookupTable {
  readonly decl: A.TableDecl;
  readonly values: ReadonlyMap<string, TableValue>;
  /** The values' common type; `unknown` when they mix (a string and a number). */
  readonly type: Type;
}

/** A table file as a pattern file names it: the pattern file (as positions name it) and the path written there. */
export interface TableFileRef {
  readonly file: string;
  readonly path: string;
}

export interface TableFiles {
  /** The directory relative file names in positions (`Pos.file`) are relative to; default the process's. */
  readonly baseDir?: string;
  /** Reads a table file at `path` (resolved), named as `ref` (tests and copies give their own); default: the file system, UTF-8. */
  readonly readFile?: (path: string, ref: TableFileRef) => string;
}

/** Builds a declared table, or reports why it cannot be built (at the literal or the file name). */
export function buildTable(decl: A.TableDecl, files: TableFiles, errors: DslError[]): LookupTable | null {
  const values = new Map<string, TableValue>();
  const name = decl.name.name;
  if (decl.entries !== null) {
    let ok = true;
    for (const entry of decl.entries.entries) {
      const v = entry.value;
      if (v.kind === 'string' || v.kind === 'number' || v.kind === 'boolean') values.set(entry.key, v.value);
      else {
        errors.push(errorAt(v.pos, `the values of table '${name}' must be string, number or boolean literals`));
        ok = false;
      }
    }
    return ok ? { decl, values, type: typeOf(values) } : null;
  }
  const file = decl.file;
  if (file === null) return null;
  const base = files.baseDir ?? process.cwd();
  const path = resolve(base, dirname(file.pos.file), file.value);
  let text: string;
  try {
    text = (files.readFile ?? ((p: string) => readFileSync(p, 'utf8')))(path, { file: file.pos.file, path: file.value });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    errors.push(errorAt(file.pos, `cannot read the table file '${file.value}'${code === 'ENOENT' ? ': no such file' : `: ${(error as Error).message}`}`));
    return null;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    errors.push(errorAt(file.pos, `the table file '${file.value}' is not valid JSON: ${(error as Error).message}`));
    return null;
  }
  let where = `the table file '${file.value}'`;
  if (decl.at !== null) {
    for (const key of decl.at.value.split('.')) {
      if (!isObject(json) || !Object.hasOwn(json, key)) {
        errors.push(errorAt(decl.at.pos, `${where} has no key '${key}'`));
        return null;
      }
      json = json[key];
      where = `'${key}' of ${where}`;
    }
  }
  if (!isObject(json)) {
    errors.push(errorAt(decl.at?.pos ?? file.pos, `${where} must be a JSON object of keys to values`));
    return null;
  }
  for (const [key, v] of Object.entries(json)) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      const kind = v === null ? 'null' : Array.isArray(v) ? 'a list' : 'an object';
      errors.push(errorAt(decl.at?.pos ?? file.pos, `in ${where}, the value of '${key}' is ${kind}; a table's values must be strings, numbers or booleans`));
      return null;
    }
    values.set(key, v);
  }
  return { decl, values, type: typeOf(values) };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeOf(values: ReadonlyMap<string, TableValue>): Type {
  let t: Type = 'null';
  for (const v of values.values()) {
    const j = join(t, typeof v as Type);
    if (j === null) return 'unknown';
    t = j;
  }
  return t === 'null' ? 'unknown' : t;
}
