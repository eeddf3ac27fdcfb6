import { MinHeap } from './min-heap.js';

/** Entries in ascending order; the front ones are taken from `head`, so taking one moves nothing. */
class Run<T> {
  items: (T | undefined)[];
  head = 0;
  constructor(first: T) {
    this.items = [first];
  }
  get first(): T {
    return this.items[this.head] as T;
  }
  get last(): T {
    return this.items[this.items.length - 1] as T;
  }
}

/** Beyond this many runs, entries that fit none wait in a plain heap: bounded work per push on any input. */
const MAX_RUNS = 64;

/**
 * A min-queue for input made of a few interleaved ordered streams (cameras with their own clock skew, records
 * coming sorted out of a stage or a window). A push appends to the run whose last entry is the latest one not after
 * it (patience sorting), so every run stays sorted; a pop takes the earliest run head through a small heap of runs.
 * With k live runs both cost O(log k) instead of O(log n) over every entry held, and appends stay cache-friendly.
 * The order is exactly a heap's over the same comparator.
 */
export class SortedRuns<T> {
  /** Live runs, by last entry ascending. */
  private readonly byLast: Run<T>[] = [];
  /** Live runs, by first entry. */
  private readonly byFirst: MinHeap<Run<T>>;
  private readonly stragglers: MinHeap<T>;
  private count = 0;

  constructor(private readonly before: (a: T, b: T) => boolean) {
    this.byFirst = new MinHeap<Run<T>>((a, b) => before(a.first, b.first));
    this.stragglers = new MinHeap<T>(before);
  }

  get size(): number {
    return this.count;
  }

  push(value: T): void {
    this.count++;
    const runs = this.byLast;
    let lo = 0;
    let hi = runs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.before(value, (runs[mid] as Run<T>).last)) hi = mid;
      else lo = mid + 1;
    }
    // runs[lo - 1] ends at or before value and runs[lo] after it: appending keeps byLast ascending.
    if (lo > 0) (runs[lo - 1] as Run<T>).items.push(value);
    else if (runs.length >= MAX_RUNS) this.stragglers.push(value);
    else {
      const run = new Run(value);
      runs.unshift(run);
      this.byFirst.push(run);
    }
  }

  peek(): T | undefined {
    const run = this.byFirst.peek();
    const straggler = this.stragglers.peek();
    if (run === undefined) return straggler;
    if (straggler !== undefined && this.before(straggler, run.first)) return straggler;
    return run.first;
  }

  pop(): T | undefined {
    const run = this.byFirst.peek();
    const straggler = this.stragglers.peek();
    if (run === undefined || (straggler !== undefined && this.before(straggler, run.first))) {
      if (straggler !== undefined) this.count--;
      return this.stragglers.pop();
    }
    this.count--;
    const items = run.items;
    const value = items[run.head] as T;
    items[run.head++] = undefined; // let it go
    if (run.head === items.length) {
      this.byFirst.pop();
      this.byLast.splice(this.byLast.indexOf(run), 1);
      return value;
    }
    if (run.head >= 1024 && run.head * 2 >= items.length) {
      // slice copies a packed array in one block; copyWithin goes element by element.
      run.items = items.slice(run.head);
      run.head = 0;
    }
    this.byFirst.topChanged();
    return value;
  }

  /** Every entry, in no particular order (snapshots sort them). */
  toArray(): T[] {
    const out = this.stragglers.toArray();
    for (const run of this.byLast) for (let i = run.head; i < run.items.length; i++) out.push(run.items[i] as T);
    return out;
  }

  clear(): void {
    this.byLast.length = 0;
    this.byFirst.clear();
    this.stragglers.clear();
    this.count = 0;
  }
}
