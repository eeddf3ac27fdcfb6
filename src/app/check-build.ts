/**
 * The check that only building the job can make, shared by `vigil check` and the rules API: the job is built once
 * over an empty input per source, so what only the compiler sees (enrich on streams read from a source, late streams
 * with a producer) is reported before anything runs.
 */
import { ArraySource } from '../core/index.js';
import { MemoryFirstSeenStore } from '../io/first-seen/memory-store.js';
import { createTask } from './job.js';
import { lookupsFor } from './lookups.js';
import type { LoadedProgram } from './program.js';

/** Builds the job once over an empty input; throws ProgramErrors. */
export async function checkBuild(loaded: LoadedProgram): Promise<void> {
  const p = loaded.program;
  const task = createTask({
    program: p,
    sources: loaded.sources,
    rules: loaded.rules,
    patterns: [...p.patterns.keys()],
    allStreams: true,
    source: new Map([...p.sources.keys()].map((name) => [name, new ArraySource<string>(`check:${name}`, [[]])])),
    lookups: lookupsFor(new MemoryFirstSeenStore()),
    outputs: {},
  });
  await task.close();
}
