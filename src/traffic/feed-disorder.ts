/**
 * How much out-of-orderness the feed shows, measured, so the watermark holds records only as long as the feed needs:
 * the bound is the largest lag (how far a record's time is behind the latest time the feed had reached when it
 * came) over the last few thousand records, with headroom, never below `floorMs`. It grows at once when a record
 * comes later than it allows, and shrinks as the window forgets. See docs/design.md, "Camera clocks".
 *
 * Not every late record is disorder. A camera that was down flushes its backlog, hours old, in a burst: that is a
 * late delivery (late output, allowed lateness, first_seen's late path), and holding the whole city back for it
 * would give every alert its delay. So a record later than the bound counts only when its camera's previous record
 * was on time (the first of a burst: its lag is the uplink's), and lags beyond `maxLagMs` never count.
 */
export interface FeedDisorderOptions {
  /** Records per bucket of the window (default 1024). */
  readonly bucketRecords?: number;
  /** Buckets in the window (default 32): the bound forgets a lag after about buckets x bucketRecords records. */
  readonly buckets?: number;
  /** The bound is the window's largest lag times this, plus `marginMs` (defaults 1.25 and 1 s). */
  readonly headroom?: number;
  readonly marginMs?: number;
  /** The least bound (default 1 s). */
  readonly floorMs?: number;
  /** Lags beyond this are late deliveries, never disorder (default 10 min). */
  readonly maxLagMs?: number;
  /**
   * Records counted before the measured bound replaces +Infinity (the declared bound; default 2 buckets): short, so
   * a task that reads one of many partitions, or a small feed, stops holding the declared bound soon.
   */
  readonly warmupRecords?: number;
}

export interface FeedDisorderSnapshot {
  readonly frontier: number;
  readonly bound: number;
  /** Largest lag per finished bucket, oldest first, then the open bucket's largest lag and its record count. */
  readonly buckets: readonly number[];
  readonly open: readonly [maxLag: number, records: number];
  readonly counted: number;
  /** Cameras whose last record was later than the bound. */
  readonly late: readonly number[];
}

export class FeedDisorder {
  private readonly bucketRecords: number;
  private readonly nBuckets: number;
  private readonly headroom: number;
  private readonly margin: number;
  private readonly floor: number;
  private readonly maxLag: number;
  private readonly warmup: number;
  private readonly late: Uint8Array;
  private buckets: number[] = [];
  private openMax = 0;
  private openCount = 0;
  private counted = 0;
  private frontier = Number.NEGATIVE_INFINITY;
  private bound = Number.POSITIVE_INFINITY;

  constructor(cameras: number, options: FeedDisorderOptions = {}) {
    this.bucketRecords = Math.max(1, options.bucketRecords ?? 1024);
    this.nBuckets = Math.max(1, options.buckets ?? 32);
    this.headroom = options.headroom ?? 1.25;
    this.margin = options.marginMs ?? 1000;
    this.floor = options.floorMs ?? 1000;
    this.maxLag = options.maxLagMs ?? 600_000;
    this.warmup = options.warmupRecords ?? 2 * this.bucketRecords;
    this.late = new Uint8Array(cameras);
  }

  /** The out-of-orderness bound in effect (ms; +Infinity while warming up: the declared bound applies). */
  get boundMs(): number {
    return this.bound;
  }

  /** The latest time a record has moved the watermark to (-Infinity before any). */
  get latest(): number {
    return this.frontier;
  }

  /**
   * A record of `camera` at (corrected) time `ts` that may move the watermark to `watermarkTime` (-Infinity when its
   * clock cannot be vouched for: then it is not measured either).
   */
  observe(camera: number, ts: number, watermarkTime: number): void {
    if (watermarkTime > this.frontier) this.frontier = watermarkTime;
    if (watermarkTime === Number.NEGATIVE_INFINITY) return;
    const lag = this.frontier - ts;
    if (lag <= this.bound) {
      this.late[camera] = 0;
      this.count(Math.max(lag, 0));
    } else {
      if (this.late[camera] === 0 && lag <= this.maxLag) {
        this.count(lag);
        // Later than allowed: the bound grows now, not when the bucket closes.
        this.bound = this.boundFor(lag);
      }
      this.late[camera] = 1;
    }
  }

  private boundFor(lag: number): number {
    return Math.max(this.floor, Math.ceil(lag * this.headroom + this.margin));
  }

  private count(lag: number): void {
    if (lag > this.openMax) this.openMax = lag;
    this.counted++;
    if (++this.openCount < this.bucketRecords) return;
    this.buckets.push(this.openMax);
    if (this.buckets.length > this.nBuckets) this.buckets.shift();
    this.openMax = 0;
    this.openCount = 0;
    if (this.counted < this.warmup) return;
    let max = 0;
    for (const b of this.buckets) if (b > max) max = b;
    this.bound = this.boundFor(max);
  }

  snapshot(): FeedDisorderSnapshot {
    const late: number[] = [];
    for (let i = 0; i < this.late.length; i++) if (this.late[i] === 1) late.push(i);
    return { frontier: this.frontier, bound: this.bound, buckets: [...this.buckets], open: [this.openMax, this.openCount], counted: this.counted, late };
  }

  restore(s: FeedDisorderSnapshot): void {
    this.frontier = s.frontier;
    this.bound = s.bound;
    this.buckets = [...s.buckets];
    [this.openMax, this.openCount] = s.open;
    this.counted = s.counted;
    this.late.fill(0);
    for (const c of s.late) if (c >= 0 && c < this.late.length) this.late[c] = 1;
  }
}
