import { haversineKm } from '../geo.js';
import type { PlateColor } from '../record.js';
import type { City } from './city.js';
import { drawColor, drawPlate, type Fleet } from './fleet.js';
import type { Rng } from './prng.js';
import type { Route, RoutePlanner } from './routes.js';

const MIN = 60_000;

/** Smallest distance between the cameras of a vehicle and of its clone. */
export const MIN_CLONE_KM = 10;

export interface Leg {
  readonly to: number;
  readonly route: Route;
}

export interface ClonePick {
  readonly vehicle: number;
  /** The real vehicle's short trip from where it is parked. */
  readonly a: Leg;
  /** The clone's short trip in another part of the city. */
  readonly b: Leg;
  /** Smallest distance between any camera of one leg and any of the other. */
  readonly minKm: number;
}

/** A short trip (2-7 km) from `from` that passes at least two cameras, so each side of a clone is corroborated. */
function nearLeg(city: City, planner: RoutePlanner, from: number, rng: Rng): Leg | null {
  for (let tries = 0; tries < 40; tries++) {
    const to = rng.pick(city.gridNodes);
    const a = city.nodes[from]!;
    const b = city.nodes[to]!;
    const d = Math.hypot(a.x - b.x, a.y - b.y);
    if (d < 2 || d > 7) continue;
    const route = planner.route(from, to);
    if (route !== null && route.cps.length >= 2) return { to, route };
  }
  return null;
}

/**
 * Chooses a cloned-plate episode: a parked fleet vehicle (idle for 30 minutes, so no earlier sighting
 * pairs with the clone) and a clone starting at least 13 km away, whose cameras are all at least
 * {@link MIN_CLONE_KM} from the real vehicle's: far enough that two minutes of clock skew on each side
 * cannot make the pair look possible for long. Null when none fits.
 */
export function pickClone(city: City, planner: RoutePlanner, fleet: Fleet, fleetCore: number, rng: Rng, t: number): ClonePick | null {
  const cps = city.checkpoints;
  for (let attempt = 0; attempt < 400; attempt++) {
    const v = rng.int(fleetCore);
    const loc = fleet.location[v]!;
    if (fleet.busyUntil[v]! > t - 30 * MIN || city.nodes[loc]!.external) continue;
    const a = nearLeg(city, planner, loc, rng);
    if (a === null) continue;
    const bFrom = rng.pick(city.gridNodes);
    const na = city.nodes[loc]!;
    const nb = city.nodes[bFrom]!;
    if (Math.hypot(na.x - nb.x, na.y - nb.y) < 13) continue;
    const b = nearLeg(city, planner, bFrom, rng);
    if (b === null) continue;
    let minKm = Infinity;
    for (const i of a.route.cps) {
      for (const j of b.route.cps) {
        const p = cps[i]!;
        const q = cps[j]!;
        minKm = Math.min(minKm, haversineKm(p.lat, p.lon, q.lat, q.lon));
      }
    }
    if (minKm >= MIN_CLONE_KM) return { vehicle: v, a, b, minKm };
  }
  return null;
}

/** The same number under another colour keeps its format: blue and yellow plates share one, green ones another. */
const TWIN_COLOR: Readonly<Record<PlateColor, PlateColor>> = {
  blue: 'yellow',
  yellow: 'blue',
  green: 'yellow_green',
  yellow_green: 'green',
  white: 'blue',
  black: 'blue',
  unknown: 'blue',
};

/**
 * A plate+colour never seen before. A quarter of newcomers share a known vehicle's number under
 * another colour: a different registration, which a first-seen rule must not confuse with the known one.
 */
export function pickNewcomer(fleet: Fleet, fleetCore: number, rng: Rng): { plate: string; color: PlateColor; sameNumber: boolean } {
  const twin = rng.int(fleetCore);
  const otherColor = TWIN_COLOR[fleet.colors[twin]!];
  if (rng.chance(0.25) && !fleet.hasKey(fleet.plates[twin]!, otherColor)) return { plate: fleet.plates[twin]!, color: otherColor, sameNumber: true };
  const color = drawColor(rng);
  let plate: string;
  do plate = drawPlate(color, rng);
  while (fleet.hasKey(plate, color));
  return { plate, color, sameNumber: false };
}
