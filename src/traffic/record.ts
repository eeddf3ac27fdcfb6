/**
 * The traffic record: one camera capture (DESIGN.md "Data model").
 * A validated record has `ts` as epoch ms, a normalised `plate` and `plate_color`,
 * and `plate_readable` telling plate-keyed rules whether the plate may key them.
 */
export interface TrafficRecord {
  id: string;
  /** Normalised plate: half-width, no spaces or separators, upper case; `unknown` when unreadable. */
  plate: string;
  plate_color: PlateColor;
  /** False for `unknown`, `无牌`, `未识别`, empty or all-zero plates: counted in flows, never a plate key. */
  plate_readable: boolean;
  checkpoint: string;
  /** Event time, epoch milliseconds: the camera's stamp, less its clock offset when the source corrects clocks. */
  ts: number;
  /** The camera's own stamp, present when it was corrected (`schema traffic { correct_clocks: true }`). */
  camera_ts?: number;
  /** km/h as measured by the camera. */
  speed: number;
  lane?: number;
  /** `in` or `out` when the feed used a known word for it (inbound, 进城...); any other word as the feed gave it. */
  direction?: Direction | (string & {});
  vehicle_type?: string;
  /** The camera's confidence in its plate reading, 0..100; below the source's minimum the plate keys nothing. */
  plate_confidence?: number;
  /** Extra fields from the feed are kept as they came. */
  [extra: string]: unknown;
}

/** The normalised directions: towards the centre or away from it. */
export type Direction = 'in' | 'out';

/**
 * Field types of a validated record, in the pattern language's type names, for the DSL checker
 * (`sourceSchemas`). The schema is open: extra feed fields are `unknown`.
 */
export const TRAFFIC_RECORD_SCHEMA = {
  id: 'string',
  plate: 'string',
  plate_color: 'string',
  plate_readable: 'boolean',
  checkpoint: 'string',
  ts: 'timestamp',
  camera_ts: 'timestamp',
  speed: 'number',
  lane: 'number',
  direction: 'string',
  vehicle_type: 'string',
  plate_confidence: 'number',
} as const satisfies Readonly<Record<string, 'string' | 'number' | 'boolean' | 'timestamp'>>;

/** The name sources give the traffic schema: `source passes ... schema traffic`. */
export const TRAFFIC_SCHEMA_NAME = 'traffic';

/**
 * The traffic record's finite-valued fields (the checkpoint registry and the validator's enumerations): keys on
 * them cannot grow without bound, which the pattern linter needs to know.
 */
export const TRAFFIC_BOUNDED_FIELDS: ReadonlySet<string> = new Set(['checkpoint', 'lane', 'direction', 'vehicle_type', 'plate_color', 'plate_readable']);

/**
 * Options of `schema traffic { ... }`: `min_plate_confidence` (0..100), below which a reading's plate is not
 * readable (it keys no plate rule; the record still counts in flows); `correct_clocks`: learn each camera's clock
 * offset from the feed, correct `ts` (the stamp kept as `camera_ts`), and hold records only as long as the
 * corrected feed's measured disorder needs, at most the declared `watermark` bound.
 */
export const TRAFFIC_SCHEMA_OPTIONS = { min_plate_confidence: 'number', correct_clocks: 'boolean' } as const satisfies Readonly<
  Record<string, 'number' | 'boolean'>
>;

/** Plate colours of Chinese registrations; `unknown` is allowed for unreadable captures. */
export const PLATE_COLORS = ['blue', 'yellow', 'green', 'white', 'black', 'yellow_green', 'unknown'] as const;
export type PlateColor = (typeof PLATE_COLORS)[number];

/** The canonical plate text of an unreadable capture. */
export const UNREADABLE_PLATE = 'unknown';

/**
 * A vehicle is its plate and its plate colour together: the same number with another colour
 * is another registration. Null for unreadable plates, so no caller can key a plate rule on them.
 */
export function vehicleKey(record: Pick<TrafficRecord, 'plate' | 'plate_color' | 'plate_readable'>): string | null {
  return record.plate_readable ? record.plate + '|' + record.plate_color : null;
}

/** Inverse of {@link vehicleKey}. */
export function parseVehicleKey(key: string): { plate: string; plate_color: string } | null {
  const bar = key.lastIndexOf('|');
  if (bar <= 0 || bar === key.length - 1) return null;
  return { plate: key.slice(0, bar), plate_color: key.slice(bar + 1) };
}
