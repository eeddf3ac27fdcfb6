import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type Detection, type Evaluation, type FalseAlarmCause, evaluate } from '../../traffic/evaluate.js';
import { ANOMALY_TYPES, type AnomalyType } from '../../traffic/generator/truth.js';
import { runTraffic } from '../../app/index.js';
import { simulation, writeSimulation } from '../../app/generate.js';
import { parseIsoTimestamp } from '../../traffic/timestamp.js';
import { type Command, ExitCode, UserError } from '../io.js';
import { thousands } from '../summary.js';
import { HELP, withUsage } from '../flags.js';
import { terminalProgress } from '../progress.js';
import { DEFAULT_START } from './generate.js';

/**
 * The documented defaults: one city day with anomalies at 0.3 of full scale (~3M records, a few minutes on two
 * cores). Thinner traffic makes five-minute counts too noisy for the flow rule's fixed ratios.
 */
export const EVAL_DEFAULTS = { seed: '7', minutes: 1440, scale: 0.3, start: DEFAULT_START, min: 0.95 } as const;

const usage = `usage: vigil eval [--seed S] [--scale F] [--minutes N] [--start ISO] [--min 0.95] [--dir DIR]
                  [--patterns dir] [--rules dir] [--checkpoints file]

Measures the rules' detection quality: generates ${EVAL_DEFAULTS.minutes} minutes of city traffic with anomalies
(vigil generate --anomalies, seed ${EVAL_DEFAULTS.seed}, scale ${EVAL_DEFAULTS.scale}, from ${EVAL_DEFAULTS.start}),
runs every enabled rule over it (vigil run, first_seen pre-seeded with the truth's known vehicles), scores the
alerts against the ground truth and prints precision and recall per alert type, TP/FP/FN, false alarms by cause
and the run's records/s. Exits 1 when any precision or recall is below --min. The files stay in --dir when given
(a temporary directory otherwise, removed afterwards). Deterministic: same flags, same table.
`;

/** Which rule raises which anomaly type, and how its payload names the anomaly's key. */
export function detectionOf(alert: unknown): Detection | null {
  if (typeof alert !== 'object' || alert === null) return null;
  const a = alert as { rule?: unknown; event_time?: unknown; payload?: unknown };
  const p = (typeof a.payload === 'object' && a.payload !== null ? a.payload : {}) as Record<string, unknown>;
  const time = typeof a.event_time === 'number' ? a.event_time : NaN;
  const str = (v: unknown): string => (typeof v === 'string' ? v : String(v));
  switch (a.rule) {
    case 'cloned-plate':
      return { type: 'cloned_plate', key: `${str(p['plate'])}|${str(p['plate_color'])}`, time, checkpoints: [str(p['first']), str(p['second'])] };
    case 'first-entry':
      return { type: 'first_entry', key: `${str(p['plate'])}|${str(p['plate_color'])}`, time, checkpoints: [str(p['checkpoint'])] };
    case 'sudden-flow':
      return { type: p['direction'] === 'drop' ? 'flow_drop' : 'flow_surge', key: str(p['checkpoint']), time, checkpoints: [str(p['checkpoint'])] };
    case 'sudden-congestion':
      return { type: 'congestion', key: str(p['segment']), time };
    default:
      return null;
  }
}

const CAUSES: readonly FalseAlarmCause[] = ['misread', 'skew', 'outage', 'unexplained'];

/** The report: one row per type, then false alarms by cause, missed anomalies and the run's speed. */
export function formatReport(e: Evaluation, run: { records: number; seconds: number; rate: string }, settings: string, min: number): string {
  const pad = (s: string, n: number): string => s.padEnd(n);
  const num = (s: string | number, n: number): string => String(s).padStart(n);
  const lines: string[] = [`vigil eval: ${settings}`, ''];
  lines.push(`${pad('type', 14)}${num('anomalies', 10)}${num('alerts', 8)}${num('TP', 6)}${num('FP', 6)}${num('FN', 6)}${num('precision', 11)}${num('recall', 8)}`);
  for (const t of ANOMALY_TYPES) {
    const s = e.byType[t];
    const flag = s.precision < min || s.recall < min ? '  < ' + min : '';
    lines.push(`${pad(t, 14)}${num(s.anomalies, 10)}${num(s.detections, 8)}${num(s.truePositives, 6)}${num(s.falsePositives, 6)}${num(s.anomalies - s.found, 6)}` +
      `${num(s.precision.toFixed(3), 11)}${num(s.recall.toFixed(3), 8)}${flag}`);
  }
  lines.push('');
  const byCause = CAUSES.map((c) => `${c} ${e.falseAlarms.filter((f) => f.cause === c).length}`).join(', ');
  lines.push(`false alarms by cause: ${byCause}`);
  const cloneNoise = e.falseAlarms.filter((f) => f.detection.type === 'cloned_plate' && f.cause !== 'unexplained').length;
  lines.push(`cloned-plate alerts caused by duplicates, misreads or skew alone: ${cloneNoise}`);
  lines.push(`flow alerts left out as congestion side effects: ${e.secondary.length}`);
  const LIST = 25;
  for (const f of e.falseAlarms.slice(0, LIST)) lines.push(`  false ${f.detection.type} ${f.detection.key} at ${new Date(f.detection.time).toISOString()} (${f.cause})`);
  if (e.falseAlarms.length > LIST) lines.push(`  ... ${e.falseAlarms.length - LIST} more false alarms`);
  for (const m of e.missed.slice(0, LIST)) lines.push(`  missed ${m.type} ${m.key} ${new Date(m.from).toISOString()}..${new Date(m.to).toISOString()}`);
  if (e.missed.length > LIST) lines.push(`  ... ${e.missed.length - LIST} more missed`);
  lines.push('');
  lines.push(`vigil run: ${run.records.toLocaleString('en')} records in ${run.seconds.toFixed(1)} s (${run.rate} records/s)`);
  return lines.join('\n') + '\n';
}

/** True when every type reaches `min` in both precision and recall. */
export function passes(e: Evaluation, min: number): boolean {
  return ANOMALY_TYPES.every((t: AnomalyType) => e.byType[t].precision >= min && e.byType[t].recall >= min);
}

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
        ...HELP,
      }, allowPositionals: false, strict: true }),
  );
  if (values.help === true) {
    io.stdout(usage);
    return ExitCode.ok;
  }
  const min = Number(values.min);
  if (!(min >= 0 && min <= 1)) throw new UserError(`--min must be between 0 and 1, got '${values.min}'`);
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
    const runStats = { records: summary.records, seconds: summary.seconds, rate: summary.seconds > 0 ? thousands(Math.round(summary.records / summary.seconds)) : '-' };
    const detections: Detection[] = [];
    for (const line of readFileSync(alerts, 'utf8').split('\n')) {
      if (line === '') continue;
      const d = detectionOf(JSON.parse(line));
      if (d !== null) detections.push(d);
    }
    const e = evaluate(detections, truth);
    const settings = `${values.minutes} minutes from ${values.start}, seed ${values.seed}, scale ${values.scale} ` +
      `(${truth.counts.records.toLocaleString('en')} records, ${truth.anomalies.length} anomalies), gate ${min}`;
    io.stdout(formatReport(e, runStats, settings, min));
    return passes(e, min) ? ExitCode.ok : ExitCode.userError;
  } finally {
    if (values.dir === undefined) rmSync(dir, { recursive: true, force: true });
  }
};
