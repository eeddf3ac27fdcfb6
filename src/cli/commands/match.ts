import { type Command, ExitCode, UserError } from '../io.js';
import { HELP, withUsage } from '../flags.js';
import { parseArgs } from 'node:util';
import { collectFiles, defaultPaths, loadProgram, loadRegistry, lookupsFor, parseInputs, resolveInputs, runEmbedded } from '../../app/index.js';
import { MemoryFirstSeenStore } from '../../io/first-seen/memory-store.js';
import { summaryLine } from '../summary.js';

const usage = `usage: vigil match --pattern <file.pattern> --input <file.ndjson|-> | --input SOURCE=<file> ... [--unbounded] [--checkpoints file]

Runs the file's pattern(s) over the input with their default parameters and no rules. Prints each match as
{"pattern": name, "match": {"var": [events...]}} and each timeout as {"pattern": name, "timeout": {...}}.
Input lines may be {"$watermark": ms} control lines. --unbounded: no final watermark at the end of the input.
Records are not validated; a source's feed mapping (map ... as, map ... values, time zone) applies. With several
sources, give one --input SOURCE=FILE per source.
`;

export const run: Command = async (args, io) => {
  const { values } = withUsage(usage, () =>
    parseArgs({ args: [...args], options: { pattern: { type: 'string' }, input: { type: 'string', multiple: true }, unbounded: { type: 'boolean' }, checkpoints: { type: 'string' }, ...HELP }, allowPositionals: false, strict: true }),
  );
  if (values.help === true) {
    io.stdout(usage);
    return ExitCode.ok;
  }
  if (values.pattern === undefined || values.input === undefined) throw new UserError(`--pattern and --input are required\n${usage}`);
  const registry = loadRegistry(values.checkpoints ?? defaultPaths.checkpoints);
  const loaded = loadProgram({ patternFiles: collectFiles([values.pattern], ['.pattern'], io.cwd), ruleFiles: [], registry, cwd: io.cwd });
  const patterns = [...loaded.program.patterns.keys()];
  if (patterns.length === 0) throw new UserError(`${values.pattern} declares no pattern`);
  const store = new MemoryFirstSeenStore();
  const summary = await runEmbedded(
    {
      program: loaded.program,
      sources: loaded.sources,
      patterns,
      input: resolveInputs(parseInputs(values.input), loaded.program, io.cwd),
      lookups: lookupsFor(store),
      unbounded: values.unbounded === true,
    },
    io,
  );
  await store.close();
  io.stderr(`vigil match: ${summaryLine(summary, 'matches and timeouts')}`);
  return ExitCode.ok;
};
