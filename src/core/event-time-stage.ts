import type { BatchStage } from './graph.js';
import { SortedRuns } from './sorted-runs.js';
import { MIN_WATERMARK } from './time.js';

interface Held {
  readonly ts: number;
  readonly seq: number;
  readonly value: unknown;
}

const WATERMARK: unique symbol = Symbol('watermark');

/** Records held for the watermark, for checkpoints: [event time, record], in release order. */
export type HeldRecords = ReadonlyArray<readonly [number, unknown]>;

/**
 * Runs a batch stage (asynchronous lookups such as first_seen) on records in event-time order, as the watermark
 * passes them: "source -> watermark -> (enrich)". Records wait in a heap ordered by (event time, arrival); when the
 * watermark advances they are released in that order, then the watermark follows. A record that arrives behind the
 * watermark is already late and is released at once. So a lookup sees every earlier record of the bounded disorder
 * before it, and `first_seen` answers by event time, not by arrival.
 *
 * The release plan is computed record by record while a batch is parsed (the per-record watermark semantics are
 * kept exactly), and the stage then runs once for everything the batch released: one round trip per batch.
 */
export class EventTimeStage {
  /** Sorted runs, not one heap: the stage holds the whole disorder bound (minutes of records), which arrives as a few
   *  dozen interleaved ordered streams (cameras and their clock skews). */
  private readonly held = new SortedRuns<Held>((a, b) => a.ts < b.ts || (a.ts === b.ts && a.seq < b.seq));
  private seq = 0;
  /** The watermark as of the records planned so far (ahead of what operators saw until the plan is replayed). */
  private plannedWatermark = MIN_WATERMARK;
  private planValues: unknown[] = [];
  private planStamps: number[] = [];
  private planRecords: unknown[] = [];
  private planRecordStamps: number[] = [];

  constructor(private readonly stage: BatchStage<unknown>) {}

  get watermark(): number {
    return this.plannedWatermark;
  }

  /** Adds a parsed record with its event time. */
  add(value: unknown, ts: number): void {
    if (ts <= this.plannedWatermark) this.plan(value, ts);
    else this.held.push({ ts, seq: this.seq++, value });
  }

  /** The source watermark moved to `wm`: release what it passed, then the watermark itself. */
  advance(wm: number): void {
    if (wm <= this.plannedWatermark) return;
    for (let top = this.held.peek(); top !== undefined && top.ts <= wm; top = this.held.peek()) {
      this.held.pop();
      this.plan(top.value, top.ts);
    }
    this.planValues.push(WATERMARK);
    this.planStamps.push(wm);
    this.plannedWatermark = wm;
  }

  private plan(value: unknown, ts: number): void {
    this.planValues.push(value);
    this.planStamps.push(ts);
    this.planRecords.push(value);
    this.planRecordStamps.push(ts);
  }

  /** Runs the stage on the records released so far, then replays records and watermarks in plan order. */
  async flush(emit: (value: unknown, ts: number) => void, advance: (wm: number) => void): Promise<void> {
    if (this.planValues.length === 0) return;
    const values = this.planValues;
    const stamps = this.planStamps;
    const records = this.planRecords;
    const recordStamps = this.planRecordStamps;
    this.planValues = [];
    this.planStamps = [];
    this.planRecords = [];
    this.planRecordStamps = [];
    if (records.length > 0) await this.stage.process(records, recordStamps);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v === WATERMARK) advance(stamps[i] as number);
      else emit(v, stamps[i] as number);
    }
  }

  /** Records still held, in release order. Call between batches (after flush). */
  snapshot(): HeldRecords {
    return this.held
      .toArray()
      .sort((a, b) => a.ts - b.ts || a.seq - b.seq)
      .map((h) => [h.ts, h.value] as const);
  }

  restore(held: HeldRecords, watermark: number): void {
    this.held.clear();
    this.seq = 0;
    for (const [ts, value] of held) this.held.push({ ts, seq: this.seq++, value });
    this.plannedWatermark = watermark;
    this.planValues = [];
    this.planStamps = [];
    this.planRecords = [];
    this.planRecordStamps = [];
  }
}
