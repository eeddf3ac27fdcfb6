/**
 * The ground-truth file written next to generated traffic. Times are epoch ms. For point-like
 * anomalies (clones, first entries) `from`/`to` span the event times of the records involved, as a
 * detector sees them (camera skew included); for flow and congestion episodes they are the physical
 * interval. Noise is listed so an evaluator can check that no alert is caused by noise alone.
 */

export type AnomalyType = 'cloned_plate' | 'flow_surge' | 'flow_drop' | 'congestion' | 'first_entry';

export const ANOMALY_TYPES: readonly AnomalyType[] = ['cloned_plate', 'flow_surge', 'flow_drop', 'congestion', 'first_entry'];

/**
 * When two consecutive sightings of one plate are impossible for one car: at least `minKm` apart, and faster than
 * `maxKmh` even when the time between them is widened by `clockErrorMs` (camera clocks are off by up to two minutes).
 */
export const IMPOSSIBLE_PAIR = { minKm: 3, maxKmh: 150, clockErrorMs: 120_000 } as const;

interface AnomalyBase {
  readonly type: AnomalyType;
  /** `plate|colour` for vehicles (as `vehicleKey`), the checkpoint id, or the segment id. */
  readonly key: string;
  from: number;
  to: number;
}

export interface ClonedPlateTruth extends AnomalyBase {
  readonly type: 'cloned_plate';
  readonly plate: string;
  readonly plate_color: string;
  /** The first checkpoint each of the two vehicles passes. */
  readonly checkpoints: [string, string];
  /** Smallest distance between any camera of one vehicle and any of the other, km. */
  readonly min_distance_km: number;
  /** Record ids of each vehicle's captures. */
  readonly records: [string[], string[]];
  /**
   * Impossible pairs (IMPOSSIBLE_PAIR) among the plate's consecutive sightings in true-time order (as a detector that
   * corrects camera clocks sees them). One means the cars "meet once": a single switch, which no second pair
   * corroborates (a lower level of confidence).
   */
  impossible_pairs: number;
  /** True time of the later sighting of the first impossible pair: from then on the clone can be told. */
  provable_at: number;
}

export interface FlowTruth extends AnomalyBase {
  readonly type: 'flow_surge' | 'flow_drop';
  readonly checkpoint: string;
  /** Expected flow during the episode over `baseline_per_min` (e.g. 4 for a surge, 0.15 for a drop). */
  readonly factor: number;
  /** Expected passes per minute at that camera over the 20 minutes before the episode. */
  readonly baseline_per_min: number;
}

export interface CongestionTruth extends AnomalyBase {
  readonly type: 'congestion';
  readonly segment: string;
  readonly checkpoints: readonly string[];
  /**
   * Cameras downstream of the jam, measured: the vehicles it held up are at least a fifth of their traffic
   * from the jam's start until 30 minutes after its end. The jam cuts their flow and its release sends them
   * a burst, so flow alerts there during the jam or shortly after are side effects, not false alarms.
   */
  readonly downstream_checkpoints: readonly string[];
  readonly speed_kmh: number;
  readonly free_flow_kmh: number;
}

export interface FirstEntryTruth extends AnomalyBase {
  readonly type: 'first_entry';
  readonly plate: string;
  readonly plate_color: string;
  readonly checkpoint: string;
  /** True when a known vehicle has the same number with another colour (still a new registration). */
  readonly same_number_other_color: boolean;
  record: string;
}

export type AnomalyTruth = ClonedPlateTruth | FlowTruth | CongestionTruth | FirstEntryTruth;

export interface MisreadNoise {
  readonly id: string;
  readonly plate: string;
  readonly plate_color: string;
  readonly read_as: string;
  readonly checkpoint: string;
  readonly ts: number;
  /** The misread equals another known vehicle's plate+colour. */
  readonly collides: boolean;
}

export interface DuplicateNoise {
  readonly id: string;
  readonly of: string;
  readonly kind: 'lane' | 'adjacent';
  readonly checkpoint: string;
}

export interface OutageNoise {
  readonly checkpoint: string;
  readonly from: number;
  readonly to: number;
  /** Arrival time of the first flushed record; the backlog follows in a burst. */
  readonly flushed_at: number;
  records: number;
}

export interface SkewNoise {
  readonly checkpoint: string;
  readonly skew_ms: number;
}

export interface GroundTruth {
  readonly generator: {
    readonly seed: string;
    readonly start: number;
    readonly end: number;
    readonly minutes: number;
    readonly scale: number;
    readonly anomalies: boolean;
    readonly version: 1;
    /** The city's options, when not the reference city. */
    readonly city?: Readonly<Record<string, unknown>>;
  };
  readonly counts: {
    records: number;
    misreads: number;
    duplicates: number;
    unreadable: number;
    format_variants: number;
    dropped_by_flow_drop: number;
    late_backlog: number;
  };
  readonly anomalies: AnomalyTruth[];
  readonly noise: {
    readonly skewed_cameras: SkewNoise[];
    readonly outages: OutageNoise[];
    readonly misreads: MisreadNoise[];
    readonly duplicates: DuplicateNoise[];
  };
  /** Vehicles seen before this run: pre-seed a first-seen store with them. Pairs of [plate, plate_color]. */
  readonly known_vehicles: [string, string][];
}
