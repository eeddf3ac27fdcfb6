import type { Key, Namespace } from './keyed-state.js';
import { NumberMinHeap } from './min-heap.js';

export type TimeDomain = 'event' | 'processing';

export interface Timer {
  readonly key: Key;
  readonly namespace: Namespace;
  readonly timestamp: number;
}

/**
 * The timers of one timestamp, in registration order. Timestamps are in milliseconds, so most buckets hold one
 * timer: that one lives in fields (one object per bucket), and only the rest go to arrays made on demand.
 */
class Bucket {
  /** Timers not deleted. Deleted ones stay as holes (namespace === DELETED) so order is kept. */
  live = 1;
  ns0: Namespace;
  moreKeys: Key[] | null = null;
  moreNamespaces: Namespace[] | null = null;
  /** Built once a bucket grows past SCAN_LIMIT (e.g. one window end shared by 10k keys): O(1) dedup. */
  index: Map<string, number> | null = null;

  constructor(
    readonly key0: Key,
    ns0: Namespace,
  ) {
    this.ns0 = ns0;
  }

  get length(): number {
    return this.moreKeys === null ? 1 : this.moreKeys.length + 1;
  }

  keyAt(i: number): Key {
    return i === 0 ? this.key0 : ((this.moreKeys as Key[])[i - 1] as Key);
  }

  namespaceAt(i: number): Namespace {
    return i === 0 ? this.ns0 : ((this.moreNamespaces as Namespace[])[i - 1] as Namespace);
  }

  find(key: Key, namespace: Namespace): number {
    if (this.index !== null) return this.index.get(timerId(key, namespace)) ?? -1;
    const n = this.length;
    for (let i = 0; i < n; i++) if (this.keyAt(i) === key && this.namespaceAt(i) === namespace) return i;
    return -1;
  }

  /** Adds a timer after the first. */
  add(key: Key, namespace: Namespace): void {
    const i = this.length;
    if (this.moreKeys === null) {
      this.moreKeys = [];
      this.moreNamespaces = [];
    }
    this.moreKeys.push(key);
    (this.moreNamespaces as Namespace[]).push(namespace);
    this.live++;
    if (this.index !== null) this.index.set(timerId(key, namespace), i);
    else if (i + 1 > SCAN_LIMIT) {
      this.index = new Map();
      for (let j = 0; j <= i; j++) {
        const ns = this.namespaceAt(j);
        if (ns !== DELETED) this.index.set(timerId(this.keyAt(j), ns), j);
      }
    }
  }

  remove(i: number): void {
    this.index?.delete(timerId(this.keyAt(i), this.namespaceAt(i)));
    if (i === 0) this.ns0 = DELETED;
    else (this.moreNamespaces as Namespace[])[i - 1] = DELETED;
    this.live--;
  }
}

const SCAN_LIMIT = 8;
/** Marks a deleted timer's slot; never a real namespace. */
const DELETED: Namespace = '\u0000deleted';

/**
 * Timers of one time domain: at most one per (key, namespace, timestamp), fired in timestamp order and,
 * within one timestamp, in registration order (deterministic replays).
 * A heap holds each distinct timestamp once; a bucket per timestamp holds its timers.
 */
export class TimerQueue {
  private readonly heap = new NumberMinHeap();
  private readonly buckets = new Map<number, Bucket>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Registers a timer; returns false when the same timer already exists. */
  register(key: Key, namespace: Namespace, timestamp: number): boolean {
    const bucket = this.buckets.get(timestamp);
    if (bucket === undefined) {
      this.buckets.set(timestamp, new Bucket(key, namespace));
      this.heap.push(timestamp);
    } else if (bucket.find(key, namespace) >= 0) {
      return false;
    } else bucket.add(key, namespace);
    this.count++;
    return true;
  }

  delete(key: Key, namespace: Namespace, timestamp: number): boolean {
    const bucket = this.buckets.get(timestamp);
    if (bucket === undefined) return false;
    const i = bucket.find(key, namespace);
    if (i < 0) return false;
    bucket.remove(i);
    this.count--;
    // An emptied bucket stays in the heap until popped; peekTimestamp skips it.
    return true;
  }

  /** The earliest pending timestamp, or undefined. */
  peekTimestamp(): number | undefined {
    for (;;) {
      const ts = this.heap.peek();
      if (ts === undefined) return undefined;
      const bucket = this.buckets.get(ts);
      if (bucket !== undefined && bucket.live > 0) return ts;
      this.heap.pop();
      this.buckets.delete(ts);
    }
  }

  /**
   * Removes the timers of the earliest timestamp if it is <= `upTo` and calls `fire` for each, in registration
   * order; returns false when nothing was due. Callers loop, so timers registered while firing (at or below
   * `upTo`) fire in the same advance.
   */
  fireNext(upTo: number, fire: (key: Key, namespace: Namespace, timestamp: number) => void): boolean {
    const ts = this.peekTimestamp();
    if (ts === undefined || ts > upTo) return false;
    this.heap.pop();
    const bucket = this.buckets.get(ts) as Bucket;
    this.buckets.delete(ts);
    this.count -= bucket.live;
    if (bucket.ns0 !== DELETED) fire(bucket.key0, bucket.ns0, ts);
    const keys = bucket.moreKeys;
    if (keys !== null) {
      const nss = bucket.moreNamespaces as Namespace[];
      for (let i = 0; i < keys.length; i++) {
        const ns = nss[i] as Namespace;
        if (ns !== DELETED) fire(keys[i] as Key, ns, ts);
      }
    }
    return true;
  }

  /** All timers, in firing order: for snapshots. */
  all(): Timer[] {
    const out: Timer[] = [];
    const stamps = [...this.buckets.keys()].sort((a, b) => a - b);
    for (const ts of stamps) {
      const b = this.buckets.get(ts) as Bucket;
      for (let i = 0; i < b.length; i++) {
        const ns = b.namespaceAt(i);
        if (ns !== DELETED) out.push({ key: b.keyAt(i), namespace: ns, timestamp: ts });
      }
    }
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

  // The firing callback is made once; target and domain are set per advance, so advancing allocates nothing.
  private firingTarget: TimerTarget | null = null;
  private firingDomain: TimeDomain = 'event';
  private readonly fireOne = (key: Key, namespace: Namespace, timestamp: number): void => {
    this.setCurrentKey(key);
    (this.firingTarget as TimerTarget).onTimer(this.firingDomain, key, namespace, timestamp);
  };

  private fire(queue: TimerQueue, domain: TimeDomain, upTo: number, target: TimerTarget): void {
    const ts = queue.peekTimestamp();
    if (ts === undefined || ts > upTo) return;
    const outerTarget = this.firingTarget;
    const outerDomain = this.firingDomain;
    this.firingTarget = target;
    this.firingDomain = domain;
    while (queue.fireNext(upTo, this.fireOne));
    this.firingTarget = outerTarget;
    this.firingDomain = outerDomain;
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
