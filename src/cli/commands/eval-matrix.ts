import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { simulation, writeSimulation } from '../../app/generate.js';
import { runTraffic } from '../../app/index.js';
import { type Detection, evaluate } from '../../traffic/evaluate.js';
import { MATRIX_CITIES, matrixCity, type NamedCity, namedCityOptions } from '../../traffic/generator/cities.js';
import { cityRegistryJson } from '../../traffic/generator/city.js';
import { type CityScore, formatMatrix, matrixPasses, scoreCity } from '../../traffic/matrix.js';
import { parseIsoTimestamp } from '../../traffic/timestamp.js';
import { type CliIo, ExitCode, UserError } from '../io.js';
import { thousands } from '../summary.js';
import { detectionOf, formatReport } from './eval-report.js';

export interface MatrixSettings {
  readonly cities: readonly string[];
  readonly min: number;
  readonly dir?: string;
  readonly patterns?: string;
  readonly rules?: string;
}

/** What one city's run cost and left behind beside its alerts. */
interface CityRun {
  readonly score: CityScore;
  readonly records: number;
  readonly deadLetters: ReadonlyMap<string, number>;
  readonly late: number;
  readonly generateS: number;
  readonly runS: number;
  readonly scoreS: number;
}

/** The cities `--city` names (every matrix city when none), refusing unknown names. */
export function pickCities(names: readonly string[]): NamedCity[] {
  if (names.length === 0) return [...MATRIX_CITIES];
  return names.map((n) => {
    const c = matrixCity(n);
    if (c === undefined) throw new UserError(`--city ${n}: no such city (cities: ${MATRIX_CITIES.map((x) => x.name).join(', ')})`);
    return c;
  });
}

async function countReasons(path: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line === '') continue;
    const reason = String((JSON.parse(line) as { reason?: unknown }).reason);
    out.set(reason, (out.get(reason) ?? 0) + 1);
  }
  return out;
}

async function runCity(c: NamedCity, dir: string, settings: MatrixSettings, io: CliIo, detail: boolean): Promise<CityRun> {
  const here = join(dir, c.name);
  await mkdir(here, { recursive: true });
  const [traffic, truthFile, alerts, dead, registry] = ['traffic.ndjson', 'truth.json', 'alerts.ndjson', 'dead-letters.ndjson', 'checkpoints.json'].map((f) =>
    join(here, f),
  ) as [string, string, string, string, string];
  const t0 = performance.now();
  await writeFile(registry, cityRegistryJson(c.city));
  const truth = await writeSimulation(simulation(namedCityOptions(c, parseIsoTimestamp(c.start))), traffic, truthFile);
  const t1 = performance.now();
  io.stderr(`vigil eval: ${c.name}: ${thousands(truth.counts.records)} records generated in ${((t1 - t0) / 1000).toFixed(1)} s; running the rules ...\n`);
  const summary = await runTraffic(
    {
      cwd: io.cwd,
      input: traffic,
      out: alerts,
      deadLetter: dead,
      knownVehicles: truthFile,
      checkpoints: registry,
      patterns: settings.patterns === undefined ? undefined : resolve(io.cwd, settings.patterns),
      rules: settings.rules === undefined ? undefined : resolve(io.cwd, settings.rules),
      detectedAtInEventTime: true,
    },
    { stdout: io.stdout, stderr: () => {} },
  );
  const t2 = performance.now();
  const detections: Detection[] = [];
  for (const line of readFileSync(alerts, 'utf8').split('\n')) {
    if (line === '') continue;
    const d = detectionOf(JSON.parse(line), true);
    if (d !== null) detections.push(d);
  }
  const score = scoreCity(c.name, detections, truth);
  const deadLetters = summary.deadLetters > 0 ? await countReasons(dead) : new Map<string, number>();
  if (detail) {
    const rate = summary.seconds > 0 ? thousands(Math.round(summary.records / summary.seconds)) : '-';
    io.stdout(
      formatReport(evaluate(detections, truth), { records: summary.records, seconds: summary.seconds, rate }, `city ${c.name}: ${c.summary}`, settings.min) +
        '\n',
    );
  }
  const t3 = performance.now();
  return {
    score,
    records: truth.counts.records,
    deadLetters,
    late: summary.late,
    generateS: (t1 - t0) / 1000,
    runS: (t2 - t1) / 1000,
    scoreS: (t3 - t2) / 1000,
  };
}

function notes(runs: readonly CityRun[]): string {
  const name = Math.max(8, ...runs.map((r) => r.score.city.length)) + 2;
  const lines = [
    'where time and records went',
    `${'city'.padEnd(name)}${'records'.padStart(10)}${'generate'.padStart(10)}${'run'.padStart(9)}${'score'.padStart(8)}${'records/s'.padStart(11)}${'late'.padStart(8)}  dead letters by reason`,
  ];
  let total = 0;
  for (const r of runs) {
    const dead = [...r.deadLetters.values()].reduce((a, b) => a + b, 0);
    const reasons = [...r.deadLetters].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${thousands(n)}`);
    const shown = reasons.length > 3 ? [...reasons.slice(0, 3), `${reasons.length - 3} more`] : reasons;
    const dl = dead === 0 ? '0' : `${thousands(dead)} (${((100 * dead) / Math.max(1, r.records)).toFixed(1)}%): ${shown.join(', ')}`;
    const secs = (v: number, w: number): string => `${v.toFixed(1)} s`.padStart(w);
    lines.push(
      `${r.score.city.padEnd(name)}${thousands(r.records).padStart(10)}${secs(r.generateS, 10)}${secs(r.runS, 9)}${secs(r.scoreS, 8)}` +
        `${thousands(Math.round(r.records / Math.max(r.runS, 1e-3))).padStart(11)}${thousands(r.late).padStart(8)}  ${dl}`,
    );
    total += r.generateS + r.runS + r.scoreS;
  }
  lines.push(`total ${total.toFixed(1)} s`);
  return lines.join('\n') + '\n';
}

/** `vigil eval --matrix`: every named city (or those of `--city`), one table. Exit 1 when any figure is below the gate. */
export async function runMatrix(settings: MatrixSettings, io: CliIo): Promise<ExitCode> {
  const cities = pickCities(settings.cities);
  const dir = settings.dir === undefined ? mkdtempSync(join(tmpdir(), 'vigil-matrix-')) : resolve(io.cwd, settings.dir);
  await mkdir(dir, { recursive: true });
  try {
    const runs: CityRun[] = [];
    for (const c of cities) runs.push(await runCity(c, dir, settings, io, cities.length === 1));
    const scores = runs.map((r) => r.score);
    const lines = [
      `vigil eval --matrix: ${cities.length} ${cities.length === 1 ? 'city' : 'cities'}, gate ${settings.min}; the same patterns and rules in every city`,
      ...cities.map((c) => `  ${c.name}: ${c.summary} (${c.minutes} min from ${c.start}, scale ${c.scale}, seed ${c.seed})`),
      'clone:confirmed = clones with two impossible pairs or more, found by high-severity alerts; clone:suspected = clones',
      'whose cars meet once (one impossible pair), found by lower-severity alerts. `-`: no alert raised / nothing to find.',
      '',
    ];
    io.stdout(lines.join('\n') + '\n' + formatMatrix(scores, settings.min) + '\n' + notes(runs));
    return matrixPasses(scores, settings.min) ? ExitCode.ok : ExitCode.userError;
  } finally {
    if (settings.dir === undefined) rmSync(dir, { recursive: true, force: true });
  }
}
