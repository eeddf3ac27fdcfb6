import { MAX_PLATE_LENGTH, hasControlChar, isUnreadablePlate, normalizePlate } from './plate.js';
import type { Direction, PlateColor, TrafficRecord } from './record.js';
import { UNREADABLE_PLATE } from './record.js';
import type { CheckpointRegistry } from './registry.js';
import { parseIsoTimestamp } from './timestamp.js';

/** Stable reason codes for dead-lettered records; `detail` says which field or value. */
export type RejectionCode =
  | 'not_object'
  | 'missing_field'
  | 'bad_type'
  | 'unknown_checkpoint'
  | 'bad_plate'
  | 'bad_plate_color'
  | 'bad_ts'
  | 'future_ts'
  | 'bad_speed'
  | 'bad_lane'
  | 'bad_direction'
  | 'direction_mismatch'
  | 'bad_confidence';

/** Why a record was refused. A class so callers tell it from a record with `instanceof` (records may have any field). */
export class Rejection {
  constructor(
    readonly code: RejectionCode,
    readonly detail: string,
  ) {}
  toJSON(): { code: RejectionCode; detail: string } {
    return { code: this.code, detail: this.detail };
  }
}

export function isRejection(x: TrafficRecord | Rejection): x is Rejection {
  return x instanceof Rejection;
}

export interface ValidatorOptions {
  /** Highest plausible speed, km/h (default 300). */
  readonly maxSpeedKmh?: number;
  /** A record more than this far ahead of the current watermark is refused as `future_ts` (default 1 h). */
  readonly maxFutureMs?: number;
  /** Plausible event-time range regardless of the watermark (default 2000-01-01 .. 2100-01-01). */
  readonly minTs?: number;
  readonly maxTs?: number;
  /** A plate read with a `plate_confidence` below this (0..100) is not readable: it keys no plate rule. */
  readonly minPlateConfidence?: number;
}

/** Chinese colour names some feeds send, mapped to the canonical ones. */
const COLOR_ALIASES: Readonly<Record<string, PlateColor>> = {
  blue: 'blue', yellow: 'yellow', green: 'green', white: 'white', black: 'black',
  yellow_green: 'yellow_green', 'yellow-green': 'yellow_green', unknown: 'unknown',
  蓝: 'blue', 蓝色: 'blue', 黄: 'yellow', 黄色: 'yellow', 绿: 'green', 绿色: 'green', 渐变绿: 'green',
  白: 'white', 白色: 'white', 黑: 'black', 黑色: 'black', 黄绿: 'yellow_green', 黄绿色: 'yellow_green', 未知: 'unknown',
};

function normalizeColor(raw: string): PlateColor | undefined {
  // Fast path: canonical names, as nearly every record carries. The literal is returned, not the parsed copy: one
  // shared string instead of one per record (records live for minutes in windows and partial matches).
  switch (raw) {
    case 'blue': return 'blue';
    case 'yellow': return 'yellow';
    case 'green': return 'green';
    case 'white': return 'white';
    case 'black': return 'black';
    case 'yellow_green': return 'yellow_green';
    case 'unknown': return 'unknown';
  }
  const direct = COLOR_ALIASES[raw];
  if (direct !== undefined) return direct;
  return COLOR_ALIASES[raw.trim().toLowerCase()];
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/**
 * Validates and normalises traffic records. Runs once per record, so it normalises the parsed
 * object in place (the pipeline owns it), builds no intermediate objects, and allocates only
 * for a rejection or a plate that needs rewriting. Never throws.
 */
export class RecordValidator {
  private readonly maxSpeed: number;
  private readonly maxFutureMs: number;
  private readonly minTs: number;
  private readonly maxTs: number;
  private readonly minConfidence: number;

  constructor(
    private readonly registry: CheckpointRegistry,
    options: ValidatorOptions = {},
  ) {
    this.maxSpeed = options.maxSpeedKmh ?? 300;
    this.maxFutureMs = options.maxFutureMs ?? 3_600_000;
    this.minTs = options.minTs ?? Date.UTC(2000, 0, 1);
    this.maxTs = options.maxTs ?? Date.UTC(2100, 0, 1);
    this.minConfidence = options.minPlateConfidence ?? 0;
  }

  /**
   * Returns the same object, normalised and typed, or a {@link Rejection}.
   * `watermark` (epoch ms) bounds how far in the future an event time may be.
   */
  validate(raw: unknown, watermark = -Infinity): TrafficRecord | Rejection {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return new Rejection('not_object', typeName(raw));
    const r = raw as Record<string, unknown>;

    const id = r['id'];
    if (typeof id !== 'string' || id.length === 0) return missingOrBad('id', id);

    const cpId = r['checkpoint'];
    if (typeof cpId !== 'string') return missingOrBad('checkpoint', cpId);
    const cp = this.registry.get(cpId);
    if (cp === undefined) return new Rejection('unknown_checkpoint', cpId);

    const plateIn = r['plate'];
    if (typeof plateIn !== 'string') {
      if (plateIn !== undefined && plateIn !== null) return new Rejection('bad_type', 'plate: ' + typeName(plateIn));
    }
    const colorIn = r['plate_color'];
    if (typeof colorIn !== 'string') return missingOrBad('plate_color', colorIn);
    const color = normalizeColor(colorIn);
    if (color === undefined) return new Rejection('bad_plate_color', colorIn);

    let ts = r['ts'];
    if (typeof ts === 'string') {
      const parsed = parseIsoTimestamp(ts);
      if (parsed !== parsed) return new Rejection('bad_ts', ts.length > 40 ? ts.slice(0, 40) : ts);
      ts = parsed;
    } else if (typeof ts !== 'number') {
      return missingOrBad('ts', ts);
    } else if (!Number.isFinite(ts)) {
      return new Rejection('bad_ts', String(ts));
    }
    const tsMs = Math.floor(ts as number);
    if (tsMs < this.minTs || tsMs > this.maxTs) return new Rejection('bad_ts', 'out of range: ' + tsMs);
    if (tsMs - this.maxFutureMs > watermark && watermark !== -Infinity) return new Rejection('future_ts', tsMs + ' > watermark ' + watermark);

    const speed = r['speed'];
    if (typeof speed !== 'number') return missingOrBad('speed', speed);
    if (!(speed >= 0 && speed <= this.maxSpeed)) return new Rejection('bad_speed', String(speed));

    const lane = r['lane'];
    if (lane !== undefined && lane !== null) {
      if (typeof lane !== 'number') return new Rejection('bad_type', 'lane: ' + typeName(lane));
      const lanes = cp.lanes ?? 16;
      if (!Number.isInteger(lane) || lane < 1 || lane > lanes) return new Rejection('bad_lane', lane + ' (1..' + lanes + ')');
    }

    let direction = r['direction'];
    if (direction !== undefined && direction !== null) {
      if (typeof direction !== 'string') return new Rejection('bad_type', 'direction: ' + typeName(direction));
      if (direction === 'in') direction = 'in'; // the shared literal, not the parsed copy
      else if (direction === 'out') direction = 'out';
      else {
        const lower = direction.trim().toLowerCase();
        if (lower !== 'in' && lower !== 'out') return new Rejection('bad_direction', direction);
        direction = lower === 'in' ? 'in' : 'out';
      }
      const expected = cp.direction;
      if ((expected === 'in' || expected === 'out') && direction !== expected)
        return new Rejection('direction_mismatch', `${direction as Direction} at ${cpId} (watches ${expected})`);
    }

    const vt = r['vehicle_type'];
    if (vt !== undefined && vt !== null && typeof vt !== 'string') return new Rejection('bad_type', 'vehicle_type: ' + typeName(vt));

    const confidence = r['plate_confidence'];
    if (confidence !== undefined && confidence !== null) {
      if (typeof confidence !== 'number') return new Rejection('bad_type', 'plate_confidence: ' + typeName(confidence));
      if (!(confidence >= 0 && confidence <= 100)) return new Rejection('bad_confidence', String(confidence) + ' (0..100)');
    }

    let plate = typeof plateIn === 'string' ? normalizePlate(plateIn) : '';
    const readable = !isUnreadablePlate(plate);
    // A doubtful reading keeps its text (evidence for a person) but may not key a vehicle.
    const trusted = typeof confidence !== 'number' || confidence >= this.minConfidence;
    if (readable) {
      if (plate.length > MAX_PLATE_LENGTH || hasControlChar(plate)) return new Rejection('bad_plate', plate.slice(0, 20));
    } else {
      plate = UNREADABLE_PLATE;
    }

    // Everything is checked: normalise in place, always writing the same fields in the same order.
    // The registry's own id string replaces the parsed copy: hashed once, so every map keyed by checkpoint downstream
    // (windows, lookups) finds it without hashing a fresh string per record.
    r['checkpoint'] = cp.id;
    r['plate'] = plate;
    r['plate_color'] = color;
    r['plate_readable'] = readable && trusted;
    r['ts'] = tsMs;
    if (direction !== undefined && direction !== null) r['direction'] = direction;
    return r as TrafficRecord;
  }
}

function missingOrBad(field: string, v: unknown): Rejection {
  return v === undefined || v === null ? new Rejection('missing_field', field) : new Rejection('bad_type', field + ': ' + typeName(v));
}
