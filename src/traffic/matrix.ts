import { type CloneLevel, type Detection, evaluate, type Tolerance } from './evaluate.js';
import type { AnomalyTruth, AnomalyType, ClonedPlateTruth, GroundTruth } from './generator/truth.js';

/**
 * The evaluation matrix's arithmetic: per city, precision and recall per column (the alert types, with cloned
 * plates split into two levels), the delay from each anomaly's onset to its first alert in event time, and the
 * worst of every column over the cities. Pure functions over the truth and the detections; running the cities is
 * the CLI's business.
 */

export type MatrixColumn = 'clone_confirmed' | 'clone_suspected' | 'flow_surge' | 'flow_drop' | 'congestion' | 'first_entry';
export const MATRIX_COLUMNS: readonly MatrixColumn[] = ['clone_confirmed', 'clone_suspected', 'flow_surge', 'flow_drop', 'congestion', 'first_entry'];

/**
 * A clone is `confirmed`-level when its sightings hold two impossible pairs or more (a detector can corroborate
 * one switch with another), `suspected`-level when they hold one (the cars meet once) or none.
 */
export function cloneLevel(a: ClonedPlateTruth): CloneLevel {
  return a.impossible_pairs >= 2 ? 'confirmed' : 'suspected';
}

export interface ColumnScore {
  readonly alerts: number;
  readonly truePositives: number;
  readonly anomalies: number;
  readonly found: number;
  /** 1 when there were no alerts (nothing claimed, nothing wrong). */
  readonly precision: number;
  /** 1 when there was nothing to find. */
  readonly recall: number;
  /** Per anomaly found: event time of its first alert minus its onset, ms (sorted). */
  readonly delaysMs: readonly number[];
  /**
   * Per alert dated in event time: how far the feed had gone past the alert's evidence when the alert came out
   * (`detectedAt - time`: the wait for the watermark, plus the batch it came out in), ms (sorted).
   */
  readonly holdsMs: readonly number[];
}

export interface CityScore {
  readonly city: string;
  readonly columns: Readonly<Record<MatrixColumn, ColumnScore>>;
}

/**
 * When an anomaly could first be told: a clone when its first impossible pair completes, a first entry at the
 * entry sighting, a flow or congestion episode when it starts.
 */
export function onset(a: AnomalyTruth): number {
  return a.type === 'cloned_plate' ? a.provable_at : a.from;
}

function holds(detections: readonly Detection[]): number[] {
  const out: number[] = [];
  for (const d of detections) if (d.detectedAt !== undefined && Number.isFinite(d.time)) out.push(d.detectedAt - d.time);
  return out.sort((p, q) => p - q);
}

function delays(found: ReadonlyMap<AnomalyTruth, number>, keep: (a: AnomalyTruth) => boolean): number[] {
  const out: number[] = [];
  for (const [a, t] of found) if (keep(a)) out.push(t - onset(a));
  return out.sort((p, q) => p - q);
}

/**
 * Scores one city. A clone alert's level is its `level` (confirmed when it has none). A level's precision counts its
 * alerts that find any true clone (a real clone is never a false alarm, whatever its level); its recall counts the
 * clones of that level found by alerts of that level.
 */
export function scoreCity(
  city: string,
  detections: readonly Detection[],
  truth: GroundTruth,
  tolerance: Partial<Record<AnomalyType, Tolerance>> = {},
): CityScore {
  const all = evaluate(detections, truth, tolerance);
  const columns = {} as Record<MatrixColumn, ColumnScore>;
  for (const type of ['flow_surge', 'flow_drop', 'congestion', 'first_entry'] as const) {
    const s = all.byType[type];
    columns[type] = {
      alerts: s.detections,
      truePositives: s.truePositives,
      anomalies: s.anomalies,
      found: s.found,
      precision: s.precision,
      recall: s.recall,
      delaysMs: delays(all.detectedAt, (a) => a.type === type),
      holdsMs: holds(detections.filter((d) => d.type === type)),
    };
  }
  for (const level of ['confirmed', 'suspected'] as const) {
    const mine = detections.filter((d) => d.type === 'cloned_plate' && (d.level ?? 'confirmed') === level);
    const claimed = evaluate(mine, truth, tolerance).byType.cloned_plate;
    const ofLevel: GroundTruth = { ...truth, anomalies: truth.anomalies.filter((a) => a.type !== 'cloned_plate' || cloneLevel(a) === level) };
    const e = evaluate(mine, ofLevel, tolerance);
    const s = e.byType.cloned_plate;
    columns[level === 'confirmed' ? 'clone_confirmed' : 'clone_suspected'] = {
      alerts: claimed.detections,
      truePositives: claimed.truePositives,
      anomalies: s.anomalies,
      found: s.found,
      precision: claimed.precision,
      recall: s.recall,
      delaysMs: delays(e.detectedAt, (a) => a.type === 'cloned_plate'),
      holdsMs: holds(mine),
    };
  }
  return { city, columns };
}

/** Nearest-rank percentile of sorted values (NaN when there are none). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export interface ColumnWorst {
  readonly precision: number;
  readonly recall: number;
  /** The largest p50 and p99 delay over the cities (NaN when no city found any). */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** The same for the hold (evidence to alert, event time). */
  readonly holdP50Ms: number;
  readonly holdP99Ms: number;
}

/** The worst of each column over the cities: the lowest precision and recall, the highest delays. */
export function worstRow(scores: readonly CityScore[]): Record<MatrixColumn, ColumnWorst> {
  const out = {} as Record<MatrixColumn, ColumnWorst>;
  for (const c of MATRIX_COLUMNS) {
    const col = scores.map((s) => s.columns[c]);
    const maxOf = (vs: number[]): number => (vs.every((v) => Number.isNaN(v)) ? NaN : Math.max(...vs.filter((v) => !Number.isNaN(v))));
    out[c] = {
      precision: Math.min(...col.map((s) => s.precision)),
      recall: Math.min(...col.map((s) => s.recall)),
      p50Ms: maxOf(col.map((s) => percentile(s.delaysMs, 50))),
      p99Ms: maxOf(col.map((s) => percentile(s.delaysMs, 99))),
      holdP50Ms: maxOf(col.map((s) => percentile(s.holdsMs, 50))),
      holdP99Ms: maxOf(col.map((s) => percentile(s.holdsMs, 99))),
    };
  }
  return out;
}

/** True when every column of every city reaches `min` in precision and recall. */
export function matrixPasses(scores: readonly CityScore[], min: number): boolean {
  const worst = worstRow(scores);
  return MATRIX_COLUMNS.every((c) => worst[c].precision >= min && worst[c].recall >= min);
}

/** A delay for the table: seconds under two minutes, else minutes with one decimal; `-` for none. */
export function formatDelay(ms: number): string {
  if (Number.isNaN(ms)) return '-';
  const s = ms / 1000;
  return Math.abs(s) < 120 ? `${Math.round(s)}s` : `${(s / 60).toFixed(1)}m`;
}

const HEAD: Readonly<Record<MatrixColumn, string>> = {
  clone_confirmed: 'clone:confirmed',
  clone_suspected: 'clone:suspected',
  flow_surge: 'flow_surge',
  flow_drop: 'flow_drop',
  congestion: 'congestion',
  first_entry: 'first_entry',
};

/**
 * Three tables: precision/recall per city and column (`-` when no alert was raised or nothing was to be found;
 * `<` marks a cell below `min`) with the minimum row; the counts behind them; the delays (p50/p99) with the
 * maximum row.
 */
export function formatMatrix(scores: readonly CityScore[], min: number): string {
  const W = 17;
  const name = Math.max(8, ...scores.map((s) => s.city.length)) + 2;
  const fmt = (v: number): string => v.toFixed(3);
  const pr = (p: string, r: string, below: boolean): string => `${p}/${r}${below ? ' <' : ''}`.padEnd(W);
  const cell = (s: ColumnScore): string =>
    pr(s.alerts === 0 ? '-' : fmt(s.precision), s.anomalies === 0 ? '-' : fmt(s.recall), s.precision < min || s.recall < min);
  const head = 'city'.padEnd(name) + MATRIX_COLUMNS.map((c) => HEAD[c].padEnd(W)).join('');
  const lines = [`precision/recall ('<': below ${min})`, head];
  for (const s of scores) lines.push(s.city.padEnd(name) + MATRIX_COLUMNS.map((c) => cell(s.columns[c])).join(''));
  const worst = worstRow(scores);
  lines.push(
    'min'.padEnd(name) +
      MATRIX_COLUMNS.map((c) => pr(fmt(worst[c].precision), fmt(worst[c].recall), worst[c].precision < min || worst[c].recall < min)).join(''),
  );
  lines.push('', 'alerts/anomalies (true alerts, anomalies found)', head);
  for (const s of scores) {
    lines.push(
      s.city.padEnd(name) +
        MATRIX_COLUMNS.map((c) => {
          const x = s.columns[c];
          return `${x.alerts}/${x.anomalies} (${x.truePositives}, ${x.found})`.padEnd(W);
        }).join(''),
    );
  }
  lines.push('', 'delay from onset to first alert, event time, p50/p99', head);
  for (const s of scores) {
    lines.push(
      s.city.padEnd(name) +
        MATRIX_COLUMNS.map((c) => {
          const d = s.columns[c].delaysMs;
          return `${formatDelay(percentile(d, 50))}/${formatDelay(percentile(d, 99))}`.padEnd(W);
        }).join(''),
    );
  }
  lines.push('max'.padEnd(name) + MATRIX_COLUMNS.map((c) => `${formatDelay(worst[c].p50Ms)}/${formatDelay(worst[c].p99Ms)}`.padEnd(W)).join(''));
  if (scores.some((s) => MATRIX_COLUMNS.some((c) => s.columns[c].holdsMs.length > 0))) {
    lines.push('', "delay from the evidence's last record to the alert, event time (the wait for the watermark), p50/p99", head);
    for (const s of scores) {
      lines.push(
        s.city.padEnd(name) +
          MATRIX_COLUMNS.map((c) => {
            const d = s.columns[c].holdsMs;
            return `${formatDelay(percentile(d, 50))}/${formatDelay(percentile(d, 99))}`.padEnd(W);
          }).join(''),
      );
    }
    lines.push('max'.padEnd(name) + MATRIX_COLUMNS.map((c) => `${formatDelay(worst[c].holdP50Ms)}/${formatDelay(worst[c].holdP99Ms)}`.padEnd(W)).join(''));
  }
  return lines.map((l) => l.trimEnd()).join('\n') + '\n';
}
