import type { CameraClocks } from './camera-clocks.js';
import { normalizeDirection } from './direction.js';
import type { FeedClock } from './feed-clock.js';
import { hasControlChar, invisibleCharIn, isUnreadablePlate, MAX_PLATE_LENGTH, normalizePlate, quotePlate } from './plate.js';
import type { PlateColor, TrafficRecord } from './record.js';
import { UNREADABLE_PLATE } from './record.js';
import type { Checkpoint, CheckpointRegistry } from './registry.js';
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
  | 'bad_confidence';

/**
 * Records kept but worth counting: a direction outside the known vocabulary (kept as given), a direction other than
 * the camera's registry direction (the record's own is kept), an event time ahead of the feed's reference time by
 * more than the camera clock slack (kept, but it moves the watermark no further than the reference plus the slack),
 * and a replay's first records, accepted before the cameras agreed on a time, that turned out further ahead of it
 * than `maxAheadMs` (they moved no watermark; they were let through because nothing could judge them yet).
 */
export type RecordNote = 'direction_unknown' | 'direction_mismatch' | 'clock_ahead' | 'future_at_start';
export const RECORD_NOTES: readonly RecordNote[] = ['direction_unknown', 'direction_mismatch', 'clock_ahead', 'future_at_start'];

/** One counter per note: plain objects, so the caller may hand in its metric counters. */
export type NoteCounters = Readonly<Record<RecordNote, { value: number }>>;

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
  /**
   * The feed's reference time (arrival time live, the cameras' consensus in a replay). With it, a record more than
   * `maxAheadMs` ahead of the reference is refused as `future_ts`, and {@link RecordValidator.watermarkCap} keeps a
   * record from moving the watermark past the reference plus `clockSlackMs`.
   */
  readonly feedClock?: FeedClock;
  /** Default 10 min. */
  readonly maxAheadMs?: number;
  /** How far ahead of the reference an honest camera clock may run (default 2 min). */
  readonly clockSlackMs?: number;
  /** Counters for the records kept with a note; the validator's own when absent. */
  readonly notes?: NoteCounters;
  /** Plausible event-time range regardless of the watermark (default 2000-01-01 .. 2100-01-01). */
  readonly minTs?: number;
  readonly maxTs?: number;
  /** A plate read with a `plate_confidence` below this (0..100) is not readable: it keys no plate rule. */
  readonly minPlateConfidence?: number;
  /**
   * Camera clock correction: an accepted record's `ts` becomes its stamp less the camera's learned offset (the stamp
   * kept as `camera_ts` when they differ), and the feed clock hears corrected times.
   */
  readonly cameraClocks?: CameraClocks;
}

/** Chinese colour names some feeds send, mapped to the canonical ones. */
const COLOR_ALIASES: Readonly<Record<string, PlateColor>> = {
  blue: 'blue',
  yellow: 'yellow',
  green: 'green',
  white: 'white',
  black: 'black',
  yellow_green: 'yellow_green',
  'yellow-green': 'yellow_green',
  unknown: 'unknown',
  蓝: 'blue',
  蓝色: 'blue',
  黄: 'yellow',
  黄色: 'yellow',
  绿: 'green',
  绿色: 'green',
  渐变绿: 'green',
  白: 'white',
  白色: 'white',
  黑: 'black',
  黑色: 'black',
  黄绿: 'yellow_green',
  黄绿色: 'yellow_green',
  未知: 'unknown',
};

function normalizeColor(raw: string): PlateColor | undefined {
  // Fast path: canonical names, as nearly every record carries. The literal is returned, not the parsed copy: one
  // shared string instead of one per record (records live for minutes in windows and partial matches).
  switch (raw) {
    case 'blue':
      return 'blue';
    case 'yellow':
      return 'yellow';
    case 'green':
      return 'green';
    case 'white':
      return 'white';
    case 'black':
      return 'black';
    case 'yellow_green':
      return 'yellow_green';
    case 'unknown':
      return 'unknown';
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
/** A plate as sent, spaces and separators included: a few times the longest normalised plate is plenty. */
const MAX_RAW_PLATE_LENGTH = 4 * MAX_PLATE_LENGTH;

export class RecordValidator {
  private readonly maxSpeed: number;
  private readonly maxFutureMs: number;
  private readonly minTs: number;
  private readonly maxTs: number;
  private readonly feedClock: FeedClock | null;
  private readonly maxAhead: number;
  private readonly slack: number;
  readonly notes: NoteCounters;
  /** Registry directions normalised once, by registry index. */
  private readonly cameraDirections: readonly ('in' | 'out' | undefined)[];
  private cap = Number.NEGATIVE_INFINITY;
  /** Event times accepted before a replay's reference existed, judged once it does (then null). */
  private unjudged: number[] | null = [];
  private readonly minConfidence: number;
  private readonly clocks: CameraClocks | null;
  private lastCamera = -1;

  constructor(
    private readonly registry: CheckpointRegistry,
    options: ValidatorOptions = {},
  ) {
    this.maxSpeed = options.maxSpeedKmh ?? 300;
    this.maxFutureMs = options.maxFutureMs ?? 3_600_000;
    this.minTs = options.minTs ?? Date.UTC(2000, 0, 1);
    this.maxTs = options.maxTs ?? Date.UTC(2100, 0, 1);
    this.feedClock = options.feedClock ?? null;
    this.maxAhead = options.maxAheadMs ?? 600_000;
    this.slack = options.clockSlackMs ?? 120_000;
    this.notes = options.notes ?? {
      direction_unknown: { value: 0 },
      direction_mismatch: { value: 0 },
      clock_ahead: { value: 0 },
      future_at_start: { value: 0 },
    };
    this.cameraDirections = registry.all().map((cp) => normalizeDirection(cp.direction));
    this.minConfidence = options.minPlateConfidence ?? 0;
    this.clocks = options.cameraClocks ?? null;
  }

  /** The registry index of the camera of the record accepted last (-1 before any). */
  get camera(): number {
    return this.lastCamera;
  }

  /**
   * Whether the record accepted last may move the watermark: always without clock correction; with it, only when
   * its camera's offset is known and its latest readings agree (an unknown clock cannot vouch for itself).
   */
  get trusted(): boolean {
    return this.clocks === null || this.clocks.trusted(this.lastCamera);
  }

  /**
   * The latest time the record accepted last may move the watermark to: its own time, capped at the feed's reference
   * plus the clock slack; -Infinity while a replay's reference is not known yet (the first cameras cannot vouch for
   * themselves). Without a feed clock, +Infinity: no cap.
   */
  get watermarkCap(): number {
    return this.cap;
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
    const cpIndex = this.registry.indexOf(cpId);
    if (cpIndex === undefined) return new Rejection('unknown_checkpoint', cpId);
    const cp = this.registry.all()[cpIndex] as Checkpoint;

    const plateIn = r['plate'];
    if (typeof plateIn !== 'string') {
      if (plateIn !== undefined && plateIn !== null) return new Rejection('bad_type', 'plate: ' + typeName(plateIn));
    } else if (plateIn.length > MAX_RAW_PLATE_LENGTH) {
      // Refused before it is normalised: a plate of megabytes would be rebuilt a character at a time.
      return new Rejection('bad_plate', `${plateIn.length} characters (at most ${MAX_RAW_PLATE_LENGTH} before spaces and separators are removed)`);
    }
    const colorIn = r['plate_color'];
    if (typeof colorIn !== 'string') return missingOrBad('plate_color', colorIn);
    const color = normalizeColor(colorIn);
    if (color === undefined) return new Rejection('bad_plate_color', colorIn);

    let ts = r['ts'];
    if (typeof ts === 'string') {
      const parsed = parseIsoTimestamp(ts);
      if (Number.isNaN(parsed)) return new Rejection('bad_ts', ts.length > 40 ? ts.slice(0, 40) : ts);
      ts = parsed;
    } else if (typeof ts !== 'number') {
      return missingOrBad('ts', ts);
    } else if (!Number.isFinite(ts)) {
      return new Rejection('bad_ts', String(ts));
    }
    const tsMs = Math.floor(ts as number);
    if (tsMs < this.minTs || tsMs > this.maxTs) return new Rejection('bad_ts', 'out of range: ' + tsMs);
    let ahead = false;
    const feed = this.feedClock;
    if (feed !== null) {
      let ref = feed.reference();
      if (!(tsMs <= ref + this.slack)) {
        feed.refresh();
        ref = feed.reference();
      }
      if (tsMs > ref + this.maxAhead) return new Rejection('future_ts', aheadDetail(tsMs, ref, feed));
      ahead = tsMs > ref + this.slack;
    }
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

    // Direction is optional and never costs a record: a known word is normalised, another kept as given and counted;
    // one against the camera's registry direction is kept (the camera may watch both carriageways) and counted.
    let direction = r['direction'];
    if (direction !== undefined && direction !== null) {
      if (typeof direction !== 'string') return new Rejection('bad_type', 'direction: ' + typeName(direction));
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
      const invisible = invisibleCharIn(plate);
      if (invisible >= 0) {
        const code = invisible.toString(16).toUpperCase().padStart(4, '0');
        return new Rejection('bad_plate', `${quotePlate(plate.slice(0, 20))}: invisible or text-direction character U+${code}`);
      }
      if (plate.length > MAX_PLATE_LENGTH || hasControlChar(plate)) return new Rejection('bad_plate', plate.slice(0, 20));
    } else {
      plate = UNREADABLE_PLATE;
    }

    if (typeof direction === 'string') {
      const known = normalizeDirection(direction);
      if (known === undefined) this.notes.direction_unknown.value++;
      else {
        direction = known;
        const expected = this.cameraDirections[cpIndex];
        if (expected !== undefined && known !== expected) this.notes.direction_mismatch.value++;
      }
    }
    // The camera's clock offset, learned from the feed, comes off its stamp; the stamp stays on the record.
    const eventTs = this.clocks === null ? tsMs : this.clocks.observe(cpIndex, tsMs);
    this.lastCamera = cpIndex;
    if (feed !== null) {
      feed.observe(cpIndex, eventTs);
      const ref = feed.reference();
      if (!Number.isNaN(ref)) {
        this.cap = ref + this.slack;
        if (this.unjudged !== null) this.judgeStart(ref);
      } else {
        this.cap = Number.NEGATIVE_INFINITY;
        this.unjudged?.push(tsMs);
      }
      if (ahead) this.notes.clock_ahead.value++;
    } else this.cap = Number.POSITIVE_INFINITY;

    // Everything is checked: normalise in place, always writing the same fields in the same order.
    // The registry's own id string replaces the parsed copy: hashed once, so every map keyed by checkpoint downstream
    // (windows, lookups) finds it without hashing a fresh string per record.
    r['checkpoint'] = cp.id;
    r['plate'] = plate;
    r['plate_color'] = color;
    r['plate_readable'] = readable && trusted;
    r['ts'] = eventTs;
    if (eventTs !== tsMs) r['camera_ts'] = tsMs;
    if (direction !== undefined && direction !== null) r['direction'] = direction;
    return r as TrafficRecord;
  }

  /** The replay's reference is known at last: count the first records that it shows were far ahead. */
  private judgeStart(ref: number): void {
    for (const ts of this.unjudged ?? []) if (ts > ref + this.maxAhead) this.notes.future_at_start.value++;
    this.unjudged = null;
  }
}

function aheadDetail(ts: number, ref: number, feed: FeedClock): string {
  const against = feed.live ? 'its arrival time' : `the time ${feed.quorumSize} of ${feed.cameras} cameras have reached`;
  return `${new Date(ts).toISOString()} is ${duration(ts - ref)} ahead of ${against} ${new Date(ref).toISOString()}`;
}

/** 90061000 -> "1d 1h 1m 1s": for messages only. */
function duration(ms: number): string {
  let s = Math.round(ms / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (s >= size) {
      parts.push(Math.floor(s / size) + unit);
      s %= size;
    }
  }
  if (s > 0 || parts.length === 0) parts.push(s + 's');
  return parts.join(' ');
}

function missingOrBad(field: string, v: unknown): Rejection {
  return v === undefined || v === null ? new Rejection('missing_field', field) : new Rejection('bad_type', field + ': ' + typeName(v));
}
