import { describe, expect, it } from 'vitest';
import { FeedClock } from '../../src/traffic/feed-clock.js';
import { CheckpointRegistry } from '../../src/traffic/registry.js';
import { isRejection, RecordValidator } from '../../src/traffic/validate.js';

const T = Date.UTC(2026, 2, 2, 0, 0, 0);
const MIN = 60_000;
const registry = CheckpointRegistry.fromJson(
  Array.from({ length: 6 }, (_, i) => ({ id: `CP${i}`, name: `cp ${i}`, lat: 30 + i / 100, lon: 120, segment: 'S', direction: 'in', kind: 'inner' })),
);

function rec(cp: number, ts: number): Record<string, unknown> {
  return { id: `r${cp}-${ts}`, plate: '浙A12345', plate_color: 'blue', checkpoint: `CP${cp}`, speed: 50, ts };
}

describe('FeedClock (replay)', () => {
  it('has no reference until a quorum of cameras has reported', () => {
    const c = new FeedClock(6);
    c.observe(0, T + 86_400_000);
    c.observe(1, T);
    expect(c.reference()).toBeNaN();
    c.observe(2, T + 1000);
    // The third-latest camera: the camera a day ahead cannot move it.
    expect(c.reference()).toBe(T);
  });

  it('ignores fewer wrong cameras than the quorum, however far ahead', () => {
    const c = new FeedClock(6);
    for (let i = 0; i < 4; i++) c.observe(i, T + i * 1000);
    c.observe(4, T + 3_600_000);
    c.observe(5, T + 86_400_000);
    c.refresh();
    expect(c.reference()).toBe(T + 3000);
  });

  it('after the warm-up, a feed of fewer cameras than the quorum is judged by all of them', () => {
    const c = new FeedClock(6, { warmupRecords: 4 });
    for (let i = 0; i < 4; i++) c.observe(0, T + i);
    expect(c.reference()).toBe(T + 3);
  });

  it('forgets cameras not heard from in the last recentRecords records', () => {
    const c = new FeedClock(6, { recentRecords: 10 });
    c.observe(5, T + 86_400_000);
    for (let i = 0; i < 20; i++) c.observe(i % 3, T + i);
    c.refresh();
    expect(c.reference()).toBe(T + 17);
  });
});

describe('RecordValidator with a feed clock', () => {
  it('refuses a record far ahead of the other cameras as future_ts, saying by how much', () => {
    const v = new RecordValidator(registry, { feedClock: new FeedClock(registry.size) });
    for (let i = 0; i < 4; i++) expect(isRejection(v.validate(rec(i, T + i)))).toBe(false);
    const r = v.validate(rec(4, T + 45 * MIN));
    expect(isRejection(r) && r.code).toBe('future_ts');
    expect(isRejection(r) && r.detail).toBe('2026-03-02T00:45:00.000Z is 45m ahead of the time 3 of 4 cameras have reached 2026-03-02T00:00:00.001Z');
  });

  it('keeps a record a few minutes ahead, counts it and caps the watermark it may reach', () => {
    const v = new RecordValidator(registry, { feedClock: new FeedClock(registry.size) });
    for (let i = 0; i < 4; i++) v.validate(rec(i, T));
    expect(v.watermarkCap).toBe(T + 2 * MIN);
    expect(isRejection(v.validate(rec(4, T + 5 * MIN)))).toBe(false);
    expect(v.notes.clock_ahead.value).toBe(1);
    expect(v.watermarkCap).toBe(T + 2 * MIN);
  });

  it('lets no record move the watermark before the cameras agree, and counts the first records found far ahead', () => {
    const v = new RecordValidator(registry, { feedClock: new FeedClock(registry.size) });
    expect(isRejection(v.validate(rec(0, T + 86_400_000)))).toBe(false);
    expect(v.watermarkCap).toBe(Number.NEGATIVE_INFINITY);
    v.validate(rec(1, T));
    expect(v.watermarkCap).toBe(Number.NEGATIVE_INFINITY);
    expect(v.notes.future_at_start.value).toBe(0);
    v.validate(rec(2, T));
    expect(v.watermarkCap).toBe(T + 2 * MIN);
    expect(v.notes.future_at_start.value).toBe(1);
  });

  it('live: judges a record against its arrival time from the first record on', () => {
    let now = T;
    const v = new RecordValidator(registry, { feedClock: new FeedClock(registry.size, { arrival: () => now }) });
    const r = v.validate(rec(0, T + 86_400_000));
    expect(isRejection(r) && r.detail).toBe('2026-03-03T00:00:00.000Z is 1d ahead of its arrival time 2026-03-02T00:00:00.000Z');
    expect(isRejection(v.validate(rec(0, T + 60_000)))).toBe(false);
    expect(v.watermarkCap).toBe(T + 2 * MIN);
    // The clock is read again before a record is refused: time has passed.
    now = T + 30 * MIN;
    expect(isRejection(v.validate(rec(1, T + 31 * MIN)))).toBe(false);
  });
});

describe('FeedClock consensus', () => {
  it('is the quorum-th latest time of the recent cameras, whatever order they report in', () => {
    const times = [5, 1, 9, 3, 7, 2];
    for (let rotate = 0; rotate < times.length; rotate++) {
      const c = new FeedClock(6);
      for (let i = 0; i < times.length; i++) {
        const cam = (i + rotate) % times.length;
        c.observe(cam, T + (times[cam] as number));
      }
      c.refresh();
      expect(c.reference()).toBe(T + 5);
      expect([c.cameras, c.quorumSize]).toEqual([6, 3]);
    }
  });
});
