import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import {
  collectFiles,
  declaredChecks,
  defaultPaths,
  displayPath,
  loadProgram,
  loadRegistry,
  lookupsFor,
  parseInputs,
  resolveInputs,
  runEmbedded,
  withDependencies,
} from '../../app/index.js';
import { MemoryFirstSeenStore } from '../../io/first-seen/memory-store.js';
import { CEP_KEPT_BUDGET_HELP, CEP_STATE_BUDGET_HELP, cepKeptBudget, cepStateBudget, HELP, withUsage } from '../flags.js';
import { type Command, ExitCode, UserError } from '../io.js';
import { terminalProgress } from '../progress.js';
import { DEFAULT_MAX_DEAD_LETTERS, deadLetterVerdict, parseShare, refusalLines, summaryLine } from '../summary.js';

const usage = `usage: vigil match --pattern <file.pattern> [--pattern <file> ...] --input <file.ndjson|-> | --input SOURCE=<file> ...
                   [--patterns dir] [--checkpoints file] [--unbounded] [--max-dead-letters SHARE]
                   [--cep-state-budget N] [--cep-kept-budget N]

Runs the patterns declared in the --pattern file(s) over the input with their default parameters and no rules.
Prints each match as {"pattern": name, "match": {"var": [events...]}} and each timeout as
{"pattern": name, "timeout": {...}}. What the patterns read (sources, streams) is loaded from the other
.pattern files of their folder, or of --patterns dir.
Input lines may be {"$watermark": ms} control lines. --unbounded: no final watermark at the end of the input.
Each source's records are mapped and validated as its declaration says (schema traffic, declared fields, or
none), as in vigil run. With several sources, give one --input SOURCE=FILE per source.
Dead letters are summarised by reason on stderr; more than --max-dead-letters of the records (default ${DEFAULT_MAX_DEAD_LETTERS}) exits 1.
${CEP_STATE_BUDGET_HELP}
${CEP_KEPT_BUDGET_HELP}
`;

export const run: Command = async (args, io) => {
  const { values } = withUsage(usage, () =>
    parseArgs({
      args: [...args],
      options: {
        pattern: { type: 'string', multiple: true },
        input: { type: 'string', multiple: true },
        patterns: { type: 'string' },
        unbounded: { type: 'boolean' },
        checkpoints: { type: 'string' },
        'max-dead-letters': { type: 'string' },
        'cep-state-budget': { type: 'string' },
        'cep-kept-budget': { type: 'string' },
        ...HELP,
      },
      allowPositionals: false,
      strict: true,
    }),
  );
  if (values.help === true) {
    io.stdout(usage);
    return ExitCode.ok;
  }
  const named = values.pattern ?? [];
  if (named.length === 0 || values.input === undefined) throw new UserError(`--pattern and --input are required\n${usage}`);
  const maxDead = parseShare(values['max-dead-letters'] ?? io.env['VIGIL_MAX_DEAD_LETTERS'], '--max-dead-letters', DEFAULT_MAX_DEAD_LETTERS);
  const budget = {
    ...cepStateBudget(values['cep-state-budget'] ?? io.env['VIGIL_CEP_STATE_BUDGET']),
    ...cepKeptBudget(values['cep-kept-budget'] ?? io.env['VIGIL_CEP_KEPT_BUDGET']),
  };
  const patternFiles = [...new Set(collectFiles(named, ['.pattern'], io.cwd))];
  if (patternFiles.length === 0) throw new UserError(`no .pattern files in ${named.join(', ')}`);
  const library =
    values.patterns !== undefined
      ? collectFiles([values.patterns], ['.pattern'], io.cwd)
      : collectFiles([...new Set(patternFiles.map((f) => dirname(f)))], ['.pattern'], io.cwd);
  const files = withDependencies(patternFiles, library, io.cwd);
  const registry = loadRegistry(values.checkpoints ?? io.env['VIGIL_CHECKPOINTS'] ?? defaultPaths.checkpoints);
  const loaded = loadProgram({ patternFiles: files, ruleFiles: [], registry, cwd: io.cwd });
  const input = resolveInputs(parseInputs(values.input), loaded.program, io.cwd);
  const shown = new Set(patternFiles.map((f) => displayPath(f, io.cwd)));
  const patterns = loaded.program.programs.filter((p) => shown.has(p.file)).flatMap((p) => p.decls.filter((d) => d.kind === 'pattern').map((d) => d.name.name));
  if (patterns.length === 0) throw new UserError(`${named.join(', ')} declares no pattern`);
  const store = new MemoryFirstSeenStore();
  const progress = terminalProgress(io, 'vigil match', typeof input === 'string' ? input : '-');
  let summary;
  try {
    summary = await runEmbedded(
      {
        program: loaded.program,
        sources: loaded.sources,
        patterns,
        input,
        checks: declaredChecks(registry),
        lookups: lookupsFor(store),
        unbounded: values.unbounded === true,
        progress: progress?.update,
        ...budget,
      },
      io,
    );
  } finally {
    progress?.done();
    await store.close();
  }
  io.stderr(`vigil match: ${summaryLine(summary, 'matches and timeouts')}`);
  io.stderr(refusalLines(summary, 'vigil match', {}));
  const verdict = deadLetterVerdict(summary, maxDead, 'vigil match');
  if (verdict !== null) {
    io.stderr(verdict);
    return ExitCode.userError;
  }
  return ExitCode.ok;
};
