/** A binary min-heap ordered by a numeric key with an insertion sequence as tie-break, so order is deterministic. */
export class TimeQueue<T> {
  private readonly items: T[] = [];
  private readonly keys: number[] = [];
  private readonly seqs: number[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  push(item: T, key: number): void {
    const items = this.items;
    const keys = this.keys;
    const seqs = this.seqs;
    const s = this.seq++;
    let i = items.length;
    items.push(item);
    keys.push(key);
    seqs.push(s);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (keys[p]! < key || (keys[p] === key && seqs[p]! < s)) break;
      items[i] = items[p]!;
      keys[i] = keys[p]!;
      seqs[i] = seqs[p]!;
      i = p;
    }
    items[i] = item;
    keys[i] = key;
    seqs[i] = s;
  }

  peekKey(): number {
    return this.keys.length === 0 ? Infinity : this.keys[0]!;
  }

  pop(): T | undefined {
    const items = this.items;
    if (items.length === 0) return undefined;
    const keys = this.keys;
    const seqs = this.seqs;
    const top = items[0];
    const lastItem = items.pop()!;
    const lastKey = keys.pop()!;
    const lastSeq = seqs.pop()!;
    const n = items.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        if (r < n && (keys[r]! < keys[l]! || (keys[r] === keys[l] && seqs[r]! < seqs[l]!))) c = r;
        if (lastKey < keys[c]! || (lastKey === keys[c] && lastSeq < seqs[c]!)) break;
        items[i] = items[c]!;
        keys[i] = keys[c]!;
        seqs[i] = seqs[c]!;
        i = c;
      }
      items[i] = lastItem;
      keys[i] = lastKey;
      seqs[i] = lastSeq;
    }
    return top;
  }
}
