import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { simulation, writeSimulation } from '../../app/generate.js';
import { runTraffic } from '../../app/index.js';
import { type Detection, evaluate } from '../../traffic/evaluate.js';
import { MATRIX_CITIES } from '../../traffic/generator/cities.js';
import { parseIsoTimestamp } from '../../traffic/timestamp.js';
import { HELP, withUsage } from '../flags.js';
import { type Command, ExitCode, UserError } from '../io.js';
import { terminalProgress } from '../progress.js';
import { thousands } from '../summary.js';
import { runMatrix } from './eval-matrix.js';
import { detectionOf, formatReport, passes } from './eval-report.js';
import { DEFAULT_START } from './generate.js';

export { detectionOf, formatReport, passes } from './eval-report.js';

/**
 * The documented defaults: one city day with anomalies at 0.3 of full scale (~3M records, a few minutes on two
 * cores).
 */
export const EVAL_DEFAULTS = { seed: '7', minutes: 1440, scale: 0.3, start: DEFAULT_START, min: 0.95 } as const;

const usage = `usage: vigil eval [--seed S] [--scale F] [--minutes N] [--start ISO] [--min 0.95] [--dir DIR]
                  [--patterns dir] [--rules dir] [--checkpoints file]
       vigil eval --matrix [--city NAME ...] [--min 0.95] [--dir DIR] [--patterns dir] [--rules dir]

Measures the rules' detection quality: generates ${EVAL_DEFAULTS.minutes} minutes of city traffic with anomalies
(vigil generate --anomalies, seed ${EVAL_DEFAULTS.seed}, scale ${EVAL_DEFAULTS.scale}, from ${EVAL_DEFAULTS.start}),
runs every enabled rule over it (vigil run, first_seen pre-seeded with the truth's known vehicles), scores the
alerts against the ground truth and prints precision and recall per alert type, TP/FP/FN, false alarms by cause
and the run's records/s. Exits 1 when any precision or recall is below --min. The files stay in --dir when given
(a temporary directory otherwise, removed afterwards). Deterministic: same flags, same table.

--matrix runs the same patterns and rules over several independently built cities (each with its own registry)
and prints precision/recall per city and alert type (cloned plates at two levels: confirmed, two impossible
pairs or more; suspected, the cars meet once), the delay from each anomaly's onset to its first alert in event
time (p50/p99), the minimum of each column, and where records and time went. --city NAME runs only that city
(repeatable) and adds its full report. Exits 1 when any figure is below --min. The cities:
${MATRIX_CITIES.map((c) => `  ${c.name.padEnd(17)} ${c.summary}`).join('\n')}
`;

export const run: Command = async (args, io) => {
  const { values } = withUsage(usage, () =>
    parseArgs({
      args: [...args],
      options: {
        seed: { type: 'string', default: EVAL_DEFAULTS.seed },
        scale: { type: 'string', default: String(EVAL_DEFAULTS.scale) },
        minutes: { type: 'string', default: String(EVAL_DEFAULTS.minutes) },
        start: { type: 'string', default: EVAL_DEFAULTS.start },
        min: { type: 'string', default: String(EVAL_DEFAULTS.min) },
        dir: { type: 'string' },
        patterns: { type: 'string' },
        rules: { type: 'string' },
        checkpoints: { type: 'string' },
        matrix: { type: 'boolean' },
        city: { type: 'string', multiple: true },
        ...HELP,
      },
      allowPositionals: false,
      strict: true,
    }),
  );
  if (values.help === true) {
    io.stdout(usage);
    return ExitCode.ok;
  }
  const min = Number(values.min);
  if (!(min >= 0 && min <= 1)) throw new UserError(`--min must be between 0 and 1, got '${values.min}'`);
  if (values.matrix === true || values.city !== undefined) {
    for (const flag of ['seed', 'scale', 'minutes', 'start', 'checkpoints'] as const) {
      if (args.some((a) => a === `--${flag}` || a.startsWith(`--${flag}=`)))
        throw new UserError(`--${flag} does not apply to --matrix: each city has its own (see --help)`);
    }
    return runMatrix({ cities: values.city ?? [], min, dir: values.dir, patterns: values.patterns, rules: values.rules }, io);
  }
  const dir = values.dir === undefined ? mkdtempSync(join(tmpdir(), 'vigil-eval-')) : resolve(io.cwd, values.dir);
  await mkdir(dir, { recursive: true });
  const traffic = join(dir, 'traffic.ndjson');
  const truthFile = join(dir, 'truth.json');
  const alerts = join(dir, 'alerts.ndjson');
  try {
    io.stderr(`vigil eval: generating ${values.minutes} minutes at scale ${values.scale}, seed ${values.seed} ...\n`);
    const start = parseIsoTimestamp(values.start);
    if (Number.isNaN(start)) throw new UserError(`--start must be ISO-8601 with a zone, got '${values.start}'`);
    const [minutes, scale] = [Number(values.minutes), Number(values.scale)];
    if (!(minutes > 0) || !(scale > 0)) throw new UserError(`--minutes and --scale must be positive numbers, got '${values.minutes}' and '${values.scale}'`);
    const sim = simulation({ seed: values.seed, start, minutes, scale, anomalies: true });
    const truth = await writeSimulation(sim, traffic, truthFile);
    io.stderr(`vigil eval: running the rules ...\n`);
    const progress = terminalProgress(io, 'vigil eval', traffic);
    const summary = await runTraffic(
      {
        cwd: io.cwd,
        input: traffic,
        out: alerts,
        knownVehicles: truthFile,
        patterns: values.patterns === undefined ? undefined : resolve(io.cwd, values.patterns),
        rules: values.rules === undefined ? undefined : resolve(io.cwd, values.rules),
        checkpoints: values.checkpoints === undefined ? undefined : resolve(io.cwd, values.checkpoints),
        progress: progress?.update,
      },
      { stdout: io.stdout, stderr: () => {} },
    ).finally(() => progress?.done());
    const runStats = {
      records: summary.records,
      seconds: summary.seconds,
      rate: summary.seconds > 0 ? thousands(Math.round(summary.records / summary.seconds)) : '-',
    };
    const detections: Detection[] = [];
    for (const line of readFileSync(alerts, 'utf8').split('\n')) {
      if (line === '') continue;
      const d = detectionOf(JSON.parse(line));
      if (d !== null) detections.push(d);
    }
    const e = evaluate(detections, truth);
    const settings =
      `${values.minutes} minutes from ${values.start}, seed ${values.seed}, scale ${values.scale} ` +
      `(${truth.counts.records.toLocaleString('en')} records, ${truth.anomalies.length} anomalies), gate ${min}`;
    io.stdout(formatReport(e, runStats, settings, min));
    return passes(e, min) ? ExitCode.ok : ExitCode.userError;
  } finally {
    if (values.dir === undefined) rmSync(dir, { recursive: true, force: true });
  }
};
