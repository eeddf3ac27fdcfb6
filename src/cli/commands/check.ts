import { parseArgs } from 'node:util';
import { checkBuild } from '../../app/check-build.js';
import { collectFiles, defaultPaths, leafStreams, loadProgram, loadRegistry, readSources, registryGapsText } from '../../app/index.js';
import { formatWarning, lintProgram } from '../../dsl/index.js';
import { HELP, withUsage } from '../flags.js';
import { type Command, ExitCode, UserError } from '../io.js';

const usage = `usage: vigil check [paths...] [--checkpoints file] [--time-zone ZONE]

Compiles pattern files (.pattern) and rule files (.yaml) — by default the shipped patterns/ and rules/ —
and reports every error as file:line:col with the line and a caret. Exit 0 when clean, 1 otherwise.
--time-zone (env VIGIL_TIME_ZONE): the zone of local_hour and its kind (default: the registry's, else UTC).
Then reports every registry attribute an enabled rule, or a stream nothing else reads (the analytics), reads that
the checkpoint registry lacks: the reader, the attribute, where it is read, and what it loses without it (this
never changes the exit code).
`;

export const run: Command = async (args, io) => {
  const { values, positionals } = withUsage(usage, () =>
    parseArgs({
      args: [...args],
      options: { checkpoints: { type: 'string' }, 'time-zone': { type: 'string' }, ...HELP },
      allowPositionals: true,
      strict: true,
    }),
  );
  if (values.help === true) {
    io.stdout(usage);
    return ExitCode.ok;
  }
  const paths = positionals.length > 0 ? positionals : [defaultPaths.patterns, defaultPaths.rules];
  const patternFiles = collectFiles(paths, ['.pattern'], io.cwd).filter((f) => !isRuleFile(f));
  let ruleFiles = collectFiles(paths, ['.yaml', '.yml'], io.cwd).filter(isRuleFile);
  // Rules name patterns: rule files checked alone are linked against the shipped patterns.
  const patterns = patternFiles.length > 0 || ruleFiles.length === 0 ? patternFiles : collectFiles([defaultPaths.patterns], ['.pattern'], io.cwd);
  if (patterns.length === 0 && ruleFiles.length === 0) throw new UserError(`no .pattern or rule files under ${paths.join(', ')}`);
  ruleFiles = ruleFiles.filter((f) => !patterns.includes(f));
  const registry = loadRegistry(values.checkpoints ?? defaultPaths.checkpoints);
  const timeZone = values['time-zone'] ?? io.env['VIGIL_TIME_ZONE'];
  const loaded = loadProgram({ patternFiles: patterns, ruleFiles, registry, cwd: io.cwd, ...(timeZone === undefined ? {} : { timeZone }) });
  const p = loaded.program;
  await checkBuild(loaded);
  io.stderr(
    `ok: ${patterns.length} pattern file(s): ${p.sources.size} source(s), ${p.streams.size} stream(s), ${p.patterns.size} pattern(s); ` +
      `${loaded.allRules.length} rule(s), ${loaded.rules.length} enabled\n`,
  );
  // What the registry lacks, then lint warnings: after the summary, never changing the exit code.
  const gaps = registryGapsText(loaded, registry, values.checkpoints ?? defaultPaths.checkpoints, io.cwd, leafStreams(p));
  if (gaps !== '') io.stderr(gaps);
  const warnings = lintProgram(p);
  if (warnings.length > 0) {
    const text = new Map(readSources(patterns, io.cwd).map((s) => [s.file, s.source]));
    io.stderr(warnings.map((w) => formatWarning(w, text.get(w.file) ?? '')).join('\n') + '\n');
  }
  return ExitCode.ok;
};

function isRuleFile(f: string): boolean {
  return f.endsWith('.yaml') || f.endsWith('.yml');
}
