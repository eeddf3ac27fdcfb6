/**
 * A rule set as the service's API sees it: the pattern and rule files of a program, read from the service's
 * folders or sent as texts, checked as `vigil check` checks them (same errors, as data), described rule by rule,
 * and named by a version: a hash of the files' names and texts, so every process of a group can tell whether it
 * runs the same set.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { type DslError, formatDslError, formatWarning, lintProgram, type ParamValue, type Route, type Severity } from '../../dsl/index.js';
import type { CheckpointRegistry } from '../../traffic/registry.js';
import type { ProgramErrors, SourceFile } from '../errors.js';
import { collectFiles, compileProgram, type LoadedProgram, loadProgram, type TableText, tableFilesFrom } from '../program.js';

/** Pattern and rule files by file name, as the API takes them. Without patterns, the running set's are used. */
export interface RuleSetText {
  readonly rules: Readonly<Record<string, string>>;
  readonly patterns?: Readonly<Record<string, string>>;
}

/**
 * A rule set as one process hands it to another (the group's stored set): its texts, and the texts of the table
 * files its patterns read where it was loaded. Never what the API takes: a set sent over the API reads no table file.
 */
export interface CarriedRuleSetText extends RuleSetText {
  readonly tables?: readonly TableText[];
}

/** A file name in a rule set: a plain name (no folder), with the extension of its kind. */
export const RULE_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\.ya?ml$/;
export const PATTERN_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\.pattern$/;

/** One error (or warning) of a rule set: where, what, and the `file:line:col: message` lines with the caret. */
export interface Diagnostic {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly message: string;
  readonly text: string;
}

export interface RuleInfo {
  readonly id: string;
  readonly file: string;
  readonly pattern: string;
  readonly description: string;
  readonly severity: Severity;
  readonly enabled: boolean;
  readonly routes: readonly Route[];
  readonly suppress: { readonly key: readonly string[]; readonly forMs: number } | null;
  /** The parameters the rule file sets. */
  readonly params: Readonly<Record<string, ParamValue>>;
}

export interface PatternParam {
  readonly name: string;
  readonly type: string;
  readonly default: unknown;
  /** What this rule runs with: its own value, else the default. */
  readonly value: unknown;
}

export interface RuleDetail extends RuleInfo {
  readonly patternFile: string;
  readonly patternParams: readonly PatternParam[];
  /** The rule file as loaded. */
  readonly text: string;
}

/** The names of a rule set's files: what a reload refuses and reports are against them. */
export function isRuleFile(file: string): boolean {
  return file.endsWith('.yaml') || file.endsWith('.yml');
}

/** Reads the service's folders again (`POST /api/rules/reload`). Throws ProgramErrors with every error. */
export function loadRuleSetFromDisk(
  paths: { readonly patterns: string; readonly rules: string },
  registry: CheckpointRegistry,
  cwd: string,
  timeZone?: string,
): LoadedProgram {
  return loadProgram({
    patternFiles: collectFiles([paths.patterns], ['.pattern'], cwd),
    ruleFiles: collectFiles([paths.rules], ['.yaml', '.yml'], cwd),
    registry,
    cwd,
    ...(timeZone === undefined ? {} : { timeZone }),
  });
}

/**
 * Compiles texts sent over the API, or another process's set. Files show as `rules/NAME` and `patterns/NAME` in
 * errors; without pattern files the running program's are used (`current`). Throws ProgramErrors with every error.
 */
export function loadRuleSetFromText(text: CarriedRuleSetText, current: LoadedProgram, registry: CheckpointRegistry, timeZone?: string): LoadedProgram {
  const ruleSources: SourceFile[] = Object.entries(text.rules).map(([name, source]) => ({ file: `rules/${name}`, source }));
  const patternSources: SourceFile[] =
    text.patterns === undefined
      ? current.sources.filter((s) => !isRuleFile(s.file))
      : Object.entries(text.patterns).map(([name, source]) => ({ file: `patterns/${name}`, source }));
  // Pattern texts sent over the API never read the server's files; the running program's own files may be read again,
  // and another process's set reads the table files' texts it carries (as that process read them).
  const tableFiles =
    text.patterns === undefined ? (current.tableFiles ?? {}) : text.tables !== undefined ? tableFilesFrom(text.tables) : { readFile: refuseTableFile };
  return compileProgram({ patternSources, ruleSources, registry, tableFiles, ...(timeZone === undefined ? {} : { timeZone }) });
}

function refuseTableFile(): never {
  throw new Error('pattern files sent over the API cannot read table files; declare the table inline');
}

function diagnostic(error: DslError, text: string): Diagnostic {
  return { file: error.file, line: error.line, col: error.col, message: error.message, text };
}

/** The errors of a refused rule set, in the order `vigil check` prints them. */
export function diagnosticsOf(errors: ProgramErrors): Diagnostic[] {
  const byFile = new Map(errors.sources.map((s) => [s.file, s.source]));
  return errors.errors.map((e) => diagnostic(e, formatDslError(e, byFile.get(e.file) ?? '')));
}

/** Lint warnings and notes, as `vigil check` prints them after a clean compile. */
export function warningsOf(loaded: LoadedProgram): Diagnostic[] {
  const byFile = new Map(loaded.sources.map((s) => [s.file, s.source]));
  return lintProgram(loaded.program).map((w) => ({
    file: w.file,
    line: w.line,
    col: w.col,
    message: w.message,
    text: formatWarning(w, byFile.get(w.file) ?? ''),
  }));
}

/**
 * A hash of the files' kinds, names (without folders) and texts, and of the table files read: equal sets give equal
 * versions wherever they were read, and a changed table file is a new version.
 */
export function ruleSetVersion(loaded: LoadedProgram): string {
  const entries = [
    ...loaded.sources.map((s) => `${isRuleFile(s.file) ? 'rule' : 'pattern'}/${basename(s.file)}\u0000${s.source}`),
    ...loaded.tableTexts.map((t) => `table/${t.pattern}\u0000${t.path}\u0000${t.text}`),
  ].sort();
  const hash = createHash('sha256');
  for (const e of entries) hash.update(e).update('\u0001');
  return hash.digest('hex').slice(0, 16);
}

export function describeRules(loaded: LoadedProgram): RuleInfo[] {
  return loaded.allRules.map((r) => ({
    id: r.id,
    file: r.file,
    pattern: r.pattern,
    description: r.description,
    severity: r.severity,
    enabled: r.enabled,
    routes: r.routes,
    suppress: r.suppress === null ? null : { key: r.suppress.key, forMs: r.suppress.forMs },
    params: r.params,
  }));
}

export function describeRule(loaded: LoadedProgram, id: string): RuleDetail | undefined {
  const info = describeRules(loaded).find((r) => r.id === id);
  if (info === undefined) return undefined;
  const pattern = loaded.program.patterns.get(info.pattern);
  const linked = loaded.rules.find((l) => l.rule.id === id);
  return {
    ...info,
    patternFile: pattern?.decl.pos.file ?? '',
    patternParams: (pattern?.params ?? []).map((p) => ({
      name: p.name,
      type: p.type,
      default: p.default,
      value: linked?.params[p.name] ?? info.params[p.name] ?? p.default,
    })),
    text: loaded.sources.find((s) => s.file === info.file)?.source ?? '',
  };
}

/** Per rule, a hash of its file, its pattern's file and the table files that reads: what tells a changed rule from an unchanged one. */
export function ruleFingerprints(loaded: LoadedProgram): Map<string, string> {
  const text = new Map(loaded.sources.map((s) => [s.file, s.source]));
  const out = new Map<string, string>();
  for (const r of loaded.allRules) {
    const patternFile = loaded.program.patterns.get(r.pattern)?.decl.pos.file ?? '';
    const h = createHash('sha256')
      .update(text.get(r.file) ?? '')
      .update('\u0000')
      .update(text.get(patternFile) ?? '');
    for (const t of loaded.tableTexts) if (t.pattern === basename(patternFile)) h.update(`\u0000${t.path}\u0000${t.text}`);
    out.set(r.id, h.digest('hex'));
  }
  return out;
}
