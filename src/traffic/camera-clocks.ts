/**
 * Each camera's clock offset, learned from the feed itself, and the correction of its records' times: with every
 * camera on one clock, the watermark has to allow only the disorder left after correction (the uplink's seconds),
 * not the worst camera's skew (minutes). See docs/design.md, "Camera clocks".
 *
 * A feed arrives in arrival order: live, as the cameras send; in a replay, as the feed was recorded. A record's
 * reading is its time minus the median corrected time of the records that arrived around it (the records of a
 * window centred on it, so the reading does not depend on how busy the feed is): an honest camera reads about zero,
 * a camera whose clock is 90 s fast reads about +90 s. A camera's offset is the median of its last readings. The
 * median is over many cameras, so a few wrong clocks cannot move it; readings are taken only when the record's own
 * camera makes up at most half the window (a camera flushing a backlog would otherwise be compared with itself).
 *
 * Once a camera has an offset, a reading far from it (more than `trackMs`) is not a clock reading: a record that
 * waited in the camera during an outage, or a slow upload. Such readings are set aside; only when `relearnReadings`
 * of them in a row agree with each other and span `relearnSpanMs` of the camera's own time was the clock reset, and
 * the offset is learned again. A backlog never qualifies: its records are flushed in a burst, so their readings
 * sweep instead of agreeing.
 *
 * A function of the feed alone (no wall clock): the same input in the same order gives the same corrections.
 */
export interface CameraClocksOptions {
  /** Records in the window a reading is taken over, odd (default 31). */
  readonly window?: number;
  /** Readings per camera its offset is the median of (default 15). */
  readonly readings?: number;
  /** Readings before a camera's offset is used (default 3). */
  readonly minReadings?: number;
  /** The offset applied changes only when the median moves further than this (default 2 s): uplink jitter. */
  readonly deadbandMs?: number;
  /** A known camera's reading further than this from its offset is set aside (default 30 s). */
  readonly trackMs?: number;
  /** No clock is believed further off than this (default 10 min: records further ahead are refused anyway). */
  readonly maxOffsetMs?: number;
  /** Readings set aside in a row that, agreeing within `trackMs / 3`, mean the clock was reset (default 8). */
  readonly relearnReadings?: number;
  /** ... over at least this much of the camera's time (default 30 s). */
  readonly relearnSpanMs?: number;
}

export interface CameraClocksSnapshot {
  /** Per camera: [offset applied, readings (oldest first), readings set aside in a row (oldest first), camera time of the first set aside]. */
  readonly cameras: ReadonlyArray<readonly [offset: number, readings: readonly number[], aside: readonly number[], asideFrom: number]>;
  /** The window, oldest first: [camera, camera time, corrected time]. */
  readonly window: ReadonlyArray<readonly [camera: number, raw: number, corrected: number]>;
}

export class CameraClocks {
  private readonly w: number;
  private readonly half: number;
  private readonly r: number;
  private readonly minReadings: number;
  private readonly deadband: number;
  private readonly track: number;
  private readonly maxOffset: number;
  private readonly relearnN: number;
  private readonly relearnSpan: number;

  private readonly offsets: Float64Array;
  /** Readings per camera: a ring of `r` each; `count` how many are in it, `head` where the next goes. */
  private readonly readings: Float64Array;
  private readonly count: Int32Array;
  private readonly head: Int32Array;
  /** Readings set aside in a row per camera: a ring of `relearnN` each. */
  private readonly aside: Float64Array;
  private readonly asideCount: Int32Array;
  private readonly asideFrom: Float64Array;

  /** The window in arrival order: a ring of `w`; `sorted` holds its corrected times in ascending order. */
  private readonly winCamera: Int32Array;
  private readonly winRaw: Float64Array;
  private readonly winCorrected: Float64Array;
  private readonly sorted: Float64Array;
  private readonly inWindow: Int32Array;
  private filled = 0;
  private next = 0;
  private readonly scratch: Float64Array;

  /** `cameras`: how many checkpoints there are, numbered 0..cameras-1 (registry order). */
  constructor(cameras: number, options: CameraClocksOptions = {}) {
    this.w = Math.max(3, (options.window ?? 31) | 1);
    this.half = this.w >> 1;
    this.r = Math.max(1, options.readings ?? 15);
    this.minReadings = Math.max(1, Math.min(this.r, options.minReadings ?? 3));
    this.deadband = options.deadbandMs ?? 2000;
    this.track = options.trackMs ?? 30_000;
    this.maxOffset = options.maxOffsetMs ?? 600_000;
    this.relearnN = Math.max(2, options.relearnReadings ?? 8);
    this.relearnSpan = options.relearnSpanMs ?? 30_000;
    this.offsets = new Float64Array(cameras);
    this.readings = new Float64Array(cameras * this.r);
    this.count = new Int32Array(cameras);
    this.head = new Int32Array(cameras);
    this.aside = new Float64Array(cameras * this.relearnN);
    this.asideCount = new Int32Array(cameras);
    this.asideFrom = new Float64Array(cameras);
    this.winCamera = new Int32Array(this.w);
    this.winRaw = new Float64Array(this.w);
    this.winCorrected = new Float64Array(this.w);
    this.sorted = new Float64Array(this.w);
    this.inWindow = new Int32Array(cameras);
    this.scratch = new Float64Array(Math.max(this.r, this.relearnN));
  }

  /** The offset subtracted from the camera's times (ms; 0 until it is known). */
  offset(camera: number): number {
    return this.offsets[camera] as number;
  }

  /** The camera's offset is known and its latest readings agree with it: its corrected times can be trusted. */
  trusted(camera: number): boolean {
    return (this.count[camera] as number) >= this.minReadings && this.asideCount[camera] === 0;
  }

  /** A record of `camera` stamped `ts` by its clock, in arrival order: returns its corrected time. */
  observe(camera: number, ts: number): number {
    const corrected = ts - (this.offsets[camera] as number);
    const w = this.w;
    const slot = this.next;
    if (this.filled === w) {
      const old = this.winCamera[slot] as number;
      this.inWindow[old] = (this.inWindow[old] as number) - 1;
      this.removeSorted(this.winCorrected[slot] as number);
    } else this.filled++;
    this.winCamera[slot] = camera;
    this.winRaw[slot] = ts;
    this.winCorrected[slot] = corrected;
    this.inWindow[camera] = (this.inWindow[camera] as number) + 1;
    this.insertSorted(corrected);
    this.next = slot + 1 === w ? 0 : slot + 1;
    if (this.filled === w) {
      // The record in the middle of the window: as many arrived after it as before.
      const mid = (slot - this.half + w) % w;
      const cam = this.winCamera[mid] as number;
      if (2 * (this.inWindow[cam] as number) <= w)
        this.read(cam, (this.winRaw[mid] as number) - (this.sorted[this.half] as number), this.winRaw[mid] as number);
    }
    return corrected;
  }

  private read(camera: number, reading: number, ts: number): void {
    if (!(Math.abs(reading) <= this.maxOffset)) return;
    const known = (this.count[camera] as number) >= this.minReadings;
    if (known && Math.abs(reading - (this.offsets[camera] as number)) > this.track) {
      this.setAside(camera, reading, ts);
      return;
    }
    this.asideCount[camera] = 0;
    const r = this.r;
    const base = camera * r;
    this.readings[base + (this.head[camera] as number)] = reading;
    this.head[camera] = ((this.head[camera] as number) + 1) % r;
    if ((this.count[camera] as number) < r) this.count[camera] = (this.count[camera] as number) + 1;
    const n = this.count[camera] as number;
    if (n < this.minReadings) return;
    const m = this.median(this.readings, base, n);
    const applied = this.offsets[camera] as number;
    if (Math.abs(m - applied) > this.deadband) this.offsets[camera] = Math.round(m);
  }

  private setAside(camera: number, reading: number, ts: number): void {
    const n = this.relearnN;
    const k = this.asideCount[camera] as number;
    if (k === 0) this.asideFrom[camera] = ts;
    this.aside[camera * n + (k % n)] = reading;
    this.asideCount[camera] = k + 1;
    if (k + 1 < n || ts - (this.asideFrom[camera] as number) < this.relearnSpan) return;
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      const v = this.aside[camera * n + i] as number;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (hi - lo > this.track / 3) return;
    // The clock was reset: its readings start again from these.
    const m = this.median(this.aside, camera * n, n);
    const r = this.r;
    for (let i = 0; i < r; i++) this.readings[camera * r + i] = m;
    this.count[camera] = Math.min(r, n);
    this.head[camera] = this.count[camera] % r;
    this.offsets[camera] = Math.round(m);
    this.asideCount[camera] = 0;
  }

  /** Median of values[from .. from + n): an insertion sort into the scratch array (n <= 15; no allocation per record). */
  private median(values: Float64Array, from: number, n: number): number {
    const s = this.scratch;
    for (let i = 0; i < n; i++) {
      const v = values[from + i] as number;
      let j = i;
      for (; j > 0 && (s[j - 1] as number) > v; j--) s[j] = s[j - 1] as number;
      s[j] = v;
    }
    return n % 2 === 1 ? (s[n >> 1] as number) : ((s[(n >> 1) - 1] as number) + (s[n >> 1] as number)) / 2;
  }

  /**
   * Inserts into the sorted window, from the end: records come nearly in order, so the new one mostly goes last.
   * (Plain loops: for 31 values they cost less than a copyWithin call.)
   */
  private insertSorted(v: number): void {
    const s = this.sorted;
    let j = this.filled - 1;
    for (; j > 0 && (s[j - 1] as number) > v; j--) s[j] = s[j - 1] as number;
    s[j] = v;
  }

  private removeSorted(v: number): void {
    const s = this.sorted;
    const n = this.filled;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((s[mid] as number) < v) lo = mid + 1;
      else hi = mid;
    }
    for (let j = lo; j < n - 1; j++) s[j] = s[j + 1] as number;
  }

  snapshot(): CameraClocksSnapshot {
    const cameras: Array<readonly [number, number[], number[], number]> = [];
    for (let c = 0; c < this.offsets.length; c++) {
      const n = this.count[c] as number;
      const readings: number[] = [];
      // Oldest first: the ring's head is the oldest once it is full.
      const start = n < this.r ? 0 : (this.head[c] as number);
      for (let i = 0; i < n; i++) readings.push(this.readings[c * this.r + ((start + i) % this.r)] as number);
      const k = this.asideCount[c] as number;
      const aside: number[] = [];
      const from = k <= this.relearnN ? 0 : k % this.relearnN;
      for (let i = 0; i < Math.min(k, this.relearnN); i++) aside.push(this.aside[c * this.relearnN + ((from + i) % this.relearnN)] as number);
      cameras.push([this.offsets[c] as number, readings, aside, this.asideFrom[c] as number]);
    }
    const window: Array<readonly [number, number, number]> = [];
    const first = this.filled < this.w ? 0 : this.next;
    for (let i = 0; i < this.filled; i++) {
      const j = (first + i) % this.w;
      window.push([this.winCamera[j] as number, this.winRaw[j] as number, this.winCorrected[j] as number]);
    }
    return { cameras, window };
  }

  restore(snapshot: CameraClocksSnapshot): void {
    if (snapshot.cameras.length !== this.offsets.length) {
      throw new Error(`camera clocks of ${snapshot.cameras.length} cameras cannot be restored into a registry of ${this.offsets.length}`);
    }
    this.inWindow.fill(0);
    snapshot.cameras.forEach(([offset, readings, aside, asideFrom], c) => {
      this.offsets[c] = offset;
      const kept = readings.slice(-this.r);
      kept.forEach((v, i) => {
        this.readings[c * this.r + i] = v;
      });
      this.count[c] = kept.length;
      this.head[c] = kept.length % this.r;
      const set = aside.slice(-this.relearnN);
      set.forEach((v, i) => {
        this.aside[c * this.relearnN + i] = v;
      });
      this.asideCount[c] = set.length;
      this.asideFrom[c] = asideFrom;
    });
    this.filled = 0;
    this.next = 0;
    for (const [camera, raw, corrected] of snapshot.window.slice(-this.w)) {
      const slot = this.next;
      this.winCamera[slot] = camera;
      this.winRaw[slot] = raw;
      this.winCorrected[slot] = corrected;
      this.inWindow[camera] = (this.inWindow[camera] as number) + 1;
      this.filled++;
      this.insertSorted(corrected);
      this.next = (slot + 1) % this.w;
    }
  }
}
