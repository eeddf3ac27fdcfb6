import { NumberMinHeap } from './min-heap.js';
import type { Key, Namespace } from './keyed-state.js';

export type TimeDomain = 'event' | 'processing';

export interface Timer {
  readonly key: Key;
  readonly namespace: Namespace;
  readonly timestamp: number;
}

/**
 * Timers of one time domain: at most one per (key, namespace, timestamp), fired in timestamp order and,
 * within one timestamp, in registration order (deterministic replays).
 * A heap holds each distinct timestamp once; a bucket per timestamp holds its timers.
 */
export class TimerQueue {
  private readonly heap = new NumberMinHeap();
  private readonly buckets = new Map<number, Map<string, Timer>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Registers a timer; returns false when the same timer already exists. */
  register(key: Key, namespace: Namespace, timestamp: number): boolean {
    let bucket = this.buckets.get(timestamp);
    if (bucket === undefined) {
      bucket = new Map();
      this.buckets.set(timestamp, bucket);
      this.heap.push(timestamp);
    }
    const id = timerId(key, namespace);
    if (bucket.has(id)) return false;
    bucket.set(id, { key, namespace, timestamp });
    this.count++;
    return true;
  }

  delete(key: Key, namespace: Namespace, timestamp: number): boolean {
    const bucket = this.buckets.get(timestamp);
    if (bucket === undefined || !bucket.delete(timerId(key, namespace))) return false;
    this.count--;
    // An emptied bucket stays in the heap until popped; firing skips it.
    return true;
  }

  /** The earliest pending timestamp, or undefined. */
  peekTimestamp(): number | undefined {
    for (;;) {
      const ts = this.heap.peek();
      if (ts === undefined) return undefined;
      const bucket = this.buckets.get(ts);
      if (bucket !== undefined && bucket.size > 0) return ts;
      this.heap.pop();
      this.buckets.delete(ts);
    }
  }

  /**
   * Removes and returns the timers of the earliest timestamp if it is <= `upTo`, else undefined.
   * Callers loop, so timers registered while firing (at or below `upTo`) fire in the same advance.
   */
  pollUpTo(upTo: number): Iterable<Timer> | undefined {
    const ts = this.peekTimestamp();
    if (ts === undefined || ts > upTo) return undefined;
    this.heap.pop();
    const bucket = this.buckets.get(ts) as Map<string, Timer>;
    this.buckets.delete(ts);
    this.count -= bucket.size;
    return bucket.values();
  }

  /** All timers, in firing order: for snapshots. */
  all(): Timer[] {
    const out: Timer[] = [];
    const stamps = [...this.buckets.keys()].sort((a, b) => a - b);
    for (const ts of stamps) for (const t of (this.buckets.get(ts) as Map<string, Timer>).values()) out.push(t);
    return out;
  }

  clear(): void {
    this.heap.clear();
    this.buckets.clear();
    this.count = 0;
  }
}

function timerId(key: Key, namespace: Namespace): string {
  return `${typeof key === 'number' ? '#' : ''}${key}\u0000${namespace}`;
}

export type TimerRow = readonly [Key, Namespace, number];
export interface TimerSnapshot {
  readonly event: readonly TimerRow[];
  readonly processing: readonly TimerRow[];
}

/** What fires timers: the keyed operator that registered them. The service sets the current key before calling. */
export interface TimerTarget {
  onTimer(domain: TimeDomain, key: Key, namespace: Namespace, timestamp: number): void;
}

/** Event-time and processing-time timers of one keyed operator. */
export class TimerService {
  readonly eventTimers = new TimerQueue();
  readonly processingTimers = new TimerQueue();
  private watermark = Number.NEGATIVE_INFINITY;

  constructor(private readonly setCurrentKey: (key: Key) => void) {}

  get currentWatermark(): number {
    return this.watermark;
  }

  registerEventTimer(key: Key, namespace: Namespace, timestamp: number): void {
    this.eventTimers.register(key, namespace, timestamp);
  }

  deleteEventTimer(key: Key, namespace: Namespace, timestamp: number): void {
    this.eventTimers.delete(key, namespace, timestamp);
  }

  registerProcessingTimer(key: Key, namespace: Namespace, timestamp: number): void {
    this.processingTimers.register(key, namespace, timestamp);
  }

  deleteProcessingTimer(key: Key, namespace: Namespace, timestamp: number): void {
    this.processingTimers.delete(key, namespace, timestamp);
  }

  /** Moves event time to `watermark` and fires every event-time timer at or below it, in order. */
  advanceWatermark(watermark: number, target: TimerTarget): void {
    if (watermark <= this.watermark) return;
    this.watermark = watermark;
    this.fire(this.eventTimers, 'event', watermark, target);
  }

  advanceProcessingTime(now: number, target: TimerTarget): void {
    this.fire(this.processingTimers, 'processing', now, target);
  }

  private fire(queue: TimerQueue, domain: TimeDomain, upTo: number, target: TimerTarget): void {
    for (let batch = queue.pollUpTo(upTo); batch !== undefined; batch = queue.pollUpTo(upTo)) {
      for (const t of batch) {
        this.setCurrentKey(t.key);
        target.onTimer(domain, t.key, t.namespace, t.timestamp);
      }
    }
  }

  snapshot(): TimerSnapshot {
    const rows = (q: TimerQueue): TimerRow[] => q.all().map((t) => [t.key, t.namespace, t.timestamp] as const);
    return { event: rows(this.eventTimers), processing: rows(this.processingTimers) };
  }

  restore(snapshot: TimerSnapshot, watermark: number): void {
    this.eventTimers.clear();
    this.processingTimers.clear();
    for (const [k, ns, ts] of snapshot.event) this.eventTimers.register(k, ns, ts);
    for (const [k, ns, ts] of snapshot.processing) this.processingTimers.register(k, ns, ts);
    this.watermark = watermark;
  }
}
