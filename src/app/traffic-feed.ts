import type { Clock, MetricRegistry, WatermarkState } from '../core/index.js';
import {
  CameraClocks,
  type CameraClocksSnapshot,
  type CheckpointRegistry,
  FeedClock,
  FeedDisorder,
  type FeedDisorderSnapshot,
  isRejection,
  type NoteCounters,
  RECORD_NOTES,
  type RecordNote,
  RecordValidator,
} from '../traffic/index.js';
import type { RecordCheck } from './record-parser.js';
import type { TrafficSchemaOptions } from './sources.js';

export interface TrafficFeedOptions {
  /** The records' notes become `vigil_records_noted_total{note}` counters here. */
  readonly metrics?: MetricRegistry;
  /** A live feed: records' times are judged by their arrival on this clock. Without it the feed is a replay. */
  readonly arrival?: Clock;
  /** What the source's `schema traffic { ... }` asks (a minimum plate confidence, camera clock correction). */
  readonly validator?: TrafficSchemaOptions;
}

/** The traffic feed's record check and camera-clock guard, sharing one validator (one per task). */
export interface TrafficFeed {
  /** Validation: null to accept, or the dead-letter reason. */
  readonly check: RecordCheck;
  /** How far the record just accepted may move the watermark: its time, capped at the feed's reference plus slack. */
  readonly watermarkTime: (record: Record<string, unknown>, timestamp: number) => number;
  /** Records kept with a note so far (unknown or mismatched direction, clock ahead). */
  readonly notes: NoteCounters;
  /**
   * With clock correction: the out-of-orderness bound the corrected feed needs now (+Infinity until measured: the
   * declared bound holds), and the cameras' clocks and the measured disorder, for checkpoints.
   */
  readonly bound?: () => number;
  readonly state?: WatermarkState;
  /** With clock correction: the offset learned for each camera (ms, by registry index), for reports and tests. */
  readonly offsets?: () => Float64Array;
}

interface CorrectionSnapshot {
  readonly clocks: CameraClocksSnapshot;
  readonly disorder: FeedDisorderSnapshot;
}

/**
 * The check of `vigil run` and `vigil serve`: schema, normalisation, known checkpoint, and camera clocks judged
 * against the feed (the arrival time live, the other cameras in a replay) rather than against the watermark alone.
 */
export function trafficFeed(registry: CheckpointRegistry, options: TrafficFeedOptions = {}): TrafficFeed {
  const { metrics, arrival } = options;
  const notes = metrics === undefined ? undefined : noteCounters(metrics);
  const { minPlateConfidence, correctClocks } = options.validator ?? {};
  const clocks = correctClocks === true ? new CameraClocks(registry.size) : undefined;
  const validator = new RecordValidator(registry, {
    ...(minPlateConfidence === undefined ? {} : { minPlateConfidence }),
    feedClock: new FeedClock(registry.size, arrival === undefined ? {} : { arrival: () => arrival.now() }),
    ...(notes === undefined ? {} : { notes }),
    ...(clocks === undefined ? {} : { cameraClocks: clocks }),
  });
  const check: RecordCheck = (record, watermark) => {
    const r = validator.validate(record, watermark);
    return isRejection(r) ? `${r.code}: ${r.detail}` : null;
  };
  if (clocks === undefined) {
    return {
      check,
      watermarkTime: (_record, ts) => {
        const cap = validator.watermarkCap;
        return Math.min(ts, cap);
      },
      notes: validator.notes,
    };
  }
  const disorder = new FeedDisorder(registry.size);
  return {
    check,
    // A camera whose clock is not known (yet), or no longer agrees with what was learned, moves no watermark: with
    // a hold of seconds, one fast clock would otherwise make every other camera's records late.
    watermarkTime: (_record, ts) => {
      const t = validator.trusted ? Math.min(ts, validator.watermarkCap) : Number.NEGATIVE_INFINITY;
      disorder.observe(validator.camera, ts, t);
      return t;
    },
    notes: validator.notes,
    bound: () => disorder.boundMs,
    state: {
      snapshot: (): CorrectionSnapshot => ({ clocks: clocks.snapshot(), disorder: disorder.snapshot() }),
      restore: (state) => {
        const s = state as CorrectionSnapshot;
        clocks.restore(s.clocks);
        disorder.restore(s.disorder);
      },
    },
    offsets: () => Float64Array.from({ length: registry.size }, (_, i) => clocks.offset(i)),
  };
}

function noteCounters(metrics: MetricRegistry): NoteCounters {
  const out = {} as Record<RecordNote, { value: number }>;
  for (const note of RECORD_NOTES) out[note] = metrics.counter('vigil_records_noted_total', { note });
  return out;
}

/** The notes that were counted, for a run's summary. */
export function countedNotes(notes: NoteCounters): ReadonlyArray<readonly [RecordNote, number]> {
  return RECORD_NOTES.filter((n) => notes[n].value > 0).map((n) => [n, notes[n].value] as const);
}
