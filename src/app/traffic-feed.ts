import type { Clock, MetricRegistry } from '../core/index.js';
import {
  type CheckpointRegistry,
  FeedClock,
  isRejection,
  type NoteCounters,
  RECORD_NOTES,
  type RecordNote,
  RecordValidator,
  type ValidatorOptions,
} from '../traffic/index.js';
import type { RecordCheck } from './record-parser.js';

export interface TrafficFeedOptions {
  /** The records' notes become `vigil_records_noted_total{note}` counters here. */
  readonly metrics?: MetricRegistry;
  /** A live feed: records' times are judged by their arrival on this clock. Without it the feed is a replay. */
  readonly arrival?: Clock;
  /** What the source's `schema traffic { ... }` asks (a minimum plate confidence). */
  readonly validator?: Pick<ValidatorOptions, 'minPlateConfidence'>;
}

/** The traffic feed's record check and camera-clock guard, sharing one validator (one per task). */
export interface TrafficFeed {
  /** Validation: null to accept, or the dead-letter reason. */
  readonly check: RecordCheck;
  /** How far the record just accepted may move the watermark: its time, capped at the feed's reference plus slack. */
  readonly watermarkTime: (record: Record<string, unknown>, timestamp: number) => number;
  /** Records kept with a note so far (unknown or mismatched direction, clock ahead). */
  readonly notes: NoteCounters;
}

/**
 * The check of `vigil run` and `vigil serve`: schema, normalisation, known checkpoint, and camera clocks judged
 * against the feed (the arrival time live, the other cameras in a replay) rather than against the watermark alone.
 */
export function trafficFeed(registry: CheckpointRegistry, options: TrafficFeedOptions = {}): TrafficFeed {
  const { metrics, arrival } = options;
  const notes = metrics === undefined ? undefined : noteCounters(metrics);
  const validator = new RecordValidator(registry, {
    ...options.validator,
    feedClock: new FeedClock(registry.size, arrival === undefined ? {} : { arrival: () => arrival.now() }),
    ...(notes === undefined ? {} : { notes }),
  });
  return {
    check: (record, watermark) => {
      const r = validator.validate(record, watermark);
      return isRejection(r) ? `${r.code}: ${r.detail}` : null;
    },
    watermarkTime: (_record, ts) => {
      const cap = validator.watermarkCap;
      return Math.min(ts, cap);
    },
    notes: validator.notes,
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
