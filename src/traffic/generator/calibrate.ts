import type { City } from './city.js';
import type { Rng } from './prng.js';
import type { Route, RoutePlanner } from './routes.js';

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
  /**
   * Per checkpoint index, `DELAY_BINS` fractions: of its captures, the share made k to k+1 minutes after the trip
   * started (free-flow speed). A camera's flow follows the trip starts of those minutes before, not of the instant.
   */
  readonly delayShare: Float64Array;
}

/** Minutes of trip-start-to-camera delay the calibration tells apart; longer delays count in the last bin. */
export const DELAY_BINS = 120;
/** The fleet's mean speed factor (fleet.ts draws 0.88-1.10). */
const MEAN_SPEED_FACTOR = 0.99;

/** Samples trips once to learn how many captures a trip yields and how traffic spreads over cameras. */
export function calibrate(city: City, planner: RoutePlanner, weights: Float64Array, rng: Rng, samples = 6000): Calibration {
  const counts = new Float64Array(city.checkpoints.length);
  const delays = new Float64Array(city.checkpoints.length * DELAY_BINS);
  let captures = 0;
  for (let s = 0; s < samples; s++) {
    const from = drawHomeLocation(city, weights, rng);
    const to = drawDestination(city, weights, from, rng);
    const route = planner.route(from, to);
    if (route === null) continue;
    captures += route.cps.length;
    route.cps.forEach((cp, k) => {
      counts[cp]!++;
      const bin = Math.min(DELAY_BINS - 1, Math.floor(minutesToCamera(city, route, k)));
      delays[cp * DELAY_BINS + bin]!++;
    });
  }
  const cpShare = counts.map((c) => c / Math.max(1, captures));
  for (let cp = 0; cp < counts.length; cp++) for (let b = 0; b < DELAY_BINS; b++) delays[cp * DELAY_BINS + b]! /= Math.max(1, counts[cp]!);
  return { capturesPerTrip: Math.max(0.5, captures / samples), cpShare, delayShare: delays };
}

/** Free-flow minutes from a route's start to its k-th camera. */
function minutesToCamera(city: City, route: Route, k: number): number {
  let hours = 0;
  const last = route.cpLinkPos[k]!;
  for (let p = 0; p <= last; p++) {
    const link = city.links[route.links[p]!]!;
    const km = p === last ? route.cpOffsetKm[k]! : link.lengthKm;
    hours += km / (link.limitKmh * MEAN_SPEED_FACTOR);
  }
  return hours * 60;
}
