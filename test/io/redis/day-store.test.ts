/**
 * The trajectories of the day store on the real Redis: a sighting written again (a replay) is one member, a
 * trajectory_steps update of a capture (its new gap after a backlog) replaces it, captures of one millisecond stay
 * apart, and a vehicle keeps its latest sightings.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DayStore, DayWriter, dayKeys, type TrajectoryPoint } from '../../../src/io/redis/day-store.js';
import { requireRedis, uniquePrefix } from './server.js';

let redis: Redis;
const group = uniquePrefix('days').replaceAll(':', '-');
const keys = dayKeys(group);
const DAY = '2026-03-02';
const T0 = Date.parse('2026-03-02T08:00:00Z');

beforeAll(async () => {
  redis = await requireRedis('vigil-test-day-store');
});
afterAll(async () => {
  await redis.unlink(keys.trajectory(DAY, 'A1'), keys.trajectory(DAY, 'B2'));
  await redis?.quit();
});

const point = (id: string | null, checkpoint: string, ts: number, gap: number | null): TrajectoryPoint => ({
  id,
  checkpoint,
  ts,
  plate_color: 'blue',
  direction: null,
  speed: null,
  lane: null,
  gap,
});

describe('DayWriter trajectories', () => {
  it('keeps one member per capture: a replay adds nothing, an update replaces the gap', async () => {
    const writer = new DayWriter({ redis, keys, maxPerVehicle: 3 });
    const expireAt = Date.now() + 60_000;
    writer.sighting(DAY, 'A1', point('x1', 'CP1', T0, null), expireAt);
    writer.sighting(DAY, 'A1', point('x3', 'CP3', T0 + 5000, 5000), expireAt);
    writer.sighting(DAY, 'A1', point('x3b', 'CP4', T0 + 5000, 0), expireAt); // same millisecond, another capture
    expect(await writer.drain(5000)).toBe(true);
    // x2 came late between x1 and x3: x3 again with its new gap; x1 replayed as it was.
    writer.sighting(DAY, 'A1', point('x2', 'CP2', T0 + 2000, 2000), expireAt);
    writer.sighting(DAY, 'A1', point('x3', 'CP3', T0 + 5000, 3000), expireAt);
    writer.sighting(DAY, 'A1', point('x1', 'CP1', T0, null), expireAt);
    expect(await writer.drain(5000)).toBe(true);
    const store = new DayStore(redis, keys);
    // At most 3 per vehicle: the oldest (x1) goes.
    const trip = await store.trajectory(DAY, 'A1');
    expect(trip.map((p) => [p.id, p.gap])).toEqual([
      ['x2', 2000],
      ['x3', 3000],
      ['x3b', 0],
    ]);
    expect(await redis.pttl(keys.trajectory(DAY, 'A1'))).toBeGreaterThan(0);
  });

  it('tells captures without an id apart by checkpoint and time', async () => {
    const writer = new DayWriter({ redis, keys });
    const expireAt = Date.now() + 60_000;
    writer.sighting(DAY, 'B2', point(null, 'CP1', T0, null), expireAt);
    writer.sighting(DAY, 'B2', point(null, 'CP2', T0, 0), expireAt);
    writer.sighting(DAY, 'B2', point(null, 'CP2', T0, 10), expireAt);
    expect(await writer.drain(5000)).toBe(true);
    const trip = await new DayStore(redis, keys).trajectory(DAY, 'B2');
    expect(trip.map((p) => [p.checkpoint, p.gap])).toEqual([
      ['CP1', null],
      ['CP2', 10],
    ]);
  });
});
