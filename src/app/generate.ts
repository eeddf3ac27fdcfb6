import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { formatTruth, type GeneratorOptions, type GroundTruth, TrafficSimulation } from '../traffic/generator/index.js';
import { UserError } from './errors.js';

/** A simulation from the user's settings; settings the generator refuses are the user's error. */
export function simulation(options: GeneratorOptions): TrafficSimulation {
  try {
    return new TrafficSimulation(options);
  } catch (error) {
    throw new UserError(error instanceof Error ? error.message : String(error));
  }
}

/** Writes the simulation's records as NDJSON to a file, honouring back-pressure; the truth too when asked. */
export async function writeSimulation(sim: TrafficSimulation, outPath: string, truthPath?: string): Promise<GroundTruth> {
  const out = createWriteStream(outPath);
  const failed = once(out, 'error').then(([e]) => {
    throw new UserError(`cannot write ${outPath}: ${e instanceof Error ? e.message : String(e)}`);
  });
  failed.catch(() => undefined);
  for (const chunk of sim.chunks()) if (!out.write(chunk)) await Promise.race([once(out, 'drain'), failed]);
  out.end();
  await Promise.race([once(out, 'finish'), failed]);
  const truth = sim.truth();
  if (truthPath !== undefined) await writeFile(truthPath, formatTruth(truth));
  return truth;
}
