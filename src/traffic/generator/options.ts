import type { CityOptions } from './city.js';
import type { AnomalyType } from './truth.js';

/** Rates of the dirt that real ANPR feeds carry. Rates are per capture unless said otherwise. */
export interface NoiseOptions {
  /** One plate character read as a look-alike. */
  readonly misreadRate: number;
  /** The same vehicle captured again by the neighbouring lane within ~1.5 s. */
  readonly laneDuplicateRate: number;
  /** The same vehicle captured by the next camera of its segment within a few seconds. */
  readonly adjacentDuplicateRate: number;
  /** Plate not read at all (`unknown`, `无牌`, `未识别`, empty). */
  readonly unreadableRate: number;
  /** Plate written untidily (lower case, a space, full-width digits): the same vehicle once normalised. */
  readonly formatVariantRate: number;
  /** Share of cameras whose clock is off by 10 s .. maxSkewMs (either way). */
  readonly skewedCameraShare: number;
  readonly maxSkewMs: number;
  /** Camera outages per 24 h; the camera holds its records and flushes them when it comes back. */
  readonly outagesPerDay: number;
  /** Exact number of outages (overrides outagesPerDay). */
  readonly outages?: number;
  readonly outageMinMinutes: number;
  readonly outageMaxMinutes: number;
  /**
   * True (the default): outages hit inner cameras only and never hold an anomaly's records. False: entry cameras
   * go down too, and a clone's or a newcomer's sightings wait in the backlog like any other (a first entry may then
   * arrive hours late). Cameras of flow and congestion episodes are spared either way, so their truth stays exact.
   */
  readonly outagesSpareAnomalies: boolean;
}

export const DEFAULT_NOISE: NoiseOptions = {
  misreadRate: 0.002,
  laneDuplicateRate: 0.008,
  adjacentDuplicateRate: 0.004,
  unreadableRate: 0.006,
  formatVariantRate: 0.003,
  skewedCameraShare: 0.06,
  maxSkewMs: 120_000,
  outagesPerDay: 4,
  outageMinMinutes: 60,
  outageMaxMinutes: 180,
  outagesSpareAnomalies: true,
};

/**
 * Dirt levels for `vigil generate --dirt` and the evaluation matrix: `none` (a clean feed), `light` (1% misreads,
 * a few skewed clocks, no outages), `reference` (the defaults above) and `heavy` (5% misreads, twice the
 * duplicates, one camera in eight off by up to two minutes, two outages of 1-3 hours that may hold an entry
 * camera's or an anomaly's records).
 */
export type DirtLevel = 'none' | 'light' | 'reference' | 'heavy';
export const DIRT_LEVELS: Readonly<Record<DirtLevel, Partial<NoiseOptions>>> = {
  none: { misreadRate: 0, laneDuplicateRate: 0, adjacentDuplicateRate: 0, unreadableRate: 0, formatVariantRate: 0, skewedCameraShare: 0, outagesPerDay: 0 },
  light: { misreadRate: 0.01, skewedCameraShare: 0.03, maxSkewMs: 60_000, outagesPerDay: 0 },
  reference: {},
  heavy: {
    misreadRate: 0.05,
    laneDuplicateRate: 0.016,
    adjacentDuplicateRate: 0.008,
    unreadableRate: 0.01,
    formatVariantRate: 0.01,
    skewedCameraShare: 0.12,
    maxSkewMs: 120_000,
    outages: 2,
    outageMinMinutes: 60,
    outageMaxMinutes: 180,
    outagesSpareAnomalies: false,
  },
};

/** How hard the anomalies are to see. Ranges are [lo, hi], drawn uniformly. */
export interface AnomalyShape {
  /**
   * Share of clones whose two cars "meet once": the real car's trip ends, then within a minute (as the cameras'
   * clocks stamp it) the clone is seen far away, so the plate's sightings hold exactly one impossible pair.
   */
  readonly meetOnceShare: number;
  /** Flow multiplier of a surge (at least 10 more passes a minute than the baseline, whatever the factor). */
  readonly surgeFactor: readonly [number, number];
  readonly surgeMinutes: readonly [number, number];
  readonly dropMinutes: readonly [number, number];
  readonly jamMinutes: readonly [number, number];
  /** Fewest cameras a jammed segment has: 1 allows jams on one-camera segments. */
  readonly jamMinCameras: number;
}

export const DEFAULT_ANOMALY_SHAPE: AnomalyShape = {
  meetOnceShare: 0,
  // Surges of 4-6x: well clear of the steepest rush-hour ramp (~1.8x against the previous half hour).
  surgeFactor: [4, 6],
  surgeMinutes: [5, 12],
  dropMinutes: [5, 12],
  jamMinutes: [10, 30],
  jamMinCameras: 2,
};

/** Anomalies per 24 h of generated traffic (at least one of each when anomalies are on). */
export const DEFAULT_ANOMALIES_PER_DAY: Readonly<Record<AnomalyType, number>> = {
  cloned_plate: 30,
  flow_surge: 10,
  flow_drop: 10,
  congestion: 12,
  first_entry: 50,
};

/**
 * Anomaly difficulty for `vigil generate --difficulty` and the matrix: `standard` (the defaults above) or `hard`
 * (half the clones meet once, surges of 2-3x for 5-6 minutes, drops of 5-8 minutes, jams of 4-8 minutes, also on
 * one-camera segments).
 */
export type AnomalyDifficulty = 'standard' | 'hard';
export const ANOMALY_DIFFICULTIES: Readonly<Record<AnomalyDifficulty, Partial<AnomalyShape>>> = {
  standard: {},
  hard: { meetOnceShare: 0.5, surgeFactor: [2, 3], surgeMinutes: [5, 6], dropMinutes: [5, 8], jamMinutes: [4, 8], jamMinCameras: 1 },
};

export interface GeneratorOptions {
  readonly seed: string | number;
  /** Epoch ms of the first record. */
  readonly start: number;
  readonly minutes: number;
  /** Multiplies the city-wide rate (1 = a mid-size city, peak ~500 records/s). */
  readonly scale?: number;
  readonly anomalies?: boolean;
  /** Exact anomaly counts for this run, overriding the per-day defaults. */
  readonly anomalyCounts?: Partial<Record<AnomalyType, number>>;
  readonly noise?: Partial<NoiseOptions>;
  readonly anomalyShape?: Partial<AnomalyShape>;
  /** Which city: layout, cameras per segment, registry fields, direction vocabulary. Default: the reference city. */
  readonly city?: CityOptions;
  /**
   * Minutes at the start of the run with no anomaly (default 0): a detector that compares against the last half
   * hour has nothing to compare with before then.
   */
  readonly quietMinutes?: number;
  /** Minutes simulated before `start` and not emitted, so the run starts with traffic already on the roads. */
  readonly prerollMinutes?: number;
}
