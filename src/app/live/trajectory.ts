/**
 * Each vehicle's trajectory of the day, from the program's `trajectory_steps` stream (patterns/analytics.pattern:
 * every capture of a readable plate with its previous capture of the day and the gap, computed in the language by
 * prev()): `vigil serve` keeps it in Redis per plate and day (bounded, expiring a few days after the day), the demo
 * in memory (VehicleSightings). Both answer /api/vehicles/PLATE through VehicleLookup. A record with `update: true`
 * (a backlog put a capture before it) replaces the one of the same capture.
 */
import type { Rec } from '../../dsl/index.js';
import type { DayStore, TrajectoryPoint } from '../../io/redis/day-store.js';
import { dayOf } from '../days.js';

/** The stream whose records are sightings, with their gap. */
export const SIGHTINGS_STREAM = 'trajectory_steps';

export interface Sighting {
  readonly plate: string;
  readonly plate_color: string | null;
  readonly checkpoint: string;
  readonly ts: number;
  readonly direction: string | null;
  readonly speed: number | null;
  readonly lane: number | null;
  /** Since the vehicle's previous capture that day (ms); null for its first. */
  readonly gap: number | null;
}

/** What the lookup answers: a plate's sightings in event-time order (of `day`, a local date, where days are kept). */
export interface VehicleLookup {
  sightings(plate: string, day?: string): Promise<readonly Sighting[]>;
  /** Whether sightings are kept per day (the API then says which day it answered for). */
  readonly byDay: boolean;
  /** The day a lookup without one reads. */
  today(): string | null;
}

const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** A `trajectory_steps` record as a sighting; null without plate, checkpoint or time. */
export function trajectoryPoint(record: Rec): (TrajectoryPoint & { readonly plate: string }) | null {
  const plate = text(record['plate']);
  const checkpoint = text(record['checkpoint']);
  const ts = num(record['ts']);
  if (plate === null || checkpoint === null || ts === null) return null;
  return {
    plate,
    id: text(record['id']),
    checkpoint,
    ts,
    plate_color: text(record['plate_color']),
    direction: text(record['direction']),
    speed: num(record['speed']),
    lane: num(record['lane']),
    gap: num(record['gap']),
  };
}

/** Whether two sightings are one capture (an update replaces the record it updates): its id, else checkpoint and time. */
export function sameCapture(a: { id?: string | null; checkpoint: string; ts: number }, b: { id?: string | null; checkpoint: string; ts: number }): boolean {
  if (a.id != null || b.id != null) return a.id === b.id;
  return a.checkpoint === b.checkpoint && a.ts === b.ts;
}

/** Plates as the traffic schema writes them: upper case (half-width is the validator's; a lookup is typed). */
export function lookupPlate(plate: string): string {
  return plate.trim().toUpperCase();
}

/** The trajectories `vigil serve` keeps in Redis. */
export class RedisTrajectories implements VehicleLookup {
  readonly byDay = true;

  constructor(
    private readonly store: () => Promise<DayStore>,
    private readonly zone: string,
    private readonly now: () => number = Date.now,
  ) {}

  today(): string {
    return dayOf(this.now(), this.zone);
  }

  async sightings(plate: string, day = this.today()): Promise<Sighting[]> {
    const key = lookupPlate(plate);
    const points = await (await this.store()).trajectory(day, key);
    return points.map((p) => ({
      plate: key,
      plate_color: p.plate_color,
      checkpoint: p.checkpoint,
      ts: p.ts,
      direction: p.direction,
      speed: p.speed,
      lane: p.lane,
      gap: p.gap ?? null,
    }));
  }
}
