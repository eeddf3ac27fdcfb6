import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Rule } from '../dsl/index.js';
import {
  builtinFunctions,
  type CheckedProgram,
  compileSources,
  type DslError,
  type FunctionRegistry,
  isTimeZone,
  type LinkedRule,
  linkRules,
  parseProgram,
  parseRuleFile,
  type RecordSchema,
  type TableFiles,
  type Type,
  type Value,
} from '../dsl/index.js';
import { type DslValueType, trafficFunctions } from '../traffic/functions.js';
import { CheckpointRegistry } from '../traffic/registry.js';
import { ProgramErrors, type SourceFile, UserError } from './errors.js';
import { lookupSignatures } from './lookups.js';
import { domainSchemas } from './sources.js';

/** The installed package's root (holds package.json, patterns/, rules/, fixtures/), from src/app or dist/src/app. */
export const packageRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the Vigil package root');
    dir = up;
  }
  return dir;
})();

export const defaultPaths = {
  patterns: join(packageRoot, 'patterns'),
  rules: join(packageRoot, 'rules'),
  checkpoints: join(packageRoot, 'fixtures', 'checkpoints.json'),
};

export function loadRegistry(path: string): CheckpointRegistry {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read the checkpoint registry ${path}: ${(error as Error).message}`);
  }
  try {
    return CheckpointRegistry.parse(text, path);
  } catch (error) {
    throw new UserError((error as Error).message);
  }
}

const dslType = (t: DslValueType): Type => t;

/**
 * Built-in functions plus the traffic domain's, bound to a checkpoint registry. The local-time functions use
 * `timeZone`, else the registry's zone, else UTC.
 */
export function functionsFor(registry: CheckpointRegistry | null, timeZone?: string): FunctionRegistry {
  const zone = timeZone ?? registry?.timeZone ?? 'UTC';
  // Validating a zone loads Intl's zone data; UTC needs none (the registry validated its own zone).
  if (timeZone !== undefined && timeZone !== 'UTC' && !isTimeZone(zone))
    throw new UserError(`unknown time zone '${zone}': use an IANA name such as Asia/Shanghai, UTC or an offset such as +08:00`);
  const functions = builtinFunctions({ timeZone: zone });
  const domain = registry === null ? trafficFunctions(CheckpointRegistry.fromJson([])) : trafficFunctions(registry);
  for (const f of domain) {
    functions.register({
      name: f.name,
      params: f.params.map(dslType),
      minArgs: f.params.length,
      maxArgs: f.params.length,
      returns: dslType(f.returns),
      impl: (...args) => (f.impl(...args) ?? null) as Value,
    });
  }
  return functions;
}

/** Files under the given paths with one of the extensions, sorted; a named file is taken whatever its extension. */
export function collectFiles(paths: readonly string[], extensions: readonly string[], cwd: string): string[] {
  const out: string[] = [];
  for (const p of paths) {
    const abs = resolve(cwd, p);
    if (!existsSync(abs)) throw new UserError(`no such file or directory: ${p}`);
    if (statSync(abs).isDirectory()) {
      for (const name of readdirSync(abs).sort()) {
        // `vigil test` files (*.test.yaml) may sit beside patterns and rules: they are neither.
        if (name.endsWith('.test.yaml') || name.endsWith('.test.yml')) continue;
        if (extensions.some((e) => name.endsWith(e))) out.push(join(abs, name));
      }
    } else {
      out.push(abs);
    }
  }
  return out;
}

export function readSources(files: readonly string[], cwd: string): SourceFile[] {
  return files.map((f) => ({ file: displayPath(f, cwd), source: readFileSync(f, 'utf8') }));
}

/** Paths in messages: relative to the working directory when below it. */
export function displayPath(abs: string, cwd: string): string {
  const rel = relative(cwd, abs);
  return rel.startsWith('..') || rel === '' ? abs : rel;
}

export interface LoadedProgram {
  readonly program: CheckedProgram;
  /** The pattern and rule files, for errors found later (while building the job). */
  readonly sources: readonly SourceFile[];
  readonly rules: readonly LinkedRule[];
  readonly allRules: readonly Rule[];
  /** How its pattern files read their table files, for checking the same files again (a reload of rules only). */
  readonly tableFiles?: TableFiles;
  /** The table files its pattern files read, as read: part of the set's version, and stored with it for the group. */
  readonly tableTexts: readonly TableText[];
}

/** A table file's text, named as its pattern file names it: the pattern file's name (no folder) and the path written. */
export interface TableText {
  readonly pattern: string;
  readonly path: string;
  readonly text: string;
}

/**
 * Reads table files through `files` (default: from disk) and keeps what each gave, once per pattern file and path:
 * the texts a rule set carries to another process.
 */
function recordingTableFiles(files: TableFiles | undefined): { files: TableFiles; texts: TableText[] } {
  const texts: TableText[] = [];
  const read = files?.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  return {
    texts,
    files: {
      ...(files?.baseDir === undefined ? {} : { baseDir: files.baseDir }),
      readFile: (path, ref) => {
        const text = read(path, ref);
        const pattern = basename(ref.file);
        if (!texts.some((t) => t.pattern === pattern && t.path === ref.path)) texts.push({ pattern, path: ref.path, text });
        return text;
      },
    },
  };
}

/** Table files read from texts a rule set carries (its `tableTexts`), never from disk; a file it lacks cannot be read. */
export function tableFilesFrom(texts: readonly TableText[]): TableFiles {
  return {
    readFile: (_path, ref) => {
      const found = texts.find((t) => t.pattern === basename(ref.file) && t.path === ref.path);
      if (found === undefined) throw new Error('the rule set carries no copy of it');
      return found.text;
    },
  };
}

/** Reads, checks and links pattern files and rule files; throws a ProgramErrors with every error found. */
export function loadProgram(options: {
  readonly patternFiles: readonly string[];
  readonly ruleFiles: readonly string[];
  readonly registry: CheckpointRegistry | null;
  /**
   * The record schema of sources that declare neither `schema` nor `fields` (tests of the language); without it
   * they are open. Sources name the domain's schemas (`schema traffic`) themselves.
   */
  readonly schema?: RecordSchema;
  readonly cwd: string;
  /** The zone of local_hour and its kind; default the registry's, else UTC. */
  readonly timeZone?: string;
}): LoadedProgram {
  const { patternFiles, ruleFiles, cwd, ...rest } = options;
  return compileProgram({ ...rest, patternSources: readSources(patternFiles, cwd), ruleSources: readSources(ruleFiles, cwd), tableFiles: { baseDir: cwd } });
}

/** loadProgram over texts already read (a rule set sent to the service's API): the same checks, the same errors. */
export function compileProgram(options: {
  readonly patternSources: readonly SourceFile[];
  readonly ruleSources: readonly SourceFile[];
  readonly registry: CheckpointRegistry | null;
  readonly schema?: RecordSchema;
  readonly timeZone?: string;
  /** Where `table t = file "..."` reads (the pattern files' names are relative to `baseDir`); default the process's directory. */
  readonly tableFiles?: TableFiles;
}): LoadedProgram {
  const { patternSources, ruleSources } = options;
  const tables = recordingTableFiles(options.tableFiles);
  const checked = compileSources(patternSources, {
    functions: functionsFor(options.registry, options.timeZone),
    lookups: lookupSignatures(),
    schemas: domainSchemas(),
    ...(options.schema === undefined ? {} : { schema: options.schema }),
    tableFiles: tables.files,
  });
  const errors: DslError[] = [...checked.errors];
  const rules: Rule[] = [];
  for (const s of ruleSources) {
    const r = parseRuleFile(s.source, s.file);
    errors.push(...r.errors);
    if (r.rule !== null) rules.push(r.rule);
  }
  let linked: LinkedRule[] = [];
  if (checked.program !== null) {
    const l = linkRules(checked.program, rules);
    errors.push(...l.errors);
    linked = l.linked;
  }
  if (errors.length > 0 || checked.program === null) throw new ProgramErrors(errors, [...patternSources, ...ruleSources]);
  return {
    program: checked.program,
    sources: [...patternSources, ...ruleSources],
    rules: linked.filter((l) => l.rule.enabled),
    allRules: rules,
    ...(options.tableFiles === undefined ? {} : { tableFiles: options.tableFiles }),
    tableTexts: tables.texts,
  };
}

/** An input file named on the command line: '-' is stdin; others resolve against the working directory and must exist. */
export function inputPath(path: string, cwd: string, flag = 'input'): string {
  if (path === '-') return path;
  const abs = resolve(cwd, path);
  if (!existsSync(abs)) throw new UserError(`no such ${flag} file: ${path}`);
  if (statSync(abs).isDirectory()) throw new UserError(`the ${flag} ${path} is a directory, not a file`);
  return abs;
}

/**
 * An output file named on the command line: '-' is stdout; others resolve against the working directory. Checked
 * before any work, so a typo fails in a second instead of after a whole input has been processed: it must not be a
 * directory, and its folder must exist and be writable. `flag` names it in the message (`--out`).
 */
export function outputPath(path: string, cwd: string, flag = 'output'): string {
  if (path === '-') return path;
  const abs = resolve(cwd, path);
  if (existsSync(abs)) {
    if (statSync(abs).isDirectory()) throw new UserError(`${flag} ${path} is a directory; name a file to write`);
    try {
      accessSync(abs, constants.W_OK);
    } catch {
      throw new UserError(`${flag} ${path}: not writable`);
    }
    return abs;
  }
  const folder = dirname(abs);
  if (!existsSync(folder)) throw new UserError(`${flag} ${path}: no such folder ${displayPath(folder, cwd)}`);
  if (!statSync(folder).isDirectory()) throw new UserError(`${flag} ${path}: ${displayPath(folder, cwd)} is not a folder`);
  try {
    accessSync(folder, constants.W_OK);
  } catch {
    throw new UserError(`${flag} ${path}: cannot write into ${displayPath(folder, cwd)}`);
  }
  return abs;
}

/** The names a file declares (sources, streams, patterns, late streams) and the names it reads. */
function namesOf(file: string, cwd: string): { declares: Set<string>; reads: Set<string> } | null {
  const parsed = parseProgram(readFileSync(file, 'utf8'), displayPath(file, cwd));
  if (!parsed.ok) return null;
  const declares = new Set<string>();
  const reads = new Set<string>();
  for (const d of parsed.program.decls) {
    declares.add(d.name.name);
    if (d.kind === 'source') continue;
    reads.add(d.from.name);
    if (d.kind === 'stream') for (const u of d.union) reads.add(u.name);
    if (d.lateInto !== null) declares.add(d.lateInto.name);
  }
  return { declares, reads };
}

/**
 * The pattern files to load so that `files` compile: the files themselves, and from `library` every file that
 * declares a source or stream they read, and what those read in turn. A library file that does not parse is left
 * out unless it is needed (then its syntax error is reported as usual).
 */
export function withDependencies(files: readonly string[], library: readonly string[], cwd: string): string[] {
  const chosen = new Set(files);
  const index = new Map<string, { declares: Set<string>; reads: Set<string> } | null>();
  const names = (f: string): { declares: Set<string>; reads: Set<string> } | null => {
    if (!index.has(f)) index.set(f, namesOf(f, cwd));
    return index.get(f) ?? null;
  };
  let pending = [...files];
  while (pending.length > 0) {
    const declared = new Set([...chosen].flatMap((f) => [...(names(f)?.declares ?? [])]));
    const missing = new Set(pending.flatMap((f) => [...(names(f)?.reads ?? [])]).filter((n) => !declared.has(n)));
    pending = [];
    for (const f of library) {
      if (chosen.has(f) || missing.size === 0) continue;
      if ([...(names(f)?.declares ?? [])].some((n) => missing.has(n))) {
        chosen.add(f);
        pending.push(f);
      }
    }
  }
  // Library order (sorted paths) first, then the named files: errors come out in a stable order.
  return [...library.filter((f) => chosen.has(f)), ...files.filter((f) => !library.includes(f))];
}
