/** What the dashboard page needs besides the streams: the checkpoints to draw, the city's zone, the rules, the replay. */
import type { CheckpointRegistry } from '../../traffic/registry.js';

export interface DashboardCheckpoint {
  readonly id: string;
  readonly name: string;
  readonly lat: number;
  readonly lon: number;
  readonly segment: string;
  readonly kind: string;
  readonly direction: string;
  /** The registry's road name, when it has one. */
  readonly road: string | null;
}

export interface DashboardInfo {
  /** An IANA name or a fixed offset such as +08:00: the zone the page shows times in. */
  readonly timeZone: string;
  readonly checkpoints: readonly DashboardCheckpoint[];
  readonly rules: readonly { readonly id: string; readonly severity: string; readonly description: string }[];
  /** Streams kept for the API (the dashboard's the program has, and every --stream). */
  readonly streams: readonly string[];
  /** A replayed recording (`vigil demo`): its file and pace; null for a live feed. */
  readonly replay: { readonly input: string; readonly pace: number } | null;
  /** Whether the vehicle lookup (/api/vehicles/:plate) answers. */
  readonly vehicleLookup: boolean;
  /** Whether /api/days answers (days made final by `vigil rerun`). */
  readonly days: boolean;
}

export function dashboardCheckpoints(registry: CheckpointRegistry): DashboardCheckpoint[] {
  return registry.all().map((c) => ({
    id: c.id,
    name: c.name,
    lat: c.lat,
    lon: c.lon,
    segment: c.segment,
    kind: c.kind,
    direction: c.direction,
    road: typeof c['road'] === 'string' ? c['road'] : null,
  }));
}
