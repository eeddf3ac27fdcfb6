/**
 * A binary min-heap of numbers (timer timestamps). No per-push allocation beyond the backing array's growth.
 * Kept apart from the generic MinHeap on purpose: comparing numbers inline, rather than through a comparator shared
 * by every heap in the process (a megamorphic call), is what the timer path on every watermark wants.
 */
export class NumberMinHeap {
  private items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): number | undefined {
    return this.items[0];
  }

  push(value: number): void {
    const a = this.items;
    let i = a.length;
    a.push(value);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = a[parent] as number;
      if (p <= value) break;
      a[i] = p;
      i = parent;
    }
    a[i] = value;
  }

  pop(): number | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0] as number;
    const last = a.pop() as number;
    const n = a.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        if (r < n && (a[r] as number) < (a[l] as number)) c = r;
        if ((a[c] as number) >= last) break;
        a[i] = a[c] as number;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }

  clear(): void {
    this.items = [];
  }
}

/** A binary min-heap of entries ordered by a comparator (e.g. event time, then arrival sequence). */
export class MinHeap<T> {
  private items: T[] = [];

  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(value: T): void {
    const a = this.items;
    let i = a.length;
    a.push(value);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = a[parent] as T;
      if (!this.before(value, p)) break;
      a[i] = p;
      i = parent;
    }
    a[i] = value;
  }

  pop(): T | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0] as T;
    const last = a.pop() as T;
    const n = a.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        if (r < n && this.before(a[r] as T, a[l] as T)) c = r;
        if (!this.before(a[c] as T, last)) break;
        a[i] = a[c] as T;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }

  /** Restores the order after the top entry changed in place (became later): one sift instead of pop + push. */
  topChanged(): void {
    const a = this.items;
    const n = a.length;
    if (n < 2) return;
    const moved = a[0] as T;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && this.before(a[r] as T, a[l] as T)) c = r;
      if (!this.before(a[c] as T, moved)) break;
      a[i] = a[c] as T;
      i = c;
    }
    a[i] = moved;
  }

  /** Every entry, in no particular order (snapshots sort them). */
  toArray(): T[] {
    return [...this.items];
  }

  clear(): void {
    this.items = [];
  }
}
