/** One poll's worth of records from one partition. Checkpoints happen between batches, never inside one. */
export interface SourceBatch<R> {
  readonly partition: number;
  readonly records: readonly R[];
  /** Offset of records[0]; record i has offset firstOffset + i. */
  readonly firstOffset: number;
  /** True when the partition has no more records after this batch (bounded input). */
  readonly endOfPartition: boolean;
}

export type PollResult<R> = SourceBatch<R> | 'idle' | 'end';

/** Source positions: partition -> offset of the next record to read (a source may keep extra bookkeeping keys). */
export type SourcePositions = Readonly<Record<string, number>>;

/**
 * A partitioned, replayable input (a file, stdin, Kafka topic partitions). `poll` returns the next batch,
 * 'idle' when nothing is available right now (unbounded input), or 'end' once every partition has ended.
 */
export interface Source<R> {
  readonly name: string;
  partitions(): readonly number[];
  poll(): Promise<PollResult<R>>;
  /** Positions after the last batch returned: what a checkpoint stores. */
  positions(): SourcePositions;
  /** Resume from stored positions (restore). */
  seek(positions: SourcePositions): Promise<void>;
  close(): Promise<void>;
}

/** An in-memory source over fixed partitions: for tests, benchmarks and embedding. */
export class ArraySource<R> implements Source<R> {
  private readonly next: number[];

  constructor(
    readonly name: string,
    private readonly data: ReadonlyArray<readonly R[]>,
    private readonly batchSize = 1024,
  ) {
    if (data.length === 0) throw new RangeError('an ArraySource needs at least one partition');
    this.next = data.map(() => 0);
  }

  partitions(): readonly number[] {
    return this.data.map((_, i) => i);
  }

  // Round-robin over partitions that still have records, one batch each, like a consumer fetching several
  // partitions. The next partition is a function of the positions alone (fewest batches served, then lowest id),
  // so a source restored from a checkpoint interleaves partitions exactly as an uninterrupted one would.
  async poll(): Promise<PollResult<R>> {
    let pick = -1;
    let fewest = Number.POSITIVE_INFINITY;
    for (let p = 0; p < this.data.length; p++) {
      const length = (this.data[p] as readonly R[]).length;
      const next = this.next[p] as number;
      if (next >= length && next > 0) continue; // done (an empty partition is marked done with offset 1)
      const served = Math.ceil(next / this.batchSize);
      if (served < fewest) {
        fewest = served;
        pick = p;
      }
    }
    if (pick < 0) return 'end';
    const records = this.data[pick] as readonly R[];
    const from = this.next[pick] as number;
    if (records.length === 0) {
      // An empty partition still reports its end once, so it stops holding the watermark back.
      this.next[pick] = 1;
      return { partition: pick, records: [], firstOffset: 0, endOfPartition: true };
    }
    const to = Math.min(records.length, from + this.batchSize);
    this.next[pick] = to;
    return { partition: pick, records: records.slice(from, to), firstOffset: from, endOfPartition: to === records.length };
  }

  positions(): SourcePositions {
    const out: Record<string, number> = {};
    this.next.forEach((offset, p) => {
      out[p] = offset;
    });
    return out;
  }

  async seek(positions: SourcePositions): Promise<void> {
    for (const [p, offset] of Object.entries(positions)) this.next[Number(p)] = offset;
  }

  async close(): Promise<void> {}
}
