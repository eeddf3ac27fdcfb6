import type { BatchStage } from './graph.js';
import { MinHeap } from './min-heap.js';
import { MIN_WATERMARK } from './time.js';

/** Records held for the watermark, for checkpoints: [event time, record], in release order. */
export type HeldRecords = ReadonlyArray<readonly [number, unknown]>;

/**
 * Held records in ascending (event time, tie order, arrival) order, as columns; the front ones are taken from `head`,
 * so taking one moves nothing. Arrival numbers only grow, so appending a record that the tie order does not put
 * before the last one (at a later event time, or at the same one) keeps the order.
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
  get lastValue(): unknown {
    return this.values[this.values.length - 1];
  }
}

interface Straggler {
  readonly ts: number;
  readonly seq: number;
  readonly value: unknown;
}

/** Beyond this many runs, records that fit none wait in a plain heap: bounded work per record on any input. */
const MAX_RUNS = 64;

/**
 * Orders records of equal event time (Flink CEP's EventComparator): negative when `a` goes first. 0 leaves them in
 * arrival order.
 */
export type TieOrder = (a: unknown, b: unknown) => number;

/** Arrival order alone. */
const ARRIVAL: TieOrder = () => 0;

/**
 * Runs a batch stage (asynchronous lookups such as first_seen) on records in event-time order, as the watermark
 * passes them: "source -> watermark -> (enrich)". Records are held ordered by event time, records of equal event
 * time by the tie order (the job's: record ids) and then by arrival; when the watermark advances they are released
 * in that order, then the watermark follows. With a tie order, what the stage and the operators after it see does
 * not depend on how records of one millisecond interleaved on arrival (a duplicate capture by two lanes, say). A record that arrives behind the
 * watermark is already late and is released at once. So a lookup sees every earlier record of the bounded disorder
 * before it, and `first_seen` answers by event time, not by arrival.
 *
 * The stage holds the whole disorder bound (minutes of records), which arrives as a few dozen interleaved ordered
 * streams (cameras and their clock skews): records are kept in sorted runs (patience sorting: a record joins the run
 * whose last record is the latest not after it), released through a binary heap of the runs' first records.
 * Both cost O(log runs) per record, not O(log held). The runs are columns (event times, arrival numbers, records)
 * compared by event time first: no object per held record, and the tie order is called only on equal event times.
 *
 * The release plan is computed record by record while a batch is parsed (the per-record watermark semantics are
 * kept exactly), and the stage then runs once for everything the batch released: one round trip per batch.
 */
export class EventTimeStage {
  /** Live runs by last record, ascending. */
  private readonly byLast: Run[] = [];
  /** Live runs as a binary heap by first record. */
  private readonly heap: MinHeap<Run>;
  private readonly stragglers: MinHeap<Straggler>;
  private seq = 0;
  /** The watermark as of the records planned so far (ahead of what operators saw until the plan is replayed). */
  private plannedWatermark = MIN_WATERMARK;
  /** Released records in release order, and the watermarks between them: watermark k goes before record wmAt[k]. */
  private planRecords: unknown[] = [];
  private planStamps: number[] = [];
  private wmAt: number[] = [];
  private wmValues: number[] = [];

  /** The tie order is called only for records of equal event time: in-order records never reach it. */
  constructor(
    private readonly stage: BatchStage<unknown>,
    private readonly tie: TieOrder = ARRIVAL,
  ) {
    this.heap = new MinHeap<Run>((a, b) =>
      this.before(a.ts[a.head] as number, a.seq[a.head] as number, a.values[a.head], b.ts[b.head] as number, b.seq[b.head] as number, b.values[b.head]),
    );
    this.stragglers = new MinHeap<Straggler>((a, b) => this.before(a.ts, a.seq, a.value, b.ts, b.seq, b.value));
  }

  /** True when record (ts, seq, value) goes before (ots, oseq, other). */
  private before(ts: number, seq: number, value: unknown, ots: number, oseq: number, other: unknown): boolean {
    if (ts !== ots) return ts < ots;
    const c = this.tie(value, other);
    return c < 0 || (c === 0 && seq < oseq);
  }

  /** True when a record at `ts` may follow the run's last record (it is not before it). */
  private fits(run: Run, ts: number, value: unknown): boolean {
    const last = run.lastTs;
    return last < ts || (last === ts && this.tie(value, run.lastValue) >= 0);
  }

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
    // Fast path: at or after the latest run's end, as an in-order camera's records are. (The tie order is asked only
    // at an equal event time; a later arrival never goes before an earlier one of its tie rank.)
    if (hi > 0 && this.fits(runs[hi - 1] as Run, ts, value)) lo = hi;
    else {
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.fits(runs[mid] as Run, ts, value)) lo = mid + 1;
        else hi = mid;
      }
    }
    // runs[lo - 1] ends at or before the record and runs[lo] after it: appending keeps byLast ascending.
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
      if (
        straggler !== undefined &&
        (run === undefined ||
          this.before(straggler.ts, straggler.seq, straggler.value, run.ts[run.head] as number, run.seq[run.head] as number, run.values[run.head]))
      ) {
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
    return all.sort((a, b) => a.ts - b.ts || this.tie(a.value, b.value) || a.seq - b.seq).map((h) => [h.ts, h.value] as const);
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
