/**
 * The recent records of selected streams, each in a bounded ring in memory, numbered in arrival order so a reader
 * can ask for what came after the last number it saw, or follow a stream live. What /api/streams and the dashboard
 * read; a ring forgets its oldest records once full, so memory stays bounded however long the job runs.
 */
import type { Sink } from '../../core/index.js';
import type { Rec } from '../../dsl/index.js';

/** Records a ring keeps by default: about 100 minutes of a per-minute stream over 200 cameras. */
export const DEFAULT_STREAM_BUFFER = 20_000;

export interface StreamEntry {
  /** 1, 2, ... per stream, in arrival order. */
  readonly seq: number;
  /** The record's event time (a window result's: its window end). */
  readonly time: number;
  readonly record: Rec;
}

export interface StreamInfo {
  readonly name: string;
  /** Records in the ring now. */
  readonly kept: number;
  /** Records the stream produced since the start. */
  readonly total: number;
  readonly capacity: number;
  /** seq of the newest record; 0 before the first. */
  readonly last: number;
}

export interface StreamSlice {
  readonly entries: readonly StreamEntry[];
  /** The newest seq returned (or `since` when none): the next call's `since`. */
  readonly last: number;
  /** Records after `since` left out: forgotten by the ring, or beyond `limit` (the reader fell behind). */
  readonly missed: number;
}

/** The read side the HTTP server is given. */
export interface StreamFeed {
  list(): readonly StreamInfo[];
  has(name: string): boolean;
  /** Entries with seq > since, oldest first, at most `limit` (the newest ones when more are kept). */
  since(name: string, since: number, limit: number): StreamSlice;
  /** Calls onEntry for every record appended from now on; returns the unsubscribe. */
  follow(name: string, onEntry: (entry: StreamEntry) => void): () => void;
}

class Ring {
  private readonly items: (StreamEntry | undefined)[];
  private next = 0;
  total = 0;
  readonly listeners = new Set<(entry: StreamEntry) => void>();

  constructor(readonly capacity: number) {
    this.items = new Array<StreamEntry | undefined>(capacity);
  }

  push(record: Rec, time: number): void {
    const entry: StreamEntry = { seq: ++this.total, time, record };
    this.items[this.next] = entry;
    this.next = (this.next + 1) % this.capacity;
    for (const listener of this.listeners) listener(entry);
  }

  get kept(): number {
    return Math.min(this.total, this.capacity);
  }

  /** The entry with this seq, when still kept. */
  at(seq: number): StreamEntry | undefined {
    if (seq < 1 || seq > this.total || seq <= this.total - this.capacity) return undefined;
    return this.items[(seq - 1) % this.capacity];
  }
}

export class StreamRings implements StreamFeed {
  private readonly rings = new Map<string, Ring>();

  constructor(names: Iterable<string>, capacity = DEFAULT_STREAM_BUFFER) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`a stream buffer holds at least one record, got ${capacity}`);
    for (const name of names) this.rings.set(name, new Ring(capacity));
  }

  /** The sink a job writes one stream's records into. */
  sink(name: string): Sink<Rec> {
    const ring = this.ring(name);
    return { write: (record, timestamp) => ring.push(record, timestamp) };
  }

  names(): string[] {
    return [...this.rings.keys()];
  }

  list(): StreamInfo[] {
    return [...this.rings].map(([name, r]) => ({ name, kept: r.kept, total: r.total, capacity: r.capacity, last: r.total }));
  }

  has(name: string): boolean {
    return this.rings.has(name);
  }

  since(name: string, since: number, limit: number): StreamSlice {
    const ring = this.ring(name);
    const oldestKept = ring.total - ring.kept + 1;
    const from = Math.max(since + 1, oldestKept, ring.total - limit + 1);
    const entries: StreamEntry[] = [];
    for (let seq = from; seq <= ring.total; seq++) entries.push(ring.at(seq) as StreamEntry);
    const missed = Math.max(0, Math.min(from, ring.total + 1) - (since + 1));
    return { entries, last: entries.length === 0 ? Math.max(since, 0) : ring.total, missed };
  }

  follow(name: string, onEntry: (entry: StreamEntry) => void): () => void {
    const ring = this.ring(name);
    ring.listeners.add(onEntry);
    return () => ring.listeners.delete(onEntry);
  }

  private ring(name: string): Ring {
    const ring = this.rings.get(name);
    if (ring === undefined) throw new RangeError(`no such stream kept: ${name}`);
    return ring;
  }
}
