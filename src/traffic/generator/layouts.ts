import type { Rng } from './prng.js';

/**
 * Road layouts of synthetic cities, before any camera is placed: nodes in km from the centre, two-way roads
 * (both directions as links) and expressway gateways to external nodes. Each layout is about 20 km or more
 * across, so a clone's two cars can be 13 km apart.
 */

export type CityLayout = 'grid' | 'ring' | 'corridor';
export const CITY_LAYOUTS: readonly CityLayout[] = ['grid', 'ring', 'corridor'];

export interface SkeletonNode {
  readonly x: number;
  readonly y: number;
  readonly external: boolean;
}

/** A two-way city road between two nodes: becomes one link per direction. */
export interface SkeletonRoad {
  readonly a: number;
  readonly b: number;
  readonly road: string;
  readonly limitKmh: number;
}

export interface SkeletonGateway {
  readonly external: number;
  readonly inner: number;
  readonly road: string;
}

export interface Skeleton {
  readonly nodes: SkeletonNode[];
  readonly roads: SkeletonRoad[];
  readonly gateways: SkeletonGateway[];
  /** How many roads get cameras (in both directions). */
  readonly cameraRoads: number;
}

/** The reference city: a jittered 9 x 9 grid 2.4 km apart, a ring road on its boundary, three gateways per side. */
export function gridSkeleton(rng: Rng): Skeleton {
  const GRID = 9;
  const SPACING_KM = 2.4;
  const GATEWAY_KM = 3;
  const nodes: SkeletonNode[] = [];
  const idx = (i: number, j: number): number => j * GRID + i;
  const half = (GRID - 1) / 2;
  for (let j = 0; j < GRID; j++) {
    for (let i = 0; i < GRID; i++) {
      const x = (i - half) * SPACING_KM + rng.range(-0.25, 0.25);
      const y = (j - half) * SPACING_KM + rng.range(-0.25, 0.25);
      nodes.push({ x, y, external: false });
    }
  }
  const onBoundary = (i: number): boolean => i === 0 || i === GRID - 1;
  const limitFor = (a: number, b: number, onRing: boolean): number => {
    if (onRing) return 70;
    const na = nodes[a]!;
    const nb = nodes[b]!;
    return Math.hypot(na.x, na.y) < 4 && Math.hypot(nb.x, nb.y) < 4 ? 50 : 60;
  };
  // Jing n Rd run north-south, Wei n Rd east-west (as in many Chinese cities).
  const roads: SkeletonRoad[] = [];
  for (let j = 0; j < GRID; j++) {
    for (let i = 0; i < GRID; i++) {
      if (i + 1 < GRID) roads.push({ a: idx(i, j), b: idx(i + 1, j), road: `Wei ${j + 1} Rd`, limitKmh: limitFor(idx(i, j), idx(i + 1, j), onBoundary(j)) });
      if (j + 1 < GRID) roads.push({ a: idx(i, j), b: idx(i, j + 1), road: `Jing ${i + 1} Rd`, limitKmh: limitFor(idx(i, j), idx(i, j + 1), onBoundary(i)) });
    }
  }
  const gateways: SkeletonGateway[] = [];
  const sides: [number, number, number, number][] = []; // i, j, outward dx, dy
  for (const k of [2, 4, 6]) sides.push([k, GRID - 1, 0, 1], [GRID - 1, k, 1, 0], [k, 0, 0, -1], [0, k, -1, 0]);
  sides.forEach(([i, j, dx, dy], g) => {
    const inner = idx(i, j);
    const n = nodes[inner]!;
    nodes.push({ x: n.x + dx * GATEWAY_KM, y: n.y + dy * GATEWAY_KM, external: true });
    gateways.push({ external: nodes.length - 1, inner, road: `G${g + 1} Expressway` });
  });
  return { nodes, roads, gateways, cameraRoads: 32 };
}

/**
 * Ring roads and radial avenues: a centre, four rings 2.5 km apart (the outer one an urban expressway), twelve
 * radials, and gateways on eight of them.
 */
export function ringSkeleton(rng: Rng): Skeleton {
  const RINGS = 4;
  const SPOKES = 12;
  const STEP_KM = 2.5;
  const GATEWAY_KM = 3;
  const nodes: SkeletonNode[] = [{ x: 0, y: 0, external: false }];
  const idx = (ring: number, spoke: number): number => 1 + ring * SPOKES + ((spoke + SPOKES) % SPOKES);
  for (let r = 0; r < RINGS; r++) {
    for (let s = 0; s < SPOKES; s++) {
      const angle = (2 * Math.PI * s) / SPOKES + rng.range(-0.05, 0.05);
      const radius = (r + 1) * STEP_KM + rng.range(-0.2, 0.2);
      nodes.push({ x: radius * Math.cos(angle), y: radius * Math.sin(angle), external: false });
    }
  }
  const roads: SkeletonRoad[] = [];
  for (let s = 0; s < SPOKES; s++) roads.push({ a: 0, b: idx(0, s), road: `Radial ${s + 1} Rd`, limitKmh: 50 });
  for (let r = 0; r < RINGS; r++) {
    for (let s = 0; s < SPOKES; s++) {
      roads.push({ a: idx(r, s), b: idx(r, s + 1), road: `Ring ${r + 1} Rd`, limitKmh: r === RINGS - 1 ? 80 : r === 0 ? 50 : 60 });
      if (r + 1 < RINGS) roads.push({ a: idx(r, s), b: idx(r + 1, s), road: `Radial ${s + 1} Rd`, limitKmh: r === 0 ? 50 : 60 });
    }
  }
  const gateways: SkeletonGateway[] = [];
  for (let s = 0; s < SPOKES; s++) {
    if (s % 3 === 2) continue;
    const inner = idx(RINGS - 1, s);
    const n = nodes[inner]!;
    const d = Math.hypot(n.x, n.y);
    nodes.push({ x: n.x + (n.x / d) * GATEWAY_KM, y: n.y + (n.y / d) * GATEWAY_KM, external: true });
    gateways.push({ external: nodes.length - 1, inner, road: `G${gateways.length + 1} Expressway` });
  }
  return { nodes, roads, gateways, cameraRoads: 30 };
}

/**
 * A long corridor city (~34 km end to end): a main avenue with a parallel back street 1.5 km north, joined every
 * other node; an expressway gateway at each end and ramps from the south.
 */
export function corridorSkeleton(rng: Rng): Skeleton {
  const N = 14;
  const SPACING_KM = 2.6;
  const GATEWAY_KM = 3;
  const nodes: SkeletonNode[] = [];
  const half = (N - 1) / 2;
  for (let i = 0; i < N; i++) nodes.push({ x: (i - half) * SPACING_KM + rng.range(-0.2, 0.2), y: rng.range(-0.3, 0.3), external: false });
  for (let i = 0; i < N; i++) nodes.push({ x: (i - half) * SPACING_KM + rng.range(-0.2, 0.2), y: 1.5 + rng.range(-0.3, 0.3), external: false });
  const roads: SkeletonRoad[] = [];
  for (let i = 0; i + 1 < N; i++) {
    roads.push({ a: i, b: i + 1, road: 'Corridor Ave', limitKmh: Math.abs(i + 0.5 - half) < 3 ? 60 : 70 });
    roads.push({ a: N + i, b: N + i + 1, road: 'Back St', limitKmh: 50 });
  }
  for (let i = 0; i < N; i += 2) roads.push({ a: i, b: N + i, road: `Cross ${i / 2 + 1} St`, limitKmh: 40 });
  const gateways: SkeletonGateway[] = [];
  const addGate = (inner: number, dx: number, dy: number): void => {
    const n = nodes[inner]!;
    nodes.push({ x: n.x + dx * GATEWAY_KM, y: n.y + dy * GATEWAY_KM, external: true });
    gateways.push({ external: nodes.length - 1, inner, road: `G${gateways.length + 1} Expressway` });
  };
  addGate(0, -1, 0);
  addGate(N - 1, 1, 0);
  for (const i of [3, 7, 10]) addGate(i, 0, -1);
  return { nodes, roads, gateways, cameraRoads: 30 };
}

export function skeleton(layout: CityLayout, rng: Rng): Skeleton {
  switch (layout) {
    case 'grid':
      return gridSkeleton(rng);
    case 'ring':
      return ringSkeleton(rng);
    case 'corridor':
      return corridorSkeleton(rng);
  }
}
