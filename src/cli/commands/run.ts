import { RecordValidator, isRejection } from '../../traffic/validate.js';
import { MemoryFirstSeenStore } from '../../io/first-seen/memory-store.js';
import { type Command, ExitCode, UserError } from '../io.js';
import { HELP, withUsage } from '../flags.js';
import { parseArgs } from 'node:util';
import { TRAFFIC_SCHEMA, collectFiles, defaultPaths, inputPath, loadProgram, loadRegistry, outputPath } from '../environment.js';
import { runEmbedded, summaryLine } from '../embedded.js';
import { firstSeenLookup } from '../lookups.js';

const usage = `usage: vigil run --input <file.ndjson|-> [--patterns dir] [--rules dir] [--checkpoints file]
                 [--out alerts.ndjson] [--late late.ndjson] [--dead-letter dlq.ndjson]
                 [--stream NAME ...] [--unbounded]

Runs a bounded input to the end in embedded mode (no Kafka or Redis) with every enabled rule, and writes
alerts as NDJSON (stdout unless --out). Records that fail validation go to --dead-letter with the reason;
records refused as late go to --late. Each --stream NAME prints that stream's records to stdout as
{"stream": NAME, ...record}. Defaults: the shipped patterns/, rules/ and fixtures/checkpoints.json.
`;

export const run: Command = async (args, io) => {
  const { values } = withUsage(usage, () =>
    parseArgs({
      args: [...args],
      options: {
        input: { type: 'string' },
        patterns: { type: 'string' },
        rules: { type: 'string' },
        checkpoints: { type: 'string' },
        out: { type: 'string' },
        late: { type: 'string' },
        'dead-letter': { type: 'string' },
        stream: { type: 'string', multiple: true },
        unbounded: { type: 'boolean' },
        ...HELP,
      }, allowPositionals: false, strict: true }),
  );
  if (values.help === true) {
    io.stdout(usage);
    return ExitCode.ok;
  }
  const env = io.env;
  const input = values.input ?? env['VIGIL_INPUT'];
  if (input === undefined) throw new UserError(`--input is required\n${usage}`);
  const registry = loadRegistry(values.checkpoints ?? env['VIGIL_CHECKPOINTS'] ?? defaultPaths.checkpoints);
  const loaded = loadProgram({
    patternFiles: collectFiles([values.patterns ?? env['VIGIL_PATTERNS'] ?? defaultPaths.patterns], ['.pattern'], io.cwd),
    ruleFiles: collectFiles([values.rules ?? env['VIGIL_RULES'] ?? defaultPaths.rules], ['.yaml', '.yml'], io.cwd),
    registry,
    schema: TRAFFIC_SCHEMA,
    cwd: io.cwd,
  });
  for (const name of values.stream ?? []) {
    if (!loaded.program.streams.has(name) && !loaded.program.lateStreams.has(name)) {
      throw new UserError(`--stream ${name}: no such stream (streams: ${[...loaded.program.streams.keys()].sort().join(', ')})`);
    }
  }
  const validator = new RecordValidator(registry);
  const store = new MemoryFirstSeenStore();
  const summary = await runEmbedded(
    {
      program: loaded.program,
      sources: loaded.sources,
      rules: loaded.rules,
      input: inputPath(input, io.cwd),
      check: (record, watermark) => {
        const r = validator.validate(record, watermark);
        return isRejection(r) ? `${r.code}: ${r.detail}` : null;
      },
      lookups: new Map([['first_seen', firstSeenLookup(store)]]),
      ...(values.out === undefined ? {} : { out: outputPath(values.out, io.cwd) }),
      ...(values.late === undefined ? {} : { late: outputPath(values.late, io.cwd) }),
      ...(values['dead-letter'] === undefined ? {} : { deadLetter: outputPath(values['dead-letter'], io.cwd) }),
      streams: values.stream ?? [],
      unbounded: values.unbounded === true,
    },
    io,
  );
  await store.close();
  io.stderr(`vigil run: ${summaryLine(summary, 'alerts')}`);
  return ExitCode.ok;
};
