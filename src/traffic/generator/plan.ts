import type { Calibration } from './calibrate.js';
import type { City } from './city.js';
import type { AnomalyShape, NoiseOptions } from './options.js';
import { DEFAULT_ANOMALIES_PER_DAY } from './options.js';
import type { Rng } from './prng.js';
import { localHour, profileFraction } from './profile.js';
import type { AnomalyType } from './truth.js';

const MIN = 60_000;

export interface FlowEpisode {
  readonly type: 'flow_surge' | 'flow_drop';
  readonly cp: number;
  readonly from: number;
  readonly to: number;
  readonly factor: number;
}

export interface CongestionEpisode {
  readonly link: number;
  readonly segment: string;
  readonly from: number;
  readonly to: number;
  readonly speedKmh: number;
}

export interface AnomalyPlan {
  readonly flows: FlowEpisode[];
  readonly congestions: CongestionEpisode[];
  /** Clone episodes and start times of first-time entries; vehicles are chosen when they happen. */
  readonly clones: CloneEpisode[];
  readonly firstEntries: number[];
}

export interface CloneEpisode {
  readonly t: number;
  /** The two cars meet once: the clone appears right after the real car's trip ends. */
  readonly meetOnce: boolean;
}

export interface OutagePlan {
  readonly cp: number;
  readonly from: number;
  readonly to: number;
}

export function anomalyCounts(minutes: number, overrides: Partial<Record<AnomalyType, number>> = {}): Record<AnomalyType, number> {
  const per = (t: AnomalyType): number => overrides[t] ?? Math.max(1, Math.round((DEFAULT_ANOMALIES_PER_DAY[t] * minutes) / 1440));
  return {
    cloned_plate: per('cloned_plate'),
    flow_surge: per('flow_surge'),
    flow_drop: per('flow_drop'),
    congestion: per('congestion'),
    first_entry: per('first_entry'),
  };
}

/** A start time for an episode of `dur` ms inside [start, end), preferring busy hours when asked. */
function drawTime(rng: Rng, start: number, end: number, dur: number, busy: boolean, quietMs = 0): number {
  const lo = start + Math.max(3 * MIN, quietMs);
  const hi = Math.max(lo, end - dur - 3 * MIN);
  let t = lo + rng.next() * (hi - lo);
  if (!busy) return Math.floor(t);
  for (let tries = 0; tries < 300 && profileFraction(localHour(t)) < 0.3; tries++) t = lo + rng.next() * (hi - lo);
  return Math.floor(t);
}

function drawDuration(rng: Rng, loMin: number, hiMin: number, start: number, end: number): number {
  const room = Math.max(4 * MIN, end - start - 6 * MIN);
  return Math.min(room, Math.floor(rng.range(loMin, hiMin) * MIN));
}

/** Cameras ranked by traffic, busiest first; entry cameras excluded (they belong to first-entry). */
function busyInnerCameras(city: City, cal: Calibration): number[] {
  return city.checkpoints
    .map((cp, i) => ({ i, share: cal.cpShare[i]!, inner: cp.kind === 'inner' }))
    .filter((c) => c.inner)
    .sort((a, b) => b.share - a.share || a.i - b.i)
    .map((c) => c.i);
}

/**
 * Plans the anomalies of a run. Each flow episode has its own camera and each congestion its own
 * segment, and no camera serves two episodes, so the ground truth stays unambiguous.
 */
export function planAnomalies(
  city: City,
  cal: Calibration,
  rng: Rng,
  start: number,
  end: number,
  counts: Record<AnomalyType, number>,
  shape: AnomalyShape,
  quietMinutes = 0,
): AnomalyPlan {
  const minutes = (end - start) / MIN;
  const quiet = quietMinutes * MIN;
  const used = new Set<number>();
  const ranked = busyInnerCameras(city, cal);
  const congestions: CongestionEpisode[] = [];
  const segLinks = city.links.filter((l) => l.kind === 'grid' && l.segment !== null && l.cps.length >= shape.jamMinCameras);
  segLinks.sort((a, b) => cal.cpShare[b.cps[0]!]! - cal.cpShare[a.cps[0]!]! || a.index - b.index);
  const segPool = segLinks.slice(0, Math.max(1, Math.ceil(segLinks.length * 0.6)));
  for (let k = 0; k < counts.congestion; k++) {
    const free = segPool.filter((l) => !l.cps.some((c) => used.has(c)));
    if (free.length === 0) break;
    const link = rng.pick(free);
    link.cps.forEach((c) => {
      used.add(c);
    });
    const dur = drawDuration(rng, shape.jamMinutes[0], shape.jamMinutes[1], start, end);
    const from = drawTime(rng, start, end, dur, true, quiet);
    congestions.push({ link: link.index, segment: link.segment!, from, to: from + dur, speedKmh: Math.round(rng.range(8, 18)) });
  }
  const flows: FlowEpisode[] = [];
  const addFlow = (type: 'flow_surge' | 'flow_drop', poolShare: number): void => {
    const pool = ranked.slice(0, Math.max(1, Math.ceil(ranked.length * poolShare))).filter((c) => !used.has(c));
    if (pool.length === 0) return;
    const cp = rng.pick(pool);
    used.add(cp);
    const [lo, hi] = type === 'flow_surge' ? shape.surgeMinutes : shape.dropMinutes;
    const dur = drawDuration(rng, lo, hi, start, end);
    const from = drawTime(rng, start, end, dur, true, quiet);
    const factor = type === 'flow_surge' ? Math.round(rng.range(shape.surgeFactor[0], shape.surgeFactor[1]) * 10) / 10 : 0.15;
    flows.push({ type, cp, from, to: from + dur, factor });
  };
  for (let k = 0; k < counts.flow_surge; k++) addFlow('flow_surge', 0.5);
  for (let k = 0; k < counts.flow_drop; k++) addFlow('flow_drop', 0.3);
  const clones: CloneEpisode[] = [];
  // Every k-th clone meets once, spread evenly (no random draw: the reference plan stays as it was).
  const meetOnce = (k: number): boolean => Math.floor((k + 1) * shape.meetOnceShare) > Math.floor(k * shape.meetOnceShare);
  for (let k = 0; k < counts.cloned_plate; k++)
    clones.push({ t: drawTime(rng, start, end, Math.min(20 * MIN, (minutes * MIN) / 2), false, quiet), meetOnce: meetOnce(k) });
  const firstEntries: number[] = [];
  for (let k = 0; k < counts.first_entry; k++) firstEntries.push(drawTime(rng, start, end, 5 * MIN, false, quiet));
  clones.sort((a, b) => a.t - b.t);
  firstEntries.sort((a, b) => a - b);
  return { flows, congestions, clones, firstEntries };
}

/** Cameras with skewed clocks: constant offsets of 10 s up to `maxSkewMs`, either way. */
export function planSkew(city: City, rng: Rng, noise: NoiseOptions): Float64Array {
  const skew = new Float64Array(city.checkpoints.length);
  const n = Math.round(noise.skewedCameraShare * city.checkpoints.length);
  const order = city.checkpoints.map((_, i) => i);
  for (let k = 0; k < n && k < order.length; k++) {
    const r = k + rng.int(order.length - k);
    [order[k], order[r]] = [order[r]!, order[k]!];
    const ms = Math.round(rng.range(10_000, Math.max(10_000, noise.maxSkewMs)));
    skew[order[k]!] = rng.chance(0.5) ? ms : -ms;
  }
  return skew;
}

/**
 * Camera outages inside the run, on cameras no flow or congestion episode uses (inner ones only unless
 * `outagesSpareAnomalies` is off), each flushed before the run ends.
 * Busier cameras are likelier to be picked, so a backlog is visible even in a thin test file.
 */
export function planOutages(city: City, cal: Calibration, rng: Rng, noise: NoiseOptions, start: number, end: number, avoid: ReadonlySet<number>): OutagePlan[] {
  const minutes = (end - start) / MIN;
  const count = noise.outages ?? Math.round((noise.outagesPerDay * minutes) / 1440);
  const out: OutagePlan[] = [];
  const eligible = (kind: string): boolean => kind === 'inner' || !noise.outagesSpareAnomalies;
  const free = city.checkpoints.map((cp, i) => (eligible(cp.kind) && !avoid.has(i) ? i : -1)).filter((i) => i >= 0);
  for (let k = 0; k < count && free.length > 0; k++) {
    const dur = Math.floor(rng.range(noise.outageMinMinutes, noise.outageMaxMinutes) * MIN);
    if (dur + 10 * MIN > end - start) continue;
    const from = start + 5 * MIN + Math.floor(rng.next() * (end - start - dur - 10 * MIN));
    const cum: number[] = [];
    let total = 0;
    for (const i of free) cum.push((total += cal.cpShare[i]! + 1e-6));
    const j = rng.weighted(cum);
    const cp = free[j]!;
    free.splice(j, 1);
    out.push({ cp, from, to: from + dur });
  }
  return out;
}
