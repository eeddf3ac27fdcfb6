import type { Detection, Evaluation, FalseAlarmCause } from '../../traffic/evaluate.js';
import { ANOMALY_TYPES, type AnomalyType } from '../../traffic/generator/truth.js';

/** How `vigil eval` reads alerts (rule -> anomaly type and key) and prints one city's report. */

/**
 * Which rule raises which anomaly type, and how its payload names the anomaly's key. `datedInEventTime`: the run
 * dated alerts' `detected_at` in event time (runTraffic's `detectedAtInEventTime`), so it is kept as `detectedAt`.
 */
export function detectionOf(alert: unknown, datedInEventTime = false): Detection | null {
  if (typeof alert !== 'object' || alert === null) return null;
  const a = alert as { rule?: unknown; severity?: unknown; event_time?: unknown; detected_at?: unknown; payload?: unknown };
  const p = (typeof a.payload === 'object' && a.payload !== null ? a.payload : {}) as Record<string, unknown>;
  const time = typeof a.event_time === 'number' ? a.event_time : NaN;
  const d = datedInEventTime && typeof a.detected_at === 'number' && Number.isFinite(a.detected_at) ? { time, detectedAt: a.detected_at } : { time };
  const str = (v: unknown): string => (typeof v === 'string' ? v : String(v));
  switch (a.rule) {
    case 'cloned-plate': {
      // The level comes from the severity: high is a confirmed clone, anything lower a suspected one.
      const level = a.severity === undefined ? {} : { level: a.severity === 'high' ? ('confirmed' as const) : ('suspected' as const) };
      return {
        type: 'cloned_plate',
        key: `${str(p['plate'])}|${str(p['plate_color'])}`,
        ...d,
        checkpoints: [str(p['first']), str(p['second'])],
        ...level,
      };
    }
    case 'first-entry':
      return { type: 'first_entry', key: `${str(p['plate'])}|${str(p['plate_color'])}`, ...d, checkpoints: [str(p['checkpoint'])] };
    case 'sudden-flow':
      return { type: p['direction'] === 'drop' ? 'flow_drop' : 'flow_surge', key: str(p['checkpoint']), ...d, checkpoints: [str(p['checkpoint'])] };
    case 'sudden-congestion':
      return { type: 'congestion', key: str(p['segment']), ...d };
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
  lines.push(
    `${pad('type', 14)}${num('anomalies', 10)}${num('alerts', 8)}${num('TP', 6)}${num('FP', 6)}${num('FN', 6)}${num('precision', 11)}${num('recall', 8)}`,
  );
  for (const t of ANOMALY_TYPES) {
    const s = e.byType[t];
    const flag = s.precision < min || s.recall < min ? '  < ' + min : '';
    lines.push(
      `${pad(t, 14)}${num(s.anomalies, 10)}${num(s.detections, 8)}${num(s.truePositives, 6)}${num(s.falsePositives, 6)}${num(s.anomalies - s.found, 6)}` +
        `${num(s.precision.toFixed(3), 11)}${num(s.recall.toFixed(3), 8)}${flag}`,
    );
  }
  lines.push('');
  const byCause = CAUSES.map((c) => `${c} ${e.falseAlarms.filter((f) => f.cause === c).length}`).join(', ');
  lines.push(`false alarms by cause: ${byCause}`);
  const cloneNoise = e.falseAlarms.filter((f) => f.detection.type === 'cloned_plate' && f.cause !== 'unexplained').length;
  lines.push(`cloned-plate alerts caused by duplicates, misreads or skew alone: ${cloneNoise}`);
  lines.push(`flow alerts left out as congestion side effects: ${e.secondary.length}`);
  const LIST = 25;
  for (const f of e.falseAlarms.slice(0, LIST))
    lines.push(`  false ${f.detection.type} ${f.detection.key} at ${new Date(f.detection.time).toISOString()} (${f.cause})`);
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
