/** Finds test files, loads each one's program once, runs its cases and reports each result as it comes. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { collectFiles, defaultPaths, displayPath, loadProgram, loadRegistry, ProgramErrors } from '../../app/index.js';
import { type DslError, formatDslError } from '../../dsl/index.js';
import { UserError } from '../io.js';
import { runCase, type TestProgram, TestSetupError } from './run-case.js';
import { parseTestFile, type TestCase, type TestFile } from './test-file.js';
import { judge } from './verdict.js';

export const TEST_FILE_SUFFIX = '.test.yaml';

export type CaseResult =
  | { readonly status: 'passed'; readonly file: string; readonly test: TestCase }
  /** The outputs disagree with the expectations: `diff` says how. */
  | { readonly status: 'failed'; readonly file: string; readonly test: TestCase; readonly diff: readonly string[] }
  /** The test could not run (unknown pattern, bad parameter, broken pattern file): `errors` are file:line:col lines. */
  | { readonly status: 'error'; readonly file: string; readonly test: TestCase; readonly errors: string }
  /** The engine threw: a bug in Vigil, not in the test. */
  | { readonly status: 'crashed'; readonly file: string; readonly test: TestCase; readonly error: string };

export interface SuiteEvents {
  /** A test file that cannot be read or is malformed: its errors, formatted with carets. */
  fileErrors(file: string, text: string): void;
  result(r: CaseResult): void;
}

export interface SuiteSummary {
  readonly passed: number;
  readonly failed: number;
  readonly badFiles: number;
  readonly crashed: number;
}

/** `*.test.yaml` files under the paths (directories searched recursively, skipping node_modules and dot-dirs). */
export function findTestFiles(paths: readonly string[], cwd: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith('.') || name === 'node_modules') continue;
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith(TEST_FILE_SUFFIX)) out.push(p);
    }
  };
  for (const p of paths) {
    const abs = resolve(cwd, p);
    if (!existsSync(abs)) throw new UserError(`no such file or directory: ${p}`);
    if (statSync(abs).isDirectory()) walk(abs);
    else out.push(abs);
  }
  return [...new Set(out)];
}

export async function runSuite(files: readonly string[], options: { cwd: string; filter?: string }, events: SuiteEvents): Promise<SuiteSummary> {
  let passed = 0;
  let failed = 0;
  let badFiles = 0;
  let crashed = 0;
  const programs = new Map<string, TestProgram | { error: string }>();
  for (const abs of files) {
    const shown = displayPath(abs, options.cwd);
    let source: string;
    try {
      source = readFileSync(abs, 'utf8');
    } catch (error) {
      badFiles++;
      events.fileErrors(shown, `${shown}: cannot read: ${(error as Error).message}`);
      continue;
    }
    const { testFile, errors } = parseTestFile(source, shown, abs);
    if (testFile === null) {
      badFiles++;
      events.fileErrors(shown, formatAll(errors, source));
      continue;
    }
    for (const tc of testFile.tests) {
      if (options.filter !== undefined && !tc.name.includes(options.filter)) continue;
      const env = loadFor(testFile, tc, options.cwd, programs);
      let result: Parameters<SuiteEvents['result']>[0];
      if ('error' in env) result = { status: 'error', file: shown, test: tc, errors: env.error };
      else {
        try {
          const actual = await runCase(testFile, tc, env);
          const v = judge(tc, actual);
          result = v.ok ? { status: 'passed', file: shown, test: tc } : { status: 'failed', file: shown, test: tc, diff: v.diff };
        } catch (error) {
          if (error instanceof TestSetupError) result = { status: 'error', file: shown, test: tc, errors: formatAll(error.errors, source) };
          else if (error instanceof ProgramErrors || error instanceof UserError) result = { status: 'error', file: shown, test: tc, errors: error.message };
          else result = { status: 'crashed', file: shown, test: tc, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
        }
      }
      if (result.status === 'passed') passed++;
      else failed++;
      if (result.status === 'crashed') crashed++;
      events.result(result);
    }
  }
  return { passed, failed, badFiles, crashed };
}

/** The program a test runs against, loaded once per (pattern files, rule files, registry). */
function loadFor(file: TestFile, tc: TestCase, cwd: string, cache: Map<string, TestProgram | { error: string }>): TestProgram | { error: string } {
  const needsRules = tc.target.kind === 'rule';
  const key = JSON.stringify([file.patterns, needsRules ? file.rules : null, file.checkpoints]);
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  let loaded: TestProgram | { error: string };
  try {
    const registry = loadRegistry(file.checkpoints ?? defaultPaths.checkpoints);
    const program = loadProgram({
      patternFiles: collectFiles(file.patterns ?? [defaultPaths.patterns], ['.pattern'], cwd),
      ruleFiles: needsRules ? collectFiles(file.rules ?? [defaultPaths.rules], ['.yaml', '.yml'], cwd) : [],
      registry,
      cwd,
    });
    loaded = { loaded: program, registry };
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    loaded = { error: error.message };
  }
  cache.set(key, loaded);
  return loaded;
}

function formatAll(errors: readonly DslError[], source: string): string {
  return errors.map((e) => formatDslError(e, source)).join('\n');
}
