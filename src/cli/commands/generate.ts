import { writeFile } from 'node:fs/promises';
import { outputPath } from '../../app/index.js';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { parseIsoTimestamp } from '../../traffic/timestamp.js';
import { simulation, writeSimulation } from '../../app/generate.js';
import { cityRegistryJson, formatTruth, type GroundTruth, type NoiseOptions } from '../../traffic/generator/index.js';
import { type Command, ExitCode, UserError, processIo } from '../io.js';

const usage = `usage: vigil generate --minutes N [--seed S] [--anomalies] [--start ISO] [--scale F]
                      [--out file.ndjson] [--truth truth.json] [--no-noise] [--outages N]
                      [--outage-minutes LO-HI]
       vigil generate --checkpoints [--out checkpoints.json]

Synthetic checkpoint traffic of a ~200-camera city, deterministic by seed, NDJSON in arrival
order. --scale 1 peaks at ~500 records/s around 08:00 and 18:00 (city time, UTC+8); a day is
~10M records (~1.7 GB) and takes about a minute: use --scale 0.3 for ~3M.
--anomalies injects cloned plates, flow surges and drops, congestion and first-time entries;
--truth writes the ground truth (anomalies, noise, known vehicles).
`;

export const DEFAULT_START = '2026-03-02T00:00:00+08:00';

function positive(name: string, text: string | undefined, fallback?: number): number {
  if (text === undefined) {
    if (fallback === undefined) throw new UserError(`--${name} is required\n${usage}`);
    return fallback;
  }
  const v = Number(text);
  if (!Number.isFinite(v) || v <= 0) throw new UserError(`--${name} must be a positive number, got '${text}'`);
  return v;
}

export const run: Command = async (args, io) => {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        minutes: { type: 'string' },
        seed: { type: 'string', default: '1' },
        anomalies: { type: 'boolean', default: false },
        start: { type: 'string', default: DEFAULT_START },
        scale: { type: 'string' },
        out: { type: 'string' },
        truth: { type: 'string' },
        'no-noise': { type: 'boolean', default: false },
        outages: { type: 'string' },
        'outage-minutes': { type: 'string' },
        checkpoints: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: false,
      strict: true,
    });
  } catch (error) {
    throw new UserError(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
  }
  const v = parsed.values;
  if (v.help) {
    io.stdout(usage);
    return ExitCode.ok;
  }
  // Checked before generating: a bad path fails at once, not after a day of traffic.
  const outPath = v.out === undefined || v.out === '-' ? undefined : outputPath(v.out, io.cwd, '--out');
  const truthPath = v.truth === undefined ? undefined : outputPath(v.truth, io.cwd, '--truth');
  if (v.checkpoints) {
    const json = cityRegistryJson();
    if (outPath === undefined) io.stdout(json);
    else await writeFile(outPath, json);
    return ExitCode.ok;
  }
  const minutes = positive('minutes', v.minutes);
  const scale = positive('scale', v.scale, 1);
  const start = parseIsoTimestamp(v.start);
  if (Number.isNaN(start)) throw new UserError(`--start must be ISO-8601 with a zone (e.g. ${DEFAULT_START}), got '${v.start}'`);
  const noise: Partial<{ -readonly [K in keyof NoiseOptions]: NoiseOptions[K] }> = {};
  if (v['no-noise']) {
    Object.assign(noise, { misreadRate: 0, laneDuplicateRate: 0, adjacentDuplicateRate: 0, unreadableRate: 0, formatVariantRate: 0, skewedCameraShare: 0, outagesPerDay: 0 });
  }
  if (v.outages !== undefined) {
    const n = Number(v.outages);
    if (!Number.isInteger(n) || n < 0) throw new UserError(`--outages must be a whole number, got '${v.outages}'`);
    noise.outages = n;
  }
  if (v['outage-minutes'] !== undefined) {
    const m = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(v['outage-minutes']);
    if (m === null || Number(m[1]) <= 0 || Number(m[1]) > Number(m[2])) throw new UserError(`--outage-minutes must be LO-HI, e.g. 60-180, got '${v['outage-minutes']}'`);
    noise.outageMinMinutes = Number(m[1]);
    noise.outageMaxMinutes = Number(m[2]);
  }

  const sim = simulation({ seed: v.seed, start, minutes, scale, anomalies: v.anomalies, noise });
  let truth: GroundTruth;
  if (outPath !== undefined) truth = await writeSimulation(sim, outPath, truthPath);
  else {
    if (io.stdout === processIo.stdout) {
      // Real stdout: honour back-pressure so a slow reader does not make us buffer the whole day.
      for (const chunk of sim.chunks()) if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
    } else {
      for (const chunk of sim.chunks()) io.stdout(chunk);
    }
    truth = sim.truth();
    if (truthPath !== undefined) await writeFile(truthPath, formatTruth(truth));
  }
  io.stderr(`vigil generate: ${truth.counts.records} records, ${truth.anomalies.length} anomalies, ${truth.noise.outages.length} camera outages\n`);
  return ExitCode.ok;
};
