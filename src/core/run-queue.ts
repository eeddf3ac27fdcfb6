import { MinHeap } from './min-heap.js';

/**
 * A min-queue for input that mostly arrives in order (records behind an event-time stage, window results): an
 * entry not before the last one appended joins a FIFO run in O(1); only entries that break the order go to a heap.
 * Pops take the smaller of the run's head and the heap's top, so the order is exactly a heap's.
 */
export class RunQueue<T> {
  private run: (T | undefined)[] = [];
  private head = 0;
  private readonly heap: MinHeap<T>;

  constructor(private readonly before: (a: T, b: T) => boolean) {
    this.heap = new MinHeap(before);
  }

  get size(): number {
    return this.run.length - this.head + this.heap.size;
  }

  push(value: T): void {
    const run = this.run;
    if (run.length === this.head || !this.before(value, run[run.length - 1] as T)) run.push(value);
    else this.heap.push(value);
  }

  peek(): T | undefined {
    const fromRun = this.head < this.run.length ? this.run[this.head] : undefined;
    const fromHeap = this.heap.peek();
    if (fromRun === undefined) return fromHeap;
    if (fromHeap === undefined) return fromRun;
    return this.before(fromHeap, fromRun) ? fromHeap : fromRun;
  }

  pop(): T | undefined {
    const run = this.run;
    const fromRun = this.head < run.length ? run[this.head] : undefined;
    const fromHeap = this.heap.peek();
    if (fromRun === undefined || (fromHeap !== undefined && this.before(fromHeap, fromRun))) return this.heap.pop();
    run[this.head++] = undefined; // let it go
    if (this.head === run.length) {
      run.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= run.length) {
      run.copyWithin(0, this.head);
      run.length -= this.head;
      this.head = 0;
    }
    return fromRun;
  }

  /** Every entry, in no particular order (snapshots sort them). */
  toArray(): T[] {
    const out = this.heap.toArray();
    for (let i = this.head; i < this.run.length; i++) out.push(this.run[i] as T);
    return out;
  }

  clear(): void {
    this.run = [];
    this.head = 0;
    this.heap.clear();
  }
}
