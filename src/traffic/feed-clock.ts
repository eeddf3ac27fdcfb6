/**
 * The feed's own notion of "now", to judge one camera's event times by more than the watermark (which that camera
 * could itself have moved). Live, it is the arrival time. In a replay there is no arrival time: it is the latest
 * event time that a quorum of cameras heard from recently have reached (the third-latest camera by default), so
 * fewer cameras than the quorum, however wrong their clocks, cannot move it. See docs/design.md, "Camera clocks".
 */
export interface FeedClockOptions {
  /** Live feeds: the arrival (processing) time. Without it the feed is a replay, judged by its cameras. */
  readonly arrival?: () => number;
  /** Cameras that must agree on a time before a replay's reference reaches it (default 3). */
  readonly quorum?: number;
  /** A camera counts towards the consensus while its last record is among the feed's last this many (default 20,000). */
  readonly recentRecords?: number;
  /**
   * After this many records, fewer cameras than the quorum will do (a replay of one or two cameras still gets a
   * watermark); default 256.
   */
  readonly warmupRecords?: number;
}

/**
 * The consensus is recomputed every this many records (a pass over the cameras), and whenever a record looks ahead
 * of it: per-record cost stays flat, and the consensus is never stale by more than the clock slack.
 */
const RECOMPUTE_EVERY = 256;

export class FeedClock {
  private readonly latest: Float64Array;
  private readonly lastSeen: Float64Array;
  private readonly top: Float64Array;
  private readonly arrival: (() => number) | null;
  private readonly quorum: number;
  private readonly recent: number;
  private readonly warmup: number;
  private seq = 0;
  private consensus = Number.NaN;
  private voters = 0;
  private agreeing = 0;
  /** Live: the arrival time last read (the clock is read again only when a record looks ahead of it). */
  private arrived = Number.NaN;

  /** `cameras`: how many checkpoints there are; cameras are numbered 0..cameras-1 (registry order). */
  constructor(cameras: number, options: FeedClockOptions = {}) {
    this.latest = new Float64Array(cameras).fill(Number.NEGATIVE_INFINITY);
    this.lastSeen = new Float64Array(cameras).fill(Number.NEGATIVE_INFINITY);
    this.arrival = options.arrival ?? null;
    this.quorum = Math.max(1, Math.min(cameras, options.quorum ?? 3));
    this.top = new Float64Array(this.quorum);
    this.recent = options.recentRecords ?? 20_000;
    this.warmup = options.warmupRecords ?? 256;
  }

  get live(): boolean {
    return this.arrival !== null;
  }

  /** How many cameras the current consensus was taken over (0 live, or before the quorum). */
  get cameras(): number {
    return this.voters;
  }

  /**
   * The reference time records are judged against: the arrival time live, else the consensus; NaN while unknown.
   * It may be a little stale (read or recomputed a few records ago): call {@link refresh} before refusing a record.
   */
  reference(): number {
    if (this.arrival !== null && Number.isNaN(this.arrived)) this.arrived = this.arrival();
    return this.arrival !== null ? this.arrived : this.consensus;
  }

  /** Brings the reference up to date (reads the clock, or recomputes the consensus). */
  refresh(): void {
    if (this.arrival !== null) this.arrived = this.arrival();
    else this.recompute(this.seq);
  }

  /** How many cameras must have reached the consensus time (the quorum, or fewer in a feed of fewer cameras). */
  get quorumSize(): number {
    return this.agreeing;
  }

  /** An accepted record of camera `camera` at event time `ts`. */
  observe(camera: number, ts: number): void {
    if (this.arrival !== null) return;
    const seq = ++this.seq;
    if (ts > (this.latest[camera] as number)) this.latest[camera] = ts;
    this.lastSeen[camera] = seq;
    if (Number.isNaN(this.consensus) || seq % RECOMPUTE_EVERY === 0) this.recompute(seq);
  }

  private recompute(seq: number): void {
    const latest = this.latest;
    const lastSeen = this.lastSeen;
    // The `quorum` latest times of the recent cameras, descending: a few comparisons per camera, no sort.
    const top = this.top;
    const q = this.quorum;
    let n = 0;
    for (let i = 0; i < latest.length; i++) {
      if (seq - (lastSeen[i] as number) >= this.recent) continue;
      const t = latest[i] as number;
      n++;
      let j = n <= q ? n - 1 : q - 1;
      if (n > q && t <= (top[j] as number)) continue;
      for (; j > 0 && t > (top[j - 1] as number); j--) top[j] = top[j - 1] as number;
      top[j] = t;
    }
    // Past the warm-up, a feed of fewer cameras than the quorum is judged by all of them.
    const k = n >= q ? q : seq >= this.warmup ? n : 0;
    this.voters = k > 0 ? n : 0;
    this.agreeing = k;
    // The latest time k cameras have reached: fewer cameras than that, however wrong, cannot move it.
    this.consensus = k === 0 ? Number.NaN : (top[k - 1] as number);
  }
}
