import type { Clock } from './clock.js';
import { MAX_WATERMARK, MIN_WATERMARK } from './time.js';

export interface WatermarkStrategy {
  /** Bounded out-of-orderness in ms: watermark = max event time seen - bound - 1, as Flink. */
  readonly outOfOrdernessMs: number;
  /** After this much processing time without a record, a partition stops holding the watermark back. */
  readonly idleTimeoutMs?: number;
  /**
   * The time a record lets its partition's watermark reach, when that is not simply its event time (Flink's
   * WatermarkGenerator sees every event too): a source that cannot vouch for a record's clock returns less, down to
   * MIN_WATERMARK (not at all). The record itself still goes through at its event time.
   */
  readonly watermarkTime?: (record: unknown, timestamp: number) => number;
  /**
   * Partitions with their own bound and idle timeout (a source that multiplexes several inputs, each with its
   * declared watermark); the others take the two above.
   */
  readonly perPartition?: (partition: number) => { readonly outOfOrdernessMs: number; readonly idleTimeoutMs?: number } | undefined;
  /**
   * The bound in effect now, for a source that measures its own disorder (the traffic feed, once it corrects camera
   * clocks): each partition holds min(its declared bound, this). Read whenever the watermark is recomputed.
   */
  readonly currentBound?: () => number;
  /** What such a source has learned (camera clocks, measured disorder): kept in checkpoints with the watermarks. */
  readonly state?: WatermarkState;
}

/** A watermark strategy's own state, as plain JSON. */
export interface WatermarkState {
  snapshot(): unknown;
  restore(state: unknown): void;
}

/** Watermark bookkeeping of one input partition. */
interface PartitionClock {
  maxTimestamp: number;
  /** Highest explicit watermark seen (`{"$watermark": ms}` control records). */
  explicit: number;
  lastActivity: number;
  idle: boolean;
  finished: boolean;
  readonly bound: number;
  readonly idleTimeout: number;
}

export interface WatermarkTrackerSnapshot {
  readonly partitions: ReadonlyArray<readonly [partition: number, maxTimestamp: number, explicit: number, finished: boolean]>;
  readonly current: number;
  /** The strategy's own state (WatermarkStrategy.state), when it keeps any. */
  readonly strategy?: unknown;
}

/**
 * Generates per-partition watermarks and combines them by minimum over the active partitions.
 * The combined watermark never goes backwards, even when a partition becomes active again.
 */
export class WatermarkTracker {
  private readonly partitions = new Map<number, PartitionClock>();
  /** The same clocks as an array: the per-record minimum scans it without an iterator. */
  private clocks: PartitionClock[] = [];
  private current = MIN_WATERMARK;
  private readonly bound: number;
  private readonly idleTimeout: number;
  private readonly currentBound: (() => number) | null;

  constructor(
    private readonly strategy: WatermarkStrategy,
    private readonly clock: Clock,
  ) {
    if (!(strategy.outOfOrdernessMs >= 0)) throw new RangeError('out-of-orderness must be >= 0 ms');
    this.bound = strategy.outOfOrdernessMs;
    this.idleTimeout = strategy.idleTimeoutMs ?? Number.POSITIVE_INFINITY;
    this.currentBound = strategy.currentBound ?? null;
  }

  private newClock(partition: number, maxTimestamp: number, explicit: number, finished: boolean): PartitionClock {
    const own = this.strategy.perPartition?.(partition);
    if (own !== undefined && !(own.outOfOrdernessMs >= 0)) throw new RangeError('out-of-orderness must be >= 0 ms');
    return {
      maxTimestamp,
      explicit,
      lastActivity: this.clock.now(),
      idle: false,
      finished,
      bound: own === undefined ? this.bound : own.outOfOrdernessMs,
      idleTimeout: own === undefined ? this.idleTimeout : (own.idleTimeoutMs ?? Number.POSITIVE_INFINITY),
    };
  }

  /** The out-of-orderness bound in effect now (the declared one, or less when the source measures its own). */
  get effectiveBound(): number {
    return this.currentBound === null ? this.bound : Math.min(this.bound, Math.max(0, this.currentBound()));
  }

  /** The combined watermark: no later record is expected at or below it. */
  get watermark(): number {
    return this.current;
  }

  addPartition(partition: number): void {
    if (!this.partitions.has(partition)) {
      const p = this.newClock(partition, MIN_WATERMARK, MIN_WATERMARK, false);
      this.partitions.set(partition, p);
      this.clocks.push(p);
    }
  }

  /** The partition of the last event, so the per-record path does no map lookup. */
  private lastId = -1;
  private last: PartitionClock | null = null;

  private remember(partition: number): PartitionClock {
    const p = this.partition(partition);
    this.lastId = partition;
    this.last = p;
    return p;
  }

  private partition(partition: number): PartitionClock {
    let p = this.partitions.get(partition);
    if (p === undefined) {
      this.addPartition(partition);
      p = this.partitions.get(partition) as PartitionClock;
    }
    return p;
  }

  /**
   * The partition delivered records now (called once per batch, not per record: reading the clock per record
   * costs more than the rest of the watermark logic).
   */
  markActive(partition: number): void {
    const p = this.partition(partition);
    p.lastActivity = this.clock.now();
    p.idle = false;
  }

  /** Records one event of the partition. Returns the combined watermark afterwards. */
  onEvent(partition: number, timestamp: number): number {
    const p = partition === this.lastId && this.last !== null ? this.last : this.remember(partition);
    if (timestamp <= p.maxTimestamp && !p.idle) return this.current;
    if (timestamp > p.maxTimestamp) p.maxTimestamp = timestamp;
    p.idle = false;
    return this.recompute();
  }

  /** An explicit watermark for one partition (control record); it only ever moves forward. */
  onExplicitWatermark(partition: number, watermark: number): number {
    const p = this.partition(partition);
    if (watermark > p.explicit) p.explicit = watermark;
    p.lastActivity = this.clock.now();
    p.idle = false;
    return this.recompute();
  }

  /** A bounded partition reached its end: it no longer holds the watermark back. */
  onPartitionEnd(partition: number): number {
    this.partition(partition).finished = true;
    return this.recompute();
  }

  /** Marks partitions idle whose last record is older than the idle timeout; returns the combined watermark. */
  checkIdle(): number {
    if (this.idleTimeout === Number.POSITIVE_INFINITY && this.strategy.perPartition === undefined) return this.current;
    const now = this.clock.now();
    for (const p of this.partitions.values()) {
      if (!p.idle && !p.finished && now - p.lastActivity >= p.idleTimeout) p.idle = true;
    }
    return this.recompute();
  }

  private partitionWatermark(p: PartitionClock): number {
    if (p.finished) return MAX_WATERMARK;
    const bound = this.currentBound === null ? p.bound : Math.min(p.bound, Math.max(0, this.currentBound()));
    const generated = p.maxTimestamp === MIN_WATERMARK ? MIN_WATERMARK : p.maxTimestamp - bound - 1;
    return Math.max(generated, p.explicit);
  }

  private recompute(): number {
    let min = MAX_WATERMARK;
    let active = 0;
    const clocks = this.clocks;
    for (let i = 0; i < clocks.length; i++) {
      const p = clocks[i] as PartitionClock;
      if (p.idle) continue;
      active++;
      const wm = this.partitionWatermark(p);
      if (wm < min) min = wm;
    }
    // With every partition idle nothing is known about what comes next: hold, as Flink does.
    if (active > 0 && min > this.current) this.current = min;
    return this.current;
  }

  snapshot(): WatermarkTrackerSnapshot {
    const partitions: Array<readonly [number, number, number, boolean]> = [];
    for (const [id, p] of this.partitions) partitions.push([id, p.maxTimestamp, p.explicit, p.finished]);
    const state = this.strategy.state;
    return state === undefined ? { partitions, current: this.current } : { partitions, current: this.current, strategy: state.snapshot() };
  }

  restore(snapshot: WatermarkTrackerSnapshot): void {
    this.partitions.clear();
    this.last = null;
    this.clocks = [];
    for (const [id, maxTimestamp, explicit, finished] of snapshot.partitions) {
      const p = this.newClock(id, maxTimestamp, explicit, finished);
      this.partitions.set(id, p);
      this.clocks.push(p);
    }
    this.current = snapshot.current;
    if (snapshot.strategy !== undefined) this.strategy.state?.restore(snapshot.strategy);
  }
}
