import type { City } from './city.js';
import type { Rng } from './prng.js';
import type { RoutePlanner } from './routes.js';

/** Share of trips that leave the city, from a vehicle inside it. */
export const OUTBOUND_SHARE = 0.1;
/** Share of the fleet that starts the day outside (commuters, regional traffic). */
export const OUTSIDE_SHARE = 0.12;

/** Where trips start and end inside the city: the centre attracts more. Cumulative weights over `city.gridNodes`. */
export function gridNodeWeights(city: City): Float64Array {
  const cum = new Float64Array(city.gridNodes.length);
  let total = 0;
  city.gridNodes.forEach((n, k) => {
    const node = city.nodes[n]!;
    const r2 = node.x * node.x + node.y * node.y;
    total += 1 + 3 * Math.exp(-r2 / (2 * 16));
    cum[k] = total;
  });
  return cum;
}

/** A trip destination for a vehicle at `from`: into the city from outside; mostly within it, sometimes out. */
export function drawDestination(city: City, weights: Float64Array, from: number, rng: Rng): number {
  if (!city.nodes[from]!.external && rng.chance(OUTBOUND_SHARE)) return rng.pick(city.externalNodes);
  for (;;) {
    const to = city.gridNodes[rng.weighted(weights)]!;
    if (to !== from) return to;
  }
}

export function drawHomeLocation(city: City, weights: Float64Array, rng: Rng): number {
  return rng.chance(OUTSIDE_SHARE) ? rng.pick(city.externalNodes) : city.gridNodes[rng.weighted(weights)]!;
}

export interface Calibration {
  /** Mean cameras passed per trip: turns a record rate into a trip rate. */
  readonly capturesPerTrip: number;
  /** Per checkpoint index: its share of all captures. */
  readonly cpShare: Float64Array;
}

/** Samples trips once to learn how many captures a trip yields and how traffic spreads over cameras. */
export function calibrate(city: City, planner: RoutePlanner, weights: Float64Array, rng: Rng, samples = 6000): Calibration {
  const counts = new Float64Array(city.checkpoints.length);
  let captures = 0;
  for (let s = 0; s < samples; s++) {
    const from = drawHomeLocation(city, weights, rng);
    const to = drawDestination(city, weights, from, rng);
    const route = planner.route(from, to);
    if (route === null) continue;
    captures += route.cps.length;
    for (const cp of route.cps) counts[cp]!++;
  }
  const cpShare = counts.map((c) => c / Math.max(1, captures));
  return { capturesPerTrip: Math.max(0.5, captures / samples), cpShare };
}
