import type { BatchStage } from './graph.js';
import { MinHeap } from './min-heap.js';
import { MIN_WATERMARK } from './time.js';

/** Records held for the watermark, for checkpoints: [event time, record], in release order. */
export type HeldRecords = ReadonlyArray<readonly [number, unknown]>;

/**
 * Held records in ascending (event time, arrival) order, as columns; the front ones are taken from `head`, so taking
 * one moves nothing. Arrival numbers only grow, so appending a record at or after the last event time keeps the order.
 */
class Run {
  ts: number[];
  seq: number[];
  values: unknown[];
  head = 0;
  constructor(ts: number, seq: number, value: unknown) {
    this.ts = [ts];
    this.seq = [seq];
    this.values = [value];
  }
  get lastTs(): number {
    return this.ts[this.ts.length - 1] as number;
  }
}

interface Straggler {
  readonly ts: number;
  readonly seq: number;
  readonly value: unknown;
}

/** Beyond this many runs, records that fit none wait in a plain heap: bounded work per record on any input. */
const MAX_RUNS = 64;

/** True when run a's first record comes before run b's. */
function headBefore(a: Run, b: Run): boolean {
  const at = a.ts[a.head] as number;
  const bt = b.ts[b.head] as number;
  return at < bt || (at === bt && (a.seq[a.head] as number) < (b.seq[b.head] as number));
}

/**
 * Runs a batch stage (asynchronous lookups such as first_seen) on records in event-time order, as the watermark
 * passes them: "source -> watermark -> (enrich)". Records are held ordered by (event time, arrival); when the
 * watermark advances they are released in that order, then the watermark follows. A record that arrives behind the
 * watermark is already late and is released at once. So a lookup sees every earlier record of the bounded disorder
 * before it, and `first_seen` answers by event time, not by arrival.
 *
 * The stage holds the whole disorder bound (minutes of records), which arrives as a few dozen interleaved ordered
 * streams (cameras and their clock skews): records are kept in sorted runs (patience sorting: a record joins the run
 * whose last event time is the latest not after its own), released through a binary heap of the runs' first records.
 * Both cost O(log runs) per record, not O(log held). The runs are columns (event times, arrival numbers, records)
 * compared inline: no object per held record and no comparator call, as a generic SortedRuns would need.
 *
 * The release plan is computed record by record while a batch is parsed (the per-record watermark semantics are
 * kept exactly), and the stage then runs once for everything the batch released: one round trip per batch.
 */
export class EventTimeStage {
  /** Live runs by last event time, ascending. */
  private readonly byLast: Run[] = [];
  /** Live runs as a binary heap by first record. */
  private readonly heap = new MinHeap<Run>(headBefore);
  private readonly stragglers = new MinHeap<Straggler>((a, b) => a.ts < b.ts || (a.ts === b.ts && a.seq < b.seq));
  private seq = 0;
  /** The watermark as of the records planned so far (ahead of what operators saw until the plan is replayed). */
  private plannedWatermark = MIN_WATERMARK;
  /** Released records in release order, and the watermarks between them: watermark k goes before record wmAt[k]. */
  private planRecords: unknown[] = [];
  private planStamps: number[] = [];
  private wmAt: number[] = [];
  private wmValues: number[] = [];

  constructor(private readonly stage: BatchStage<unknown>) {}

  get watermark(): number {
    return this.plannedWatermark;
  }

  /** Adds a parsed record with its event time. */
  add(value: unknown, ts: number): void {
    if (ts <= this.plannedWatermark) this.plan(value, ts);
    else this.hold(ts, this.seq++, value);
  }

  private hold(ts: number, seq: number, value: unknown): void {
    const runs = this.byLast;
    let lo = 0;
    let hi = runs.length;
    // Fast path: at or after the latest run's end, as an in-order camera's records are.
    if (hi > 0 && (runs[hi - 1] as Run).lastTs <= ts) lo = hi;
    else {
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (ts < (runs[mid] as Run).lastTs) hi = mid;
        else lo = mid + 1;
      }
    }
    // runs[lo - 1] ends at or before ts and runs[lo] after it: appending keeps byLast ascending.
    if (lo > 0) {
      const run = runs[lo - 1] as Run;
      run.ts.push(ts);
      run.seq.push(seq);
      run.values.push(value);
    } else if (runs.length >= MAX_RUNS) this.stragglers.push({ ts, seq, value });
    else {
      const run = new Run(ts, seq, value);
      runs.unshift(run);
      this.heap.push(run);
    }
  }

  /** The source watermark moved to `wm`: release what it passed, then the watermark itself. */
  advance(wm: number): void {
    if (wm <= this.plannedWatermark) return;
    const heap = this.heap;
    for (;;) {
      const run = heap.peek();
      const straggler = this.stragglers.peek();
      if (straggler !== undefined && (run === undefined || straggler.ts < (run.ts[run.head] as number) || (straggler.ts === run.ts[run.head] && straggler.seq < (run.seq[run.head] as number)))) {
        if (straggler.ts > wm) break;
        this.stragglers.pop();
        this.plan(straggler.value, straggler.ts);
        continue;
      }
      if (run === undefined) break;
      const ts = run.ts[run.head] as number;
      if (ts > wm) break;
      const value = run.values[run.head];
      run.values[run.head] = undefined; // let it go
      run.head++;
      this.plan(value, ts);
      if (run.head === run.ts.length) this.dropTop(run);
      else {
        if (run.head >= 1024 && run.head * 2 >= run.ts.length) compact(run);
        heap.topChanged();
      }
    }
    this.wmAt.push(this.planRecords.length);
    this.wmValues.push(wm);
    this.plannedWatermark = wm;
  }

  private plan(value: unknown, ts: number): void {
    this.planRecords.push(value);
    this.planStamps.push(ts);
  }

  /** Runs the stage on the records released so far, then replays records and watermarks in plan order. */
  async flush(emit: (value: unknown, ts: number) => void, advance: (wm: number) => void): Promise<void> {
    if (this.planRecords.length === 0 && this.wmAt.length === 0) return;
    const records = this.planRecords;
    const stamps = this.planStamps;
    const wmAt = this.wmAt;
    const wmValues = this.wmValues;
    this.planRecords = [];
    this.planStamps = [];
    this.wmAt = [];
    this.wmValues = [];
    if (records.length > 0) await this.stage.process(records, stamps);
    let w = 0;
    for (let i = 0; i < records.length; i++) {
      for (; w < wmAt.length && wmAt[w] === i; w++) advance(wmValues[w] as number);
      emit(records[i], stamps[i] as number);
    }
    for (; w < wmAt.length; w++) advance(wmValues[w] as number);
  }

  /** Records still held, in release order. Call between batches (after flush). */
  snapshot(): HeldRecords {
    const all: Straggler[] = this.stragglers.toArray();
    for (const run of this.byLast) {
      for (let i = run.head; i < run.ts.length; i++) all.push({ ts: run.ts[i] as number, seq: run.seq[i] as number, value: run.values[i] });
    }
    return all.sort((a, b) => a.ts - b.ts || a.seq - b.seq).map((h) => [h.ts, h.value] as const);
  }

  restore(held: HeldRecords, watermark: number): void {
    this.byLast.length = 0;
    this.heap.clear();
    this.stragglers.clear();
    this.seq = 0;
    for (const [ts, value] of held) this.hold(ts, this.seq++, value);
    this.plannedWatermark = watermark;
    this.planRecords = [];
    this.planStamps = [];
    this.wmAt = [];
    this.wmValues = [];
  }

  /** Removes the emptied run at the top of the heap. */
  private dropTop(run: Run): void {
    this.heap.pop();
    const runs = this.byLast;
    runs.splice(runs.lastIndexOf(run), 1);
  }
}

/** Drops a run's taken entries. slice copies a packed array in one block; copyWithin goes element by element. */
function compact(run: Run): void {
  const h = run.head;
  run.ts = run.ts.slice(h);
  run.seq = run.seq.slice(h);
  run.values = run.values.slice(h);
  run.head = 0;
}
