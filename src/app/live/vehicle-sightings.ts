/**
 * Each vehicle's sightings in memory, fed by the job's `trajectory_steps` stream: the demo's vehicle lookup (a replay of one
 * recording; `vigil serve` keeps trajectories per day in Redis, see trajectory.ts). Bounded: the vehicles seen least
 * recently are forgotten past `maxVehicles`, and a vehicle keeps its latest `maxPerVehicle`.
 */
import type { Sink } from '../../core/index.js';
import type { Rec } from '../../dsl/index.js';
import { lookupPlate, type Sighting, sameCapture, trajectoryPoint, type VehicleLookup } from './trajectory.js';

export type { Sighting, VehicleLookup } from './trajectory.js';

export class VehicleSightings implements VehicleLookup, Sink<Rec> {
  readonly byDay = false;
  /** Plate -> sightings in arrival order; Map order is recency (a vehicle seen again moves to the end). */
  private readonly byPlate = new Map<string, (Sighting & { readonly id: string | null })[]>();

  constructor(
    private readonly maxVehicles = 200_000,
    private readonly maxPerVehicle = 500,
  ) {}

  write(record: Rec): void {
    const point = trajectoryPoint(record);
    if (point === null) return;
    const { plate } = point;
    let list = this.byPlate.get(plate);
    if (list === undefined) {
      list = [];
      if (this.byPlate.size >= this.maxVehicles) {
        const oldest = this.byPlate.keys().next();
        if (oldest.done !== true) this.byPlate.delete(oldest.value);
      }
    } else this.byPlate.delete(plate);
    this.byPlate.set(plate, list);
    const sighting = {
      plate,
      id: point.id,
      plate_color: point.plate_color,
      checkpoint: point.checkpoint,
      ts: point.ts,
      direction: point.direction,
      speed: point.speed,
      lane: point.lane,
      gap: point.gap,
    };
    // An update (a backlog came before this capture) replaces the capture's record.
    const at = record['update'] === true ? list.findIndex((s) => sameCapture(s, sighting)) : -1;
    if (at >= 0) list[at] = sighting;
    else list.push(sighting);
    if (list.length > this.maxPerVehicle) list.shift();
  }

  today(): null {
    return null;
  }

  /** The plate's sightings in event-time order (a plate is matched as the traffic schema writes it: upper case, half-width). */
  async sightings(plate: string): Promise<Sighting[]> {
    return this.sightingsNow(plate);
  }

  sightingsNow(plate: string): Sighting[] {
    const list = this.byPlate.get(lookupPlate(plate)) ?? this.byPlate.get(plate.trim()) ?? [];
    return list.map(({ id: _id, ...s }) => s).sort((a, b) => a.ts - b.ts);
  }

  get vehicles(): number {
    return this.byPlate.size;
  }
}
