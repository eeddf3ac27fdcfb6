import { type Command, ExitCode, UserError } from '../io.js';
import { HELP, withUsage } from '../flags.js';
import { parseArgs } from 'node:util';
import { collectFiles, defaultPaths, inputPath, loadProgram, loadRegistry, lookupsFor, runEmbedded } from '../../app/index.js';
import { MemoryFirstSeenStore } from '../../io/first-seen/memory-store.js';
import { summaryLine } from '../summary.js';

const usage = `usage: vigil match --pattern <file.pattern> --input <file.ndjson|-> [--unbounded] [--checkpoints file]

Runs the file's pattern(s) over the input with their default parameters and no rules. Prints each match as
{"pattern": name, "match": {"var": [events...]}} and each timeout as {"pattern": name, "timeout": {...}}.
Input lines may be {"$watermark": ms} control lines. --unbounded: no final watermark at the end of the input.
`;

export const run: Command = async (args, io) => {
  const { values } = withUsage(usage, () =>
    parseArgs({ args: [...args], options: { pattern: { type: 'string' }, input: { type: 'string' }, unbounded: { type: 'boolean' }, checkpoints: { type: 'string' }, ...HELP }, allowPositionals: false, strict: true }),
  );
  if (values.help === true) {
    io.stdout(usage);
    return ExitCode.ok;
  }
  if (values.pattern === undefined || values.input === undefined) throw new UserError(`--pattern and --input are required\n${usage}`);
  const registry = loadRegistry(values.checkpoints ?? defaultPaths.checkpoints);
  // No record schema: `vigil match` runs patterns over any JSON events, not only traffic records.
  const loaded = loadProgram({ patternFiles: collectFiles([values.pattern], ['.pattern'], io.cwd), ruleFiles: [], registry, cwd: io.cwd });
  const patterns = [...loaded.program.patterns.keys()];
  if (patterns.length === 0) throw new UserError(`${values.pattern} declares no pattern`);
  const store = new MemoryFirstSeenStore();
  const summary = await runEmbedded(
    {
      program: loaded.program,
      sources: loaded.sources,
      patterns,
      input: inputPath(values.input, io.cwd),
      lookups: lookupsFor(store),
      unbounded: values.unbounded === true,
    },
    io,
  );
  await store.close();
  io.stderr(`vigil match: ${summaryLine(summary, 'matches and timeouts')}`);
  return ExitCode.ok;
};
