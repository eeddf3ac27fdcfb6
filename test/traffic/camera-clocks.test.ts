import { describe, expect, it } from 'vitest';
import { CameraClocks } from '../../src/traffic/camera-clocks.js';
import { FeedDisorder } from '../../src/traffic/feed-disorder.js';

const T = Date.UTC(2026, 2, 2, 2, 0, 0);
const CAMERAS = 20;

/** A small deterministic PRNG (mulberry32), so the feeds below are the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Capture {
  readonly camera: number;
  /** The camera's stamp. */
  readonly ts: number;
  /** The true time of the capture. */
  readonly t: number;
}

/**
 * A feed in arrival order: `perSecond` captures a second over `seconds`, each at a random camera, stamped by the
 * camera's clock (`skew(camera, t)` ahead), arriving 0.2-2 s after the capture (records sorted by arrival).
 */
function feed(seconds: number, perSecond: number, skew: (camera: number, t: number) => number, seed = 1): Capture[] {
  const next = rng(seed);
  const out: Array<Capture & { arrival: number }> = [];
  for (let i = 0; i < seconds * perSecond; i++) {
    const t = T + Math.round((i * 1000) / perSecond);
    const camera = Math.floor(next() * CAMERAS);
    out.push({ camera, t, ts: t + skew(camera, t), arrival: t + 200 + next() * 1800 });
  }
  return out.sort((a, b) => a.arrival - b.arrival);
}

describe('CameraClocks', () => {
  it('learns a camera 90 s ahead within its first few records and corrects it; honest cameras stay untouched', () => {
    const clocks = new CameraClocks(CAMERAS);
    const captures = feed(600, 20, (c) => (c === 7 ? 90_000 : 0));
    let seenOf7 = 0;
    let correctedAfter = -1;
    for (const r of captures) {
      const corrected = clocks.observe(r.camera, r.ts);
      if (r.camera !== 7) continue;
      seenOf7++;
      if (correctedAfter < 0 && Math.abs(corrected - r.t) < 3000) correctedAfter = seenOf7;
    }
    // Three readings, each taken half a window (15 records, here ~1 s) after its record: the fifth record of the
    // camera at the latest is already corrected.
    expect(correctedAfter).toBeGreaterThan(0);
    expect(correctedAfter).toBeLessThanOrEqual(5);
    expect(Math.abs(clocks.offset(7) - 90_000)).toBeLessThan(2000);
    expect(clocks.trusted(7)).toBe(true);
    for (let c = 0; c < CAMERAS; c++) if (c !== 7) expect(clocks.offset(c)).toBe(0);
  });

  it('learns several cameras off either way at once, the corrected feed out of order by the uplink only', () => {
    const skews = [0, 45_000, -120_000, 0, 10_000, 0, -30_000, 0, 0, 75_000, ...Array(10).fill(0)] as number[];
    const clocks = new CameraClocks(CAMERAS);
    let maxTrue = Number.NEGATIVE_INFINITY;
    let worstLag = 0;
    const captures = feed(1200, 20, (c) => skews[c] as number, 2);
    captures.forEach((r, i) => {
      const corrected = clocks.observe(r.camera, r.ts);
      if (i < 2000) return; // the first minute and a half: every camera has been learned since
      maxTrue = Math.max(maxTrue, corrected);
      worstLag = Math.max(worstLag, maxTrue - corrected);
    });
    for (const [c, s] of skews.entries()) expect(Math.abs(clocks.offset(c) - s)).toBeLessThanOrEqual(2000);
    // Without correction the disorder would be 195 s (a camera 75 s ahead, one 120 s behind).
    expect(worstLag).toBeLessThan(6000);
  });

  it('a backlog sent among live records (a slow link catching up) does not move the offset of its camera', () => {
    const clocks = new CameraClocks(CAMERAS);
    const live = feed(300, 20, (c) => (c === 3 ? 40_000 : 0), 6);
    const half = live.length / 2;
    for (const r of live.slice(0, half)) clocks.observe(r.camera, r.ts);
    const before = clocks.offset(3);
    expect(Math.abs(before - 40_000)).toBeLessThan(2000);
    // The last five minutes of camera 3, one old record after every third live one.
    let k = 0;
    for (const r of live.slice(half)) {
      clocks.observe(r.camera, r.ts);
      if (k < 100 && (half + k) % 3 === 0) clocks.observe(3, r.t - 300_000 + k * 3000 + 40_000);
      k++;
    }
    expect(clocks.offset(3)).toBe(before);
  });

  it('a backlog flushed in a burst does not move the offset of its camera', () => {
    const clocks = new CameraClocks(CAMERAS);
    const live = feed(300, 20, (c) => (c === 3 ? 40_000 : 0), 3);
    const half = live.length / 2;
    for (const r of live.slice(0, half)) clocks.observe(r.camera, r.ts);
    expect(Math.abs(clocks.offset(3) - 40_000)).toBeLessThan(2000);
    const before = clocks.offset(3);
    // The camera was down for the last 20 minutes and sends them now, 300 records in a row, oldest first.
    for (let i = 0; i < 300; i++) clocks.observe(3, T + 150_000 - 20 * 60_000 + i * 4000 + 40_000);
    for (const r of live.slice(half)) clocks.observe(r.camera, r.ts);
    expect(clocks.offset(3)).toBe(before);
    expect(clocks.trusted(3)).toBe(true);
  });

  it('a camera whose first records come as a burst learns nothing from the burst (it would only read itself)', () => {
    const clocks = new CameraClocks(CAMERAS);
    const live = feed(300, 20, (c) => (c === 8 ? 60_000 : 0), 7).filter((r) => r.camera !== 8 || r.t > T + 60_000);
    // Camera 8 was down for the first minute and sends that minute first, 100 records in a row.
    for (let i = 0; i < 100; i++) clocks.observe(8, T + i * 600 + 60_000);
    for (const r of live) {
      const corrected = clocks.observe(r.camera, r.ts);
      // Whenever its clock is vouched for, its records are at their true time.
      if (r.camera === 8 && clocks.trusted(8)) expect(Math.abs(corrected - r.t)).toBeLessThan(3000);
    }
    expect(Math.abs(clocks.offset(8) - 60_000)).toBeLessThan(2000);
  });

  it('a clock reset mid-stream is learned again; meanwhile its records are not trusted', () => {
    const clocks = new CameraClocks(CAMERAS);
    const reset = T + 300_000;
    const captures = feed(900, 20, (c, t) => (c === 5 && t >= reset ? 60_000 : 0), 4);
    let distrusted = 0;
    for (const r of captures) {
      clocks.observe(r.camera, r.ts);
      if (r.camera === 5 && r.t >= reset && !clocks.trusted(5)) distrusted++;
    }
    expect(distrusted).toBeGreaterThan(0);
    expect(Math.abs(clocks.offset(5) - 60_000)).toBeLessThan(2000);
    expect(clocks.trusted(5)).toBe(true);
  });

  it('restored from a snapshot (as JSON), it goes on exactly as the original', () => {
    const captures = feed(600, 20, (c) => (c % 4 === 1 ? 30_000 * c : 0), 5);
    const a = new CameraClocks(CAMERAS);
    const cut = 5000;
    for (const r of captures.slice(0, cut)) a.observe(r.camera, r.ts);
    const b = new CameraClocks(CAMERAS);
    b.restore(JSON.parse(JSON.stringify(a.snapshot())));
    for (const r of captures.slice(cut)) expect(b.observe(r.camera, r.ts)).toBe(a.observe(r.camera, r.ts));
    expect(b.snapshot()).toEqual(a.snapshot());
  });

  it('refuses a snapshot of another registry', () => {
    expect(() => new CameraClocks(3).restore(new CameraClocks(4).snapshot())).toThrow(/4 cameras .* registry of 3/);
  });
});

describe('FeedDisorder', () => {
  const opts = { bucketRecords: 100, buckets: 4, warmupRecords: 200, headroom: 1, marginMs: 0, floorMs: 100 };

  /** Records 100 ms apart; a record `lag` ms behind the latest so far does not move the feed on. */
  function ticker(d: FeedDisorder, from = T): (camera: number, lag?: number) => number {
    let t = from;
    return (camera, lag = 0) => {
      if (lag === 0) t += 100;
      d.observe(camera, t - lag, t - lag);
      return t;
    };
  }

  it('is +Infinity (the declared bound holds) until warmed up, then the largest recent lag', () => {
    const d = new FeedDisorder(4, opts);
    const tick = ticker(d);
    for (let i = 0; i < 199; i++) tick(i % 4, i % 10 === 5 ? 700 : 0);
    expect(d.boundMs).toBe(Number.POSITIVE_INFINITY);
    tick(0);
    expect(d.boundMs).toBe(700);
  });

  it('grows at once for a record later than it allows, once per burst of one camera; forgets as the window moves', () => {
    const d = new FeedDisorder(4, opts);
    const tick = ticker(d);
    for (let i = 0; i < 300; i++) tick(i % 4, i % 5 === 0 ? 300 : 0);
    expect(d.boundMs).toBe(300);
    // Camera 2 comes 5 s late: the bound takes it at once.
    tick(2, 5000);
    expect(d.boundMs).toBe(5000);
    // Camera 3 flushes a backlog: its first late record counts, the rest of the burst does not.
    tick(3, 20_000);
    for (let i = 0; i < 50; i++) tick(3, 60_000 - i);
    expect(d.boundMs).toBe(20_000);
    // A record hours late is a late delivery, never disorder.
    tick(1, 3 * 3_600_000);
    expect(d.boundMs).toBe(20_000);
    // Four buckets later the window has forgotten them.
    for (let i = 0; i < 500; i++) tick(i % 4, i % 5 === 0 ? 300 : 0);
    expect(d.boundMs).toBe(300);
  });

  it('does not measure records whose clock cannot be vouched for', () => {
    const d = new FeedDisorder(2, opts);
    const tick = ticker(d);
    for (let i = 0; i < 300; i++) tick(0);
    d.observe(1, T - 120_000, Number.NEGATIVE_INFINITY);
    expect(d.boundMs).toBe(100);
  });

  it('restored from a snapshot, it goes on as the original', () => {
    const a = new FeedDisorder(4, opts);
    const tickA = ticker(a);
    let t = T;
    for (let i = 0; i < 250; i++) t = tickA(i % 4, (i % 7) * 100);
    const b = new FeedDisorder(4, opts);
    b.restore(JSON.parse(JSON.stringify(a.snapshot())));
    const tickB = ticker(b, t);
    for (let i = 250; i < 600; i++) {
      tickA(i % 4, (i % 9) * 150);
      tickB(i % 4, (i % 9) * 150);
      expect(b.boundMs).toBe(a.boundMs);
    }
    expect(b.snapshot()).toEqual(a.snapshot());
  });
});
