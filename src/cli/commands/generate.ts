import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { simulation, writeSimulation } from '../../app/generate.js';
import { outputPath } from '../../app/index.js';
import { MATRIX_CITIES, matrixCity, namedCityOptions } from '../../traffic/generator/cities.js';
import {
  ANOMALY_DIFFICULTIES,
  type AnomalyDifficulty,
  type AnomalyShape,
  CITY_LAYOUTS,
  type CityLayout,
  type CityOptions,
  checkCityOptions,
  cityRegistryJson,
  DIRECTION_VOCABULARIES,
  DIRT_LEVELS,
  type DirectionVocabulary,
  type DirtLevel,
  formatTruth,
  type GeneratorOptions,
  type GroundTruth,
  type NoiseOptions,
  REGISTRY_FIELDS,
  type RegistryFields,
} from '../../traffic/generator/index.js';
import { parseIsoTimestamp } from '../../traffic/timestamp.js';
import { positiveNumber } from '../flags.js';
import { type Command, ExitCode, processIo, UserError } from '../io.js';

const usage = `usage: vigil generate --minutes N [--seed S] [--anomalies] [--start ISO] [--scale F]
                      [--out file.ndjson] [--truth truth.json] [--no-noise] [--outages N]
                      [--outage-minutes LO-HI] [--layout L] [--cameras N|LO-HI] [--registry R]
                      [--directions VOCAB] [--dirt D] [--misreads RATE] [--difficulty D]
                      [--meet-once SHARE] [--quiet-minutes N]
       vigil generate --city NAME [--out ...] [--truth ...] [any option above]
       vigil generate --checkpoints [city options] [--out checkpoints.json]

Synthetic checkpoint traffic of a ~200-camera city, deterministic by seed, NDJSON in arrival
order. --scale 1 peaks at ~500 records/s around 08:00 and 18:00 (city time, UTC+8); a day is
~10M records (~1.7 GB) and takes about a minute: use --scale 0.3 for ~3M (0.05 is a small town).
--anomalies injects cloned plates, flow surges and drops, congestion and first-time entries;
--truth writes the ground truth (anomalies, noise, known vehicles).

City options (default: the reference city of fixtures/checkpoints.json; pass the same ones with
--checkpoints for the city's registry):
  --layout grid|ring|corridor   a 9x9 grid; ring roads and radials; a 34 km corridor
  --cameras N | LO-HI           cameras per directed city-road segment, 1-4 (default 2-4)
  --registry full|required      registry with lanes, road, speed_limit, next_on_segment, or only
                                the required fields (id, name, lat, lon, segment, direction, kind)
  --directions VOCAB            in-out (default), upper (IN/OUT), inbound-outbound,
                                through (city-road cameras say "through"), compass (northbound...)
Dirt and anomalies:
  --dirt none|light|reference|heavy   noise presets (light: 1% misreads; heavy: 5% misreads, more
                                duplicates and skewed clocks, two 1-3 h outages that may hold entry
                                cameras and anomaly records); --no-noise, --misreads RATE,
                                --outages and --outage-minutes apply on top
  --difficulty standard|hard    hard: half the clones meet once, surges of 2-3x for 5-6 minutes,
                                jams of 4-8 minutes, also on one-camera segments
  --meet-once SHARE             share of clones whose cars meet once (one impossible pair)
  --quiet-minutes N             no anomaly in the first N minutes (baselines need history)
  --city NAME                   a city of the evaluation matrix (vigil eval --matrix), with its
                                seed, start, minutes and scale unless given: ${MATRIX_CITIES.map((c) => c.name).join(', ')}
`;

export const DEFAULT_START = '2026-03-02T00:00:00+08:00';

function positive(name: string, text: string | undefined, fallback?: number): number {
  if (text === undefined) {
    if (fallback === undefined) throw new UserError(`--${name} is required\n${usage}`);
    return fallback;
  }
  return positiveNumber(name, text);
}

function oneOf<T extends string>(name: string, text: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text)) throw new UserError(`--${name} must be one of ${allowed.join(', ')}, got '${text}'`);
  return text as T;
}

function share(name: string, text: string): number {
  const v = Number(text);
  if (!(v >= 0 && v <= 1)) throw new UserError(`--${name} must be a share from 0 to 1, got '${text}'`);
  return v;
}

/** The city options given as flags (each overrides the --city's). */
function cityFlags(v: { layout?: string; cameras?: string; registry?: string; directions?: string }): CityOptions {
  const out: { -readonly [K in keyof CityOptions]: CityOptions[K] } = {};
  if (v.layout !== undefined) out.layout = oneOf<CityLayout>('layout', v.layout, CITY_LAYOUTS);
  if (v.registry !== undefined) out.registry = oneOf<RegistryFields>('registry', v.registry, REGISTRY_FIELDS);
  if (v.directions !== undefined) out.directions = oneOf<DirectionVocabulary>('directions', v.directions, DIRECTION_VOCABULARIES);
  if (v.cameras !== undefined) {
    const m = /^([1-4])(?:-([1-4]))?$/.exec(v.cameras);
    if (m === null || Number(m[2] ?? m[1]) < Number(m[1])) throw new UserError(`--cameras must be N or LO-HI within 1-4, e.g. 1 or 1-3, got '${v.cameras}'`);
    out.cameras = [Number(m[1]), Number(m[2] ?? m[1])];
  }
  return out;
}

export const run: Command = async (args, io) => {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        minutes: { type: 'string' },
        seed: { type: 'string' },
        anomalies: { type: 'boolean', default: false },
        start: { type: 'string' },
        scale: { type: 'string' },
        out: { type: 'string' },
        truth: { type: 'string' },
        'no-noise': { type: 'boolean', default: false },
        outages: { type: 'string' },
        'outage-minutes': { type: 'string' },
        checkpoints: { type: 'boolean', default: false },
        city: { type: 'string' },
        layout: { type: 'string' },
        cameras: { type: 'string' },
        registry: { type: 'string' },
        directions: { type: 'string' },
        dirt: { type: 'string' },
        misreads: { type: 'string' },
        difficulty: { type: 'string' },
        'meet-once': { type: 'string' },
        'quiet-minutes': { type: 'string' },
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
  const named = v.city === undefined ? undefined : matrixCity(v.city);
  if (v.city !== undefined && named === undefined)
    throw new UserError(`--city ${v.city}: no such city (cities: ${MATRIX_CITIES.map((c) => c.name).join(', ')})`);
  const base: Partial<GeneratorOptions> = named === undefined ? {} : namedCityOptions(named, parseIsoTimestamp(named.start));
  const city: CityOptions = { ...base.city, ...cityFlags(v) };
  try {
    checkCityOptions(city);
  } catch (error) {
    throw new UserError(`${(error as Error).message}\n${usage}`);
  }
  if (v.checkpoints) {
    const json = cityRegistryJson(city);
    if (outPath === undefined) io.stdout(json);
    else await writeFile(outPath, json);
    return ExitCode.ok;
  }
  const minutes = positive('minutes', v.minutes, named?.minutes);
  const scale = positive('scale', v.scale, named?.scale ?? 1);
  const startText = v.start ?? named?.start ?? DEFAULT_START;
  const start = parseIsoTimestamp(startText);
  if (Number.isNaN(start)) throw new UserError(`--start must be ISO-8601 with a zone (e.g. ${DEFAULT_START}), got '${startText}'`);
  const noise: Partial<{ -readonly [K in keyof NoiseOptions]: NoiseOptions[K] }> = {
    ...base.noise,
    ...(v.dirt === undefined ? {} : DIRT_LEVELS[oneOf('dirt', v.dirt, Object.keys(DIRT_LEVELS) as DirtLevel[])]),
  };
  if (v['no-noise']) Object.assign(noise, DIRT_LEVELS.none);
  if (v.misreads !== undefined) noise.misreadRate = share('misreads', v.misreads);
  if (v.outages !== undefined) {
    const n = Number(v.outages);
    if (!Number.isInteger(n) || n < 0) throw new UserError(`--outages must be a whole number, got '${v.outages}'`);
    noise.outages = n;
  }
  if (v['outage-minutes'] !== undefined) {
    const m = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(v['outage-minutes']);
    if (m === null || Number(m[1]) <= 0 || Number(m[1]) > Number(m[2]))
      throw new UserError(`--outage-minutes must be LO-HI, e.g. 60-180, got '${v['outage-minutes']}'`);
    noise.outageMinMinutes = Number(m[1]);
    noise.outageMaxMinutes = Number(m[2]);
  }

  const shape: Partial<{ -readonly [K in keyof AnomalyShape]: AnomalyShape[K] }> = {
    ...base.anomalyShape,
    ...(v.difficulty === undefined ? {} : ANOMALY_DIFFICULTIES[oneOf('difficulty', v.difficulty, Object.keys(ANOMALY_DIFFICULTIES) as AnomalyDifficulty[])]),
  };
  if (v['meet-once'] !== undefined) shape.meetOnceShare = share('meet-once', v['meet-once']);
  let quietMinutes = base.quietMinutes;
  if (v['quiet-minutes'] !== undefined) {
    quietMinutes = Number(v['quiet-minutes']);
    if (!Number.isFinite(quietMinutes) || quietMinutes < 0) throw new UserError(`--quiet-minutes must be a number of minutes, got '${v['quiet-minutes']}'`);
  }
  const sim = simulation({
    seed: v.seed ?? named?.seed ?? '1',
    start,
    minutes,
    scale,
    anomalies: v.anomalies || named !== undefined,
    noise,
    anomalyShape: shape,
    anomalyCounts: base.anomalyCounts,
    quietMinutes,
    ...(Object.keys(city).length > 0 ? { city } : {}),
  });
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
