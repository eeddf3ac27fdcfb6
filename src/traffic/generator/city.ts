import type { Checkpoint } from '../registry.js';
import { Rng } from './prng.js';

/**
 * The synthetic city: a jittered grid of arterial roads (~20 km across) with expressway gateways
 * on its boundary, and camera checkpoints on some directed road links. The checkpoint registry
 * (`fixtures/checkpoints.json`) is derived from this graph, so generator and registry agree.
 * The layout uses a fixed seed: every traffic seed drives through the same city.
 */

export const CITY_SEED = 'vigil-city-v1';
export const CENTRE_LAT = 30.2741;
export const CENTRE_LON = 120.1551;

const GRID = 9;
const SPACING_KM = 2.4;
const GATEWAY_KM = 3;
const KM_PER_DEG_LAT = 110.574;
const KM_PER_DEG_LON = 111.32 * Math.cos((CENTRE_LAT * Math.PI) / 180);

export interface CityNode {
  readonly index: number;
  /** km east / north of the centre. */
  readonly x: number;
  readonly y: number;
  readonly lat: number;
  readonly lon: number;
  readonly external: boolean;
}

export type LinkKind = 'grid' | 'gateway_in' | 'gateway_out';

export interface CityLink {
  readonly index: number;
  readonly from: number;
  readonly to: number;
  readonly kind: LinkKind;
  readonly lengthKm: number;
  readonly limitKmh: number;
  readonly road: string;
  readonly direction: 'in' | 'out';
  /** Segment id when the link carries cameras, else null. */
  segment: string | null;
  /** Indices into `City.checkpoints`, in driving order, and their distance from the link start. */
  readonly cps: number[];
  readonly cpOffsetKm: number[];
}

export interface City {
  readonly nodes: readonly CityNode[];
  readonly links: readonly CityLink[];
  /** Outgoing link indices per node. */
  readonly outLinks: readonly (readonly number[])[];
  readonly gridNodes: readonly number[];
  readonly externalNodes: readonly number[];
  /** The registry entries, in id order. */
  readonly checkpoints: readonly Checkpoint[];
  /** Per checkpoint index: the link it sits on. */
  readonly cpLink: readonly number[];
  /** Per segment id: its link. */
  readonly segmentLink: ReadonlyMap<string, number>;
}

function toLatLon(x: number, y: number): { lat: number; lon: number } {
  return { lat: round6(CENTRE_LAT + y / KM_PER_DEG_LAT), lon: round6(CENTRE_LON + x / KM_PER_DEG_LON) };
}

function round6(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

function compass(dx: number, dy: number): string {
  if (Math.abs(dx) >= Math.abs(dy)) return dx > 0 ? 'eastbound' : 'westbound';
  return dy > 0 ? 'northbound' : 'southbound';
}

let cached: City | null = null;

/** The city (built once per process; deterministic). */
export function buildCity(): City {
  if (cached === null) cached = build();
  return cached;
}

function build(): City {
  const rng = new Rng(CITY_SEED);
  const nodes: CityNode[] = [];
  const gridIndex = (i: number, j: number): number => j * GRID + i;
  const half = (GRID - 1) / 2;
  for (let j = 0; j < GRID; j++) {
    for (let i = 0; i < GRID; i++) {
      const x = (i - half) * SPACING_KM + rng.range(-0.25, 0.25);
      const y = (j - half) * SPACING_KM + rng.range(-0.25, 0.25);
      nodes.push({ index: nodes.length, x, y, ...toLatLon(x, y), external: false });
    }
  }
  const gridNodes = nodes.map((n) => n.index);

  const links: CityLink[] = [];
  const addLink = (from: number, to: number, kind: LinkKind, road: string, limitKmh: number): CityLink => {
    const a = nodes[from]!;
    const b = nodes[to]!;
    const lengthKm = Math.hypot(b.x - a.x, b.y - a.y);
    const direction: 'in' | 'out' =
      kind === 'gateway_in' ? 'in' : kind === 'gateway_out' ? 'out' : Math.hypot(b.x, b.y) < Math.hypot(a.x, a.y) ? 'in' : 'out';
    const link: CityLink = { index: links.length, from, to, kind, lengthKm, limitKmh, road, direction, segment: null, cps: [], cpOffsetKm: [] };
    links.push(link);
    return link;
  };
  const onBoundary = (i: number): boolean => i === 0 || i === GRID - 1;
  const limitFor = (a: number, b: number, onRing: boolean): number => {
    if (onRing) return 70;
    const na = nodes[a]!;
    const nb = nodes[b]!;
    return Math.hypot(na.x, na.y) < 4 && Math.hypot(nb.x, nb.y) < 4 ? 50 : 60;
  };
  // Grid edges, both directions: Jing n Rd run north-south, Wei n Rd east-west (as in many Chinese cities).
  const gridPairs: [CityLink, CityLink][] = [];
  for (let j = 0; j < GRID; j++) {
    for (let i = 0; i < GRID; i++) {
      if (i + 1 < GRID) {
        const a = gridIndex(i, j);
        const b = gridIndex(i + 1, j);
        const lim = limitFor(a, b, onBoundary(j));
        gridPairs.push([addLink(a, b, 'grid', `Wei ${j + 1} Rd`, lim), addLink(b, a, 'grid', `Wei ${j + 1} Rd`, lim)]);
      }
      if (j + 1 < GRID) {
        const a = gridIndex(i, j);
        const b = gridIndex(i, j + 1);
        const lim = limitFor(a, b, onBoundary(i));
        gridPairs.push([addLink(a, b, 'grid', `Jing ${i + 1} Rd`, lim), addLink(b, a, 'grid', `Jing ${i + 1} Rd`, lim)]);
      }
    }
  }
  // Expressway gateways: three per side, each an external node joined to a boundary node.
  const externalNodes: number[] = [];
  const gateways: { inbound: CityLink; outbound: CityLink }[] = [];
  const sides: [number, number, number, number][] = []; // i, j, outward dx, dy
  for (const k of [2, 4, 6]) {
    sides.push([k, GRID - 1, 0, 1], [GRID - 1, k, 1, 0], [k, 0, 0, -1], [0, k, -1, 0]);
  }
  sides.forEach(([i, j, dx, dy], g) => {
    const inner = nodes[gridIndex(i, j)]!;
    const x = inner.x + dx * GATEWAY_KM;
    const y = inner.y + dy * GATEWAY_KM;
    const ext: CityNode = { index: nodes.length, x, y, ...toLatLon(x, y), external: true };
    nodes.push(ext);
    externalNodes.push(ext.index);
    const road = `G${g + 1} Expressway`;
    gateways.push({ inbound: addLink(ext.index, inner.index, 'gateway_in', road, 80), outbound: addLink(inner.index, ext.index, 'gateway_out', road, 80) });
  });

  // Cameras. Entry checkpoints sit where the expressway meets the city, facing inbound.
  const checkpoints: Checkpoint[] = [];
  const cpLink: number[] = [];
  const segmentLink = new Map<string, number>();
  let segmentCount = 0;
  const place = (link: CityLink, fractions: readonly number[], entryFirst: boolean): void => {
    const segment = `SEG${String(++segmentCount).padStart(3, '0')}`;
    link.segment = segment;
    segmentLink.set(segment, link.index);
    const a = nodes[link.from]!;
    const b = nodes[link.to]!;
    const ux = (b.x - a.x) / link.lengthKm;
    const uy = (b.y - a.y) / link.lengthKm;
    const heading = compass(ux, uy);
    const lanes = link.kind === 'grid' ? 2 + rng.int(2) : 3 + rng.int(2);
    fractions.forEach((f, k) => {
      const along = f * link.lengthKm;
      // 12 m to the right of the centre line: the two carriageways' cameras do not coincide.
      const x = a.x + ux * along + uy * 0.012;
      const y = a.y + uy * along - ux * 0.012;
      const id = `CP${String(checkpoints.length + 1).padStart(4, '0')}`;
      const kind = entryFirst && k === 0 ? 'entry' : 'inner';
      const name = link.kind === 'grid' ? `${link.road} km ${along.toFixed(1)} from node ${link.from} (${heading})` : `${link.road} ${kind === 'entry' ? 'city entry' : link.direction === 'in' ? 'inbound' : 'outbound'} gantry ${k + 1}`;
      link.cps.push(checkpoints.length);
      link.cpOffsetKm.push(along);
      cpLink.push(link.index);
      // The next camera downstream on the same segment ("" for the last): where a vehicle seen here is seen next.
      const next = k + 1 < fractions.length ? `CP${String(checkpoints.length + 2).padStart(4, '0')}` : '';
      checkpoints.push({ id, name, ...toLatLon(x, y), segment, direction: link.direction, kind, lanes, road: link.road, speed_limit: link.limitKmh, next_on_segment: next });
    });
  };
  for (const g of gateways) place(g.inbound, [0.7, 0.93], true);
  gateways.forEach((g, k) => {
    if (k % 2 === 0) place(g.outbound, [0.1, 0.35], false);
  });
  // 32 roads get cameras in both directions; 2-4 gantries per direction.
  const order = gridPairs.map((_, k) => k);
  for (let k = order.length - 1; k > 0; k--) {
    const r = rng.int(k + 1);
    [order[k], order[r]] = [order[r]!, order[k]!];
  }
  const chosen = order.slice(0, 32).sort((p, q) => p - q);
  for (const k of chosen) {
    for (const link of gridPairs[k]!) {
      const u = rng.next();
      const count = u < 0.45 ? 2 : u < 0.85 ? 3 : 4;
      const fractions: number[] = [];
      for (let c = 0; c < count; c++) fractions.push(0.15 + (0.7 * (c + rng.range(0.2, 0.8))) / count);
      place(link, fractions, false);
    }
  }

  const outLinks: number[][] = nodes.map(() => []);
  for (const l of links) outLinks[l.from]!.push(l.index);
  return { nodes, links, outLinks, gridNodes, externalNodes, checkpoints, cpLink, segmentLink };
}

/** The registry JSON text of the city, as written to `fixtures/checkpoints.json`. */
export function cityRegistryJson(): string {
  return '[\n' + buildCity().checkpoints.map((cp) => '  ' + JSON.stringify(cp)).join(',\n') + '\n]\n';
}
