import type { AnomalyTruth, AnomalyType, GroundTruth } from './generator/truth.js';
import { ANOMALY_TYPES } from './generator/truth.js';

/**
 * Scores detections against a generator's ground truth: precision and recall per anomaly type.
 * The caller maps its alerts to {@link Detection}s (which rule means which type, and which payload
 * fields make the key), so this module knows nothing of rule names or alert payloads.
 */

export interface Detection {
  readonly type: AnomalyType;
  /** Same form as the truth: `plate|plate_color`, a checkpoint id, or a segment id. */
  readonly key: string;
  /** Event time of the alert, epoch ms. */
  readonly time: number;
  /** When the alert came out, when the run dated it in event time (`vigil eval`): the feed's latest event time. */
  readonly detectedAt?: number;
  /** Checkpoints the alert's evidence came from, when known (used to explain false alarms). */
  readonly checkpoints?: readonly string[];
  /** Confidence of a clone alert: `confirmed` (high severity) or `suspected` (lower). Other types have none. */
  readonly level?: CloneLevel;
}

export type CloneLevel = 'confirmed' | 'suspected';

/** How far before an anomaly's `from` and after its `to` a detection still counts as finding it. */
export interface Tolerance {
  readonly beforeMs: number;
  readonly afterMs: number;
}

/**
 * Defaults: clones and first entries may be stamped up to two minutes off (camera skew) and fire on
 * the sighting that completes them; flow and congestion rules fire after the windows that show the
 * change, so they get the length of a few windows.
 */
export const DEFAULT_TOLERANCE: Readonly<Record<AnomalyType, Tolerance>> = {
  cloned_plate: { beforeMs: 150_000, afterMs: 10 * 60_000 },
  first_entry: { beforeMs: 150_000, afterMs: 15 * 60_000 },
  flow_surge: { beforeMs: 5 * 60_000, afterMs: 10 * 60_000 },
  flow_drop: { beforeMs: 5 * 60_000, afterMs: 10 * 60_000 },
  congestion: { beforeMs: 5 * 60_000, afterMs: 15 * 60_000 },
};

export interface TypeScore {
  readonly detections: number;
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly anomalies: number;
  readonly found: number;
  /** 1 when there were no detections (nothing claimed, nothing wrong). */
  readonly precision: number;
  /** 1 when there was nothing to find. */
  readonly recall: number;
}

/** Why a false alarm probably fired: the truth's noise names the cause, or nothing does. */
export type FalseAlarmCause = 'misread' | 'skew' | 'outage' | 'unexplained';

export interface FalseAlarm {
  readonly detection: Detection;
  readonly cause: FalseAlarmCause;
}

export interface Evaluation {
  readonly byType: Readonly<Record<AnomalyType, TypeScore>>;
  readonly falseAlarms: readonly FalseAlarm[];
  readonly missed: readonly AnomalyTruth[];
  /**
   * Flow alerts at the cameras of a congested segment or of the roads it feeds, during the jam or
   * within 30 minutes after it: a jam really does cut the flow past them and releases a burst when it
   * clears. They are neither true nor false alerts of a flow anomaly and are left out of the flow scores.
   */
  readonly secondary: readonly Detection[];
  /** Per anomaly found: the event time of the earliest detection that found it. */
  readonly detectedAt: ReadonlyMap<AnomalyTruth, number>;
}

/** How long after a jam clears its released queue may still show as a flow change. */
const JAM_AFTERMATH_MS = 30 * 60_000;

export function evaluate(detections: readonly Detection[], truth: GroundTruth, tolerance: Partial<Record<AnomalyType, Tolerance>> = {}): Evaluation {
  const tol = { ...DEFAULT_TOLERANCE, ...tolerance };
  const jams = truth.anomalies.filter((a) => a.type === 'congestion');
  const secondary: Detection[] = [];
  const byKey = new Map<string, AnomalyTruth[]>();
  for (const a of truth.anomalies) {
    const k = a.type + '\u0000' + a.key;
    const list = byKey.get(k);
    if (list === undefined) byKey.set(k, [a]);
    else list.push(a);
  }
  const found = new Set<AnomalyTruth>();
  const detectedAt = new Map<AnomalyTruth, number>();
  const tp = new Map<AnomalyType, number>();
  const det = new Map<AnomalyType, number>();
  const falseAlarms: FalseAlarm[] = [];
  const explain = explainer(truth);
  for (const d of detections) {
    const t = tol[d.type];
    const hit = (byKey.get(d.type + '\u0000' + d.key) ?? []).find((a) => d.time >= a.from - t.beforeMs && d.time <= a.to + t.afterMs);
    // A flow alert that finds no flow anomaly may still be a jam's side effect (checked after matching,
    // so a real flow anomaly downstream of a jam is still found).
    if (
      hit === undefined &&
      (d.type === 'flow_drop' || d.type === 'flow_surge') &&
      jams.some(
        (j) => (j.checkpoints.includes(d.key) || (j.downstream_checkpoints ?? []).includes(d.key)) && d.time >= j.from && d.time <= j.to + JAM_AFTERMATH_MS,
      )
    ) {
      secondary.push(d);
      continue;
    }
    det.set(d.type, (det.get(d.type) ?? 0) + 1);
    if (hit !== undefined) {
      found.add(hit);
      detectedAt.set(hit, Math.min(detectedAt.get(hit) ?? Infinity, d.time));
      tp.set(d.type, (tp.get(d.type) ?? 0) + 1);
    } else {
      falseAlarms.push({ detection: d, cause: explain(d) });
    }
  }
  const byType = {} as Record<AnomalyType, TypeScore>;
  for (const type of ANOMALY_TYPES) {
    const anomalies = truth.anomalies.filter((a) => a.type === type);
    const nFound = anomalies.filter((a) => found.has(a)).length;
    const detections = det.get(type) ?? 0;
    const truePositives = tp.get(type) ?? 0;
    byType[type] = {
      detections,
      truePositives,
      falsePositives: detections - truePositives,
      anomalies: anomalies.length,
      found: nFound,
      precision: detections === 0 ? 1 : truePositives / detections,
      recall: anomalies.length === 0 ? 1 : nFound / anomalies.length,
    };
  }
  return { byType, falseAlarms, missed: truth.anomalies.filter((a) => !found.has(a)), secondary, detectedAt };
}

function explainer(truth: GroundTruth): (d: Detection) => FalseAlarmCause {
  const misreadKeys = new Set<string>();
  for (const m of truth.noise.misreads) {
    misreadKeys.add(m.read_as + '|' + m.plate_color);
    misreadKeys.add(m.plate + '|' + m.plate_color);
  }
  const skewed = new Set(truth.noise.skewed_cameras.map((s) => s.checkpoint));
  const outages = truth.noise.outages;
  return (d) => {
    if ((d.type === 'cloned_plate' || d.type === 'first_entry') && misreadKeys.has(d.key)) return 'misread';
    const cps = d.checkpoints ?? (d.type === 'flow_drop' || d.type === 'flow_surge' ? [d.key] : []);
    if (outages.some((o) => cps.includes(o.checkpoint) && d.time >= o.from - 10 * 60_000 && d.time <= o.to + 30 * 60_000)) return 'outage';
    if (cps.some((c) => skewed.has(c))) return 'skew';
    return 'unexplained';
  };
}

/** The per-type table for a closing note. */
export function formatEvaluation(e: Evaluation): string {
  const rows = ANOMALY_TYPES.map((t) => {
    const s = e.byType[t];
    return `| ${t} | ${s.anomalies} | ${s.detections} | ${s.truePositives} | ${s.precision.toFixed(3)} | ${s.recall.toFixed(3)} |`;
  });
  return ['| type | anomalies | alerts | true alerts | precision | recall |', '|---|---|---|---|---|---|', ...rows].join('\n') + '\n';
}
