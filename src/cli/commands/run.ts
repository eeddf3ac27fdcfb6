import { RecordValidator, isRejection } from '../../traffic/validate.js';
import { MemoryFirstSeenStore } from '../../io/first-seen/memory-store.js';
import { RedisFirstSeenStore } from '../../io/first-seen/redis-store.js';
import type { FirstSeenStore } from '../../io/first-seen/store.js';
import { connectRedis } from '../../io/redis/client.js';
import { type Command, ExitCode, UserError } from '../io.js';
import { HELP, withUsage } from '../flags.js';
import { parseArgs } from 'node:util';
import { TRAFFIC_SCHEMA, collectFiles, defaultPaths, inputPath, loadProgram, loadRegistry, outputPath } from '../environment.js';
import { runEmbedded, summaryLine } from '../embedded.js';
import { firstSeenLookup } from '../lookups.js';
import { readFile } from 'node:fs/promises';

const usage = `usage: vigil run --input <file.ndjson|-> [--patterns dir] [--rules dir] [--checkpoints file]
                 [--out alerts.ndjson] [--late late.ndjson] [--dead-letter dlq.ndjson]
                 [--stream NAME ...] [--unbounded] [--redis redis://host:port] [--first-seen-prefix P]
                 [--known-vehicles truth.json]

Runs a bounded input to the end in embedded mode (no Kafka or Redis) with every enabled rule, and writes
alerts as NDJSON (stdout unless --out). Records that fail validation go to --dead-letter with the reason;
records refused as late go to --late. Each --stream NAME prints that stream's records to stdout as
{"stream": NAME, ...record}. --known-vehicles seeds first_seen(plate, plate_color) with a generator
truth file's known_vehicles (vehicles seen before the run). Defaults: the shipped patterns/, rules/ and fixtures/checkpoints.json.
first_seen keeps its sightings in memory for the run, or in Redis with --redis (env VIGIL_REDIS), where they
last across runs and processes; --first-seen-prefix names the key space (default vigil:first_seen:default:).
`;

async function firstSeenStore(url: string | undefined, prefix: string | undefined): Promise<FirstSeenStore> {
  if (url === undefined) return new MemoryFirstSeenStore();
  let redis;
  try {
    redis = await connectRedis({ url, connectionName: 'vigil-run' });
  } catch (error) {
    throw new UserError((error as Error).message);
  }
  return new RedisFirstSeenStore(redis, { ownsConnection: true, ...(prefix === undefined ? {} : { prefix }) });
}

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
  const store = await firstSeenStore(values.redis ?? env['VIGIL_REDIS'], values['first-seen-prefix'] ?? env['VIGIL_FIRST_SEEN_PREFIX']);
  if (values['known-vehicles'] !== undefined) await seedKnownVehicles(store, inputPath(values['known-vehicles'], io.cwd));
  let summary;
  try {
    summary = await runEmbedded(
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
  } finally {
    await store.close();
  }
  io.stderr(`vigil run: ${summaryLine(summary, 'alerts')}`);
  return ExitCode.ok;
};

/**
 * Vehicles known before the run (a generator truth file's `known_vehicles`, [plate, colour] pairs) become
 * sightings at the epoch, so first_seen(plate, plate_color) is false for them. The key is the one the lookup
 * builds for those two arguments (one key column per argument).
 */
async function seedKnownVehicles(store: FirstSeenStore, path: string): Promise<void> {
  let known: unknown;
  try {
    known = (JSON.parse(await readFile(path, 'utf8')) as { known_vehicles?: unknown }).known_vehicles;
  } catch (error) {
    throw new UserError(`--known-vehicles ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!Array.isArray(known)) throw new UserError(`--known-vehicles ${path}: no known_vehicles list`);
  // The key columns first_seen(plate, plate_color) passes: one per argument.
  const plates: string[] = [];
  const colours: string[] = [];
  for (const v of known) {
    if (!Array.isArray(v) || typeof v[0] !== 'string' || typeof v[1] !== 'string') throw new UserError(`--known-vehicles ${path}: entries must be [plate, plate_color]`);
    plates.push(v[0]);
    colours.push(v[1]);
  }
  await store.seed({ keys: [plates, colours], timestamps: plates.map(() => 0), ids: plates.map(() => 'known') });
}
