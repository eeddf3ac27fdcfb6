import { parseInputs, runTraffic } from '../../app/index.js';
import { type Command, ExitCode, UserError } from '../io.js';
import { HELP, withUsage } from '../flags.js';
import { parseArgs } from 'node:util';
import { summaryLine } from '../summary.js';

const usage = `usage: vigil run --input <file.ndjson|-> | --input SOURCE=<file.ndjson|-> ... [--patterns dir] [--rules dir] [--checkpoints file]
                 [--out alerts.ndjson] [--late late.ndjson] [--dead-letter dlq.ndjson]
                 [--stream NAME ...] [--unbounded] [--redis redis://host:port] [--first-seen-prefix P]
                 [--known-vehicles truth.json]

Runs a bounded input to the end in embedded mode (no Kafka or Redis) with every enabled rule, and writes
alerts as NDJSON (stdout unless --out). One --input feeds the one source the rules read; with several sources,
give one --input SOURCE=FILE per source. Each source's records are validated as its declaration says
(schema traffic, declared fields, or none). Records that fail validation go to --dead-letter with the reason;
records refused as late go to --late. Each --stream NAME prints that stream's records to stdout as
{"stream": NAME, ...record}. --known-vehicles seeds first_seen(plate, plate_color) with a generator
truth file's known_vehicles (vehicles seen before the run). Defaults: the shipped patterns/, rules/ and fixtures/checkpoints.json.
first_seen keeps its sightings in memory for the run, or in Redis with --redis (env VIGIL_REDIS), where they
last across runs and processes; --first-seen-prefix names the key space (default vigil:first_seen:default:).
`;

export const run: Command = async (args, io) => {
  const { values } = withUsage(usage, () =>
    parseArgs({
      args: [...args],
      options: {
        input: { type: 'string', multiple: true },
      patterns: { type: 'string' },
      rules: { type: 'string' },
      checkpoints: { type: 'string' },
      out: { type: 'string' },
      late: { type: 'string' },
        'dead-letter': { type: 'string' },
        stream: { type: 'string', multiple: true },
        unbounded: { type: 'boolean' },
      redis: { type: 'string' },
        'first-seen-prefix': { type: 'string' },
        'known-vehicles': { type: 'string' },
        ...HELP,
      }, allowPositionals: false, strict: true }),
  );
  if (values.help === true) {
    io.stdout(usage);
    return ExitCode.ok;
  }
  const env = io.env;
  const given = values.input ?? (env['VIGIL_INPUT'] === undefined ? [] : [env['VIGIL_INPUT']]);
  if (given.length === 0) throw new UserError(`--input is required\n${usage}`);
  const input = parseInputs(given);
  const summary = await runTraffic(
    {
      cwd: io.cwd,
      input,
      patterns: values.patterns ?? env['VIGIL_PATTERNS'],
      rules: values.rules ?? env['VIGIL_RULES'],
      checkpoints: values.checkpoints ?? env['VIGIL_CHECKPOINTS'],
      out: values.out,
      late: values.late,
      deadLetter: values['dead-letter'],
      redis: values.redis ?? env['VIGIL_REDIS'],
      firstSeenPrefix: values['first-seen-prefix'] ?? env['VIGIL_FIRST_SEEN_PREFIX'],
      knownVehicles: values['known-vehicles'],
      streams: values.stream ?? [],
      unbounded: values.unbounded === true,
    },
    io,
  );
  io.stderr(`vigil run: ${summaryLine(summary, 'alerts')}`);
  return ExitCode.ok;
};
