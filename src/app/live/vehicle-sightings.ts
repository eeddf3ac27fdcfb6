/**
 * Each vehicle's sightings, in memory, fed by the job's `plates` stream (the validated records whose plate can key
 * a vehicle): what the dashboard's vehicle lookup shows until the language has a trajectory stream. Bounded: the
 * vehicles seen least recently are forgotten past `maxVehicles`, and a vehicle keeps its latest `maxPerVehicle`.
 */
import type { Sink } from '../../core/index.js';
import type { Rec } from '../../dsl/index.js';

export interface Sighting {
  readonly plate: string;
  readonly plate_color: string | null;
  readonly checkpoint: string;
  readonly ts: number;
  readonly direction: string | null;
  readonly speed: number | null;
  readonly lane: number | null;
}

/** What the lookup answers. */
export interface VehicleLookup {
  sightings(plate: string): readonly Sighting[];
}

const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export class VehicleSightings implements VehicleLookup, Sink<Rec> {
  /** Plate -> sightings in arrival order; Map order is recency (a vehicle seen again moves to the end). */
  private readonly byPlate = new Map<string, Sighting[]>();

  constructor(
    private readonly maxVehicles = 200_000,
    private readonly maxPerVehicle = 500,
  ) {}

  write(record: Rec): void {
    const plate = text(record['plate']);
    const checkpoint = text(record['checkpoint']);
    const ts = num(record['ts']);
    if (plate === null || checkpoint === null || ts === null) return;
    let list = this.byPlate.get(plate);
    if (list === undefined) {
      list = [];
      if (this.byPlate.size >= this.maxVehicles) {
        const oldest = this.byPlate.keys().next();
        if (oldest.done !== true) this.byPlate.delete(oldest.value);
      }
    } else this.byPlate.delete(plate);
    this.byPlate.set(plate, list);
    list.push({
      plate,
      plate_color: text(record['plate_color']),
      checkpoint,
      ts,
      direction: text(record['direction']),
      speed: num(record['speed']),
      lane: num(record['lane']),
    });
    if (list.length > this.maxPerVehicle) list.shift();
  }

  /** The plate's sightings in event-time order (a plate is matched as the traffic schema writes it: upper case, half-width). */
  sightings(plate: string): Sighting[] {
    const list = this.byPlate.get(plate.trim().toUpperCase()) ?? this.byPlate.get(plate.trim()) ?? [];
    return [...list].sort((a, b) => a.ts - b.ts);
  }

  get vehicles(): number {
    return this.byPlate.size;
  }
}
