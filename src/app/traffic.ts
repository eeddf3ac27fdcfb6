import { resolve } from 'node:path';
import type { LinkedRule } from '../dsl/index.js';
import { trafficFunctions } from '../traffic/functions.js';
import type { CheckpointRegistry } from '../traffic/registry.js';
import { type EmbeddedRun, type EmbeddedSummary, runEmbedded, type Terminal } from './embedded.js';
import { UserError } from './errors.js';
import { type NamedInputs, resolveInputs } from './inputs.js';
import { lookupsFor, openFirstSeenStore, seedKnownVehicles } from './lookups.js';
import { collectFiles, defaultPaths, displayPath, inputPath, type LoadedProgram, loadProgram, loadRegistry, outputPath } from './program.js';
import { formatRegistryReport, registryReport } from './registry-report.js';
import { declaredChecks } from './sources.js';
import { countedNotes, type TrafficFeed, trafficFeed } from './traffic-feed.js';

/** Where a traffic program comes from; each defaults to what ships with Vigil. */
export interface ProgramPaths {
  readonly patterns?: string;
  readonly rules?: string;
  readonly checkpoints?: string;
  /** The zone of local_hour and its kind (an IANA name); default the registry's, else UTC. */
  readonly timeZone?: string;
}

export interface TrafficProgram {
  readonly registry: CheckpointRegistry;
  readonly loaded: LoadedProgram;
}

/** The registry, then every pattern and rule file (sources name their schemas: `schema traffic`). */
export function loadTrafficProgram(paths: ProgramPaths, cwd: string): TrafficProgram {
  const registry = loadRegistry(paths.checkpoints ?? defaultPaths.checkpoints);
  const loaded = loadProgram({
    patternFiles: collectFiles([paths.patterns ?? defaultPaths.patterns], ['.pattern'], cwd),
    ruleFiles: collectFiles([paths.rules ?? defaultPaths.rules], ['.yaml', '.yml'], cwd),
    registry,
    cwd,
    ...(paths.timeZone === undefined ? {} : { timeZone: paths.timeZone }),
  });
  return { registry, loaded };
}

/**
 * What the enabled rules (and the named streams) read from the registry that it lacks, naming the reader, the
 * attribute and what it does without it; empty when nothing is missing. `vigil check`, `run` and `serve` print it.
 */
export function registryGapsText(
  loaded: LoadedProgram,
  registry: CheckpointRegistry,
  registryPath: string,
  cwd: string,
  streams: readonly string[] = [],
): string {
  const show = (f: string): string => displayPath(resolve(cwd, f), cwd);
  return formatRegistryReport(registryReport(loaded.program, loaded.rules, registry, trafficFunctions(registry), show, streams), show(registryPath));
}

/** `--stream NAME` must name a stream of the program. */
export function checkStreamNames(loaded: LoadedProgram, names: readonly string[], flag = '--stream'): void {
  const { streams, lateStreams } = loaded.program;
  for (const name of names) {
    if (!streams.has(name) && !lateStreams.has(name)) {
      throw new UserError(`${flag} ${name}: no such stream (streams: ${[...streams.keys()].sort().join(', ')})`);
    }
  }
}

export interface TrafficRunOptions extends ProgramPaths {
  readonly cwd: string;
  /** An NDJSON file or '-' (stdin) for the one source the rules read, or a file per source by name. */
  readonly input: string | NamedInputs;
  readonly out?: string;
  readonly late?: string;
  readonly deadLetter?: string;
  readonly streams?: readonly string[];
  readonly unbounded?: boolean;
  /** first_seen in Redis at this URL; in memory without. */
  readonly redis?: string;
  readonly firstSeenPrefix?: string;
  /** A generator truth file whose known vehicles seed first_seen. */
  readonly knownVehicles?: string;
  readonly progress?: EmbeddedRun['progress'];
  /**
   * Alerts' `detected_at` in event time (see JobSetup.detectedAtInEventTime): `vigil eval` measures with it how
   * long alerts wait for the watermark. Default: the wall clock.
   */
  readonly detectedAtInEventTime?: boolean;
  /** Each pattern operator's state budget (see JobSetup). */
  readonly maxCepStateEntries?: number;
  /** Each pattern operator's kept-events budget (see JobSetup). */
  readonly maxCepKeptEvents?: number;
}

/** What `vigil run` did, and which rules it ran. */
export interface TrafficRunSummary extends EmbeddedSummary {
  /** The enabled rules. */
  readonly rules: readonly LinkedRule[];
  /** Rule files read, enabled or not. */
  readonly ruleFiles: number;
}

/** `vigil run`: bounded inputs through every enabled rule, each source's records validated as it declares, in embedded mode. */
export async function runTraffic(options: TrafficRunOptions, terminal: Terminal): Promise<TrafficRunSummary> {
  const { cwd } = options;
  // Every path first: a typo in an output path fails now, not after the whole input has been read.
  const knownVehicles = options.knownVehicles === undefined ? undefined : inputPath(options.knownVehicles, cwd, '--known-vehicles');
  const out = options.out === undefined ? undefined : outputPath(options.out, cwd, '--out');
  const late = options.late === undefined ? undefined : outputPath(options.late, cwd, '--late');
  const deadLetter = options.deadLetter === undefined ? undefined : outputPath(options.deadLetter, cwd, '--dead-letter');
  const { registry, loaded } = loadTrafficProgram(options, cwd);
  checkStreamNames(loaded, options.streams ?? []);
  const gaps = registryGapsText(loaded, registry, options.checkpoints ?? defaultPaths.checkpoints, cwd, options.streams ?? []);
  if (gaps !== '') terminal.stderr(gaps);
  const input = resolveInputs(options.input, loaded.program, cwd);
  const store = await openFirstSeenStore({
    redis: options.redis,
    prefix: options.firstSeenPrefix,
    connectionName: 'vigil-run',
  });
  try {
    if (knownVehicles !== undefined) await seedKnownVehicles(store, knownVehicles);
    // A replay: camera clocks are judged against the other cameras, so the same input gives the same output.
    let feed: TrafficFeed | undefined;
    const summary = await runEmbedded(
      {
        program: loaded.program,
        sources: loaded.sources,
        rules: loaded.rules,
        input,
        checks: declaredChecks(registry, (validator) => (feed = trafficFeed(registry, { validator })).check),
        // The traffic feed's camera-clock guard (a job over one traffic source; with several inputs, none).
        watermarkTime: (record, ts) => (feed === undefined ? ts : feed.watermarkTime(record, ts)),
        // With `correct_clocks`: the hold the corrected feed needs, and what it learned, checkpointed.
        watermarkBound: () => feed?.bound?.() ?? Number.POSITIVE_INFINITY,
        watermarkState: {
          snapshot: () => feed?.state?.snapshot() ?? null,
          restore: (state) => {
            if (state !== null) feed?.state?.restore(state);
          },
        },
        lookups: lookupsFor(store),
        out,
        late,
        deadLetter,
        streams: options.streams ?? [],
        unbounded: options.unbounded === true,
        progress: options.progress,
        ...(options.detectedAtInEventTime === true ? { detectedAtInEventTime: true } : {}),
        ...(options.maxCepStateEntries === undefined ? {} : { maxCepStateEntries: options.maxCepStateEntries }),
        ...(options.maxCepKeptEvents === undefined ? {} : { maxCepKeptEvents: options.maxCepKeptEvents }),
      },
      terminal,
    );
    return { ...summary, notes: feed === undefined ? [] : countedNotes(feed.notes), rules: loaded.rules, ruleFiles: loaded.allRules.length };
  } finally {
    await store.close();
  }
}
