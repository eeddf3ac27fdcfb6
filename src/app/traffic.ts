import type { CheckpointRegistry } from '../traffic/registry.js';
import { runEmbedded, type EmbeddedSummary, type Terminal } from './embedded.js';
import { UserError } from './errors.js';
import { lookupsFor, openFirstSeenStore, seedKnownVehicles } from './lookups.js';
import { collectFiles, defaultPaths, inputPath, loadProgram, loadRegistry, outputPath, type LoadedProgram } from './program.js';
import { resolveInputs, type NamedInputs } from './inputs.js';
import { declaredChecks } from './sources.js';

/** Where a traffic program comes from; each defaults to what ships with Vigil. */
export interface ProgramPaths {
  readonly patterns?: string;
  readonly rules?: string;
  readonly checkpoints?: string;
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
  });
  return { registry, loaded };
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
}

/** `vigil run`: bounded inputs through every enabled rule, each source's records validated as it declares, in embedded mode. */
export async function runTraffic(options: TrafficRunOptions, terminal: Terminal): Promise<EmbeddedSummary> {
  const { cwd } = options;
  const { registry, loaded } = loadTrafficProgram(options, cwd);
  checkStreamNames(loaded, options.streams ?? []);
  const input = resolveInputs(options.input, loaded.program, cwd);
  const store = await openFirstSeenStore({
    redis: options.redis,
    prefix: options.firstSeenPrefix,
    connectionName: 'vigil-run',
  });
  try {
    if (options.knownVehicles !== undefined) await seedKnownVehicles(store, inputPath(options.knownVehicles, cwd));
    return await runEmbedded(
      {
        program: loaded.program,
        sources: loaded.sources,
        rules: loaded.rules,
        input,
        checks: declaredChecks(registry),
        lookups: lookupsFor(store),
        out: options.out === undefined ? undefined : outputPath(options.out, cwd),
        late: options.late === undefined ? undefined : outputPath(options.late, cwd),
        deadLetter: options.deadLetter === undefined ? undefined : outputPath(options.deadLetter, cwd),
        streams: options.streams ?? [],
        unbounded: options.unbounded === true,
      },
      terminal,
    );
  } finally {
    await store.close();
  }
}
