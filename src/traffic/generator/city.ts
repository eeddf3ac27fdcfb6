import type { Checkpoint } from '../registry.js';
import { CITY_LAYOUTS, type CityLayout, skeleton } from './layouts.js';
import { Rng } from './prng.js';

/**
 * The synthetic city: a road layout (layouts.ts; the reference city is a jittered grid ~20 km across) with
 * expressway gateways, and camera checkpoints on some directed road links. The checkpoint registry
 * (`fixtures/checkpoints.json` for the reference city) is derived from this graph, so generator and registry
 * agree. Each layout uses a fixed seed: every traffic seed drives through the same city.
 */

export const CITY_SEED = 'vigil-city-v1';
export const CENTRE_LAT = 30.2741;
export const CENTRE_LON = 120.1551;

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

/** `grid`: a city road of any layout; `gateway_*`: an expressway into or out of the city. */
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
  readonly options: CityOptions;
  /** Every camera with all its attributes, in id order; `direction` in the city's vocabulary. */
  readonly checkpoints: readonly Checkpoint[];
  /** The registry as published: the same cameras, with only the required fields when the options say so. */
  readonly registry: readonly Checkpoint[];
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

/**
 * The city's district (the registry's `district`, which the area analytics group by) from a camera's position: a
 * central district within 3 km of the centre, then four by compass sector. From the position alone, so adding it
 * changed no generated traffic.
 */
function district(x: number, y: number): string {
  if (Math.hypot(x, y) < 3) return 'Central';
  if (Math.abs(x) >= Math.abs(y)) return x > 0 ? 'East' : 'West';
  return y > 0 ? 'North' : 'South';
}

/** Required registry fields (docs/design.md); the rest are optional attributes. */
export const REQUIRED_REGISTRY_FIELDS = ['id', 'name', 'lat', 'lon', 'segment', 'direction', 'kind'] as const;

export type RegistryFields = 'full' | 'required';
export const REGISTRY_FIELDS: readonly RegistryFields[] = ['full', 'required'];

/**
 * How cameras label the carriageway they watch, in the registry and in every record: `in-out` (the reference),
 * `upper` (IN/OUT), `inbound-outbound`, `through` (expressway cameras in/out, city-road cameras "through") and
 * `compass` (northbound, eastbound, ...).
 */
export type DirectionVocabulary = 'in-out' | 'upper' | 'inbound-outbound' | 'through' | 'compass';
export const DIRECTION_VOCABULARIES: readonly DirectionVocabulary[] = ['in-out', 'upper', 'inbound-outbound', 'through', 'compass'];

/** What makes one city differ from another (the traffic seed only changes who drives where). */
export interface CityOptions {
  readonly layout?: CityLayout;
  /**
   * Cameras per directed city-road segment, [lo, hi] drawn uniformly (1..4). Default: 2-4 as the reference city
   * (45% two, 40% three, 15% four). Gateway roads get two gantries, one when hi is 1.
   */
  readonly cameras?: readonly [number, number];
  /** `full`: lanes, road, speed_limit, next_on_segment, district and bus_lanes besides the required fields (default); `required`: none. */
  readonly registry?: RegistryFields;
  readonly directions?: DirectionVocabulary;
}

const LAYOUT_SEEDS: Readonly<Record<CityLayout, string>> = { grid: CITY_SEED, ring: 'vigil-ring-v1', corridor: 'vigil-corridor-v1' };

/** Checks city options; throws RangeError with a message fit for the user. */
export function checkCityOptions(o: CityOptions): void {
  if (o.layout !== undefined && !CITY_LAYOUTS.includes(o.layout)) throw new RangeError(`layout must be one of ${CITY_LAYOUTS.join(', ')}, got '${o.layout}'`);
  if (o.cameras !== undefined) {
    const [lo, hi] = o.cameras;
    if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 1 && hi <= 4 && lo <= hi))
      throw new RangeError(`cameras per segment must be whole numbers LO-HI within 1-4, got ${lo}-${hi}`);
  }
  if (o.registry !== undefined && !REGISTRY_FIELDS.includes(o.registry))
    throw new RangeError(`registry must be one of ${REGISTRY_FIELDS.join(', ')}, got '${o.registry}'`);
  if (o.directions !== undefined && !DIRECTION_VOCABULARIES.includes(o.directions))
    throw new RangeError(`directions must be one of ${DIRECTION_VOCABULARIES.join(', ')}, got '${o.directions}'`);
}

const cache = new Map<string, City>();

/** The city of these options (built once per process; deterministic). No options: the reference city. */
export function buildCity(options: CityOptions = {}): City {
  checkCityOptions(options);
  const key = JSON.stringify([options.layout ?? 'grid', options.cameras ?? null, options.registry ?? 'full', options.directions ?? 'in-out']);
  let city = cache.get(key);
  if (city === undefined) cache.set(key, (city = build(options)));
  return city;
}

function directionLabel(vocabulary: DirectionVocabulary, link: CityLink, heading: string): string {
  switch (vocabulary) {
    case 'in-out':
      return link.direction;
    case 'upper':
      return link.direction.toUpperCase();
    case 'inbound-outbound':
      return link.direction + 'bound';
    case 'through':
      return link.kind === 'grid' ? 'through' : link.direction;
    case 'compass':
      return heading;
  }
}

function build(options: CityOptions): City {
  const layout = options.layout ?? 'grid';
  const vocabulary = options.directions ?? 'in-out';
  const rng = new Rng(LAYOUT_SEEDS[layout]);
  const sk = skeleton(layout, rng);
  const nodes: CityNode[] = sk.nodes.map((n, index) => ({ index, x: n.x, y: n.y, ...toLatLon(n.x, n.y), external: n.external }));
  const gridNodes = nodes.filter((n) => !n.external).map((n) => n.index);
  const externalNodes = nodes.filter((n) => n.external).map((n) => n.index);

  const links: CityLink[] = [];
  const addLink = (from: number, to: number, kind: LinkKind, road: string, limitKmh: number): CityLink => {
    const a = nodes[from]!;
    const b = nodes[to]!;
    const lengthKm = Math.hypot(b.x - a.x, b.y - a.y);
    const direction: 'in' | 'out' = kind === 'gateway_in' ? 'in' : kind === 'gateway_out' ? 'out' : Math.hypot(b.x, b.y) < Math.hypot(a.x, a.y) ? 'in' : 'out';
    const link: CityLink = { index: links.length, from, to, kind, lengthKm, limitKmh, road, direction, segment: null, cps: [], cpOffsetKm: [] };
    links.push(link);
    return link;
  };
  const roadPairs: [CityLink, CityLink][] = sk.roads.map((r) => [addLink(r.a, r.b, 'grid', r.road, r.limitKmh), addLink(r.b, r.a, 'grid', r.road, r.limitKmh)]);
  const gateways = sk.gateways.map((g) => ({
    inbound: addLink(g.external, g.inner, 'gateway_in', g.road, 80),
    outbound: addLink(g.inner, g.external, 'gateway_out', g.road, 80),
  }));

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
    const direction = directionLabel(vocabulary, link, heading);
    const lanes = link.kind === 'grid' ? 2 + rng.int(2) : 3 + rng.int(2);
    fractions.forEach((f, k) => {
      const along = f * link.lengthKm;
      // 12 m to the right of the centre line: the two carriageways' cameras do not coincide.
      const x = a.x + ux * along + uy * 0.012;
      const y = a.y + uy * along - ux * 0.012;
      const id = `CP${String(checkpoints.length + 1).padStart(4, '0')}`;
      const kind = entryFirst && k === 0 ? 'entry' : 'inner';
      const name =
        link.kind === 'grid'
          ? `${link.road} km ${along.toFixed(1)} from node ${link.from} (${heading})`
          : `${link.road} ${kind === 'entry' ? 'city entry' : link.direction === 'in' ? 'inbound' : 'outbound'} gantry ${k + 1}`;
      link.cps.push(checkpoints.length);
      link.cpOffsetKm.push(along);
      cpLink.push(link.index);
      // The next camera downstream on the same segment ("" for the last): where a vehicle seen here is seen next.
      const next = k + 1 < fractions.length ? `CP${String(checkpoints.length + 2).padStart(4, '0')}` : '';
      checkpoints.push({
        id,
        name,
        ...toLatLon(x, y),
        segment,
        direction,
        kind,
        lanes,
        road: link.road,
        speed_limit: link.limitKmh,
        next_on_segment: next,
        district: district(x, y),
        // The kerb lane of a three-lane city road is a bus lane; [] says none (not: unknown).
        bus_lanes: link.kind === 'grid' && lanes >= 3 ? [1] : [],
      });
    });
  };
  const oneGantry = options.cameras !== undefined && options.cameras[1] === 1;
  for (const g of gateways) place(g.inbound, oneGantry ? [0.7] : [0.7, 0.93], true);
  gateways.forEach((g, k) => {
    if (k % 2 === 0) place(g.outbound, oneGantry ? [0.1] : [0.1, 0.35], false);
  });
  // Some roads get cameras in both directions.
  const order = roadPairs.map((_, k) => k);
  for (let k = order.length - 1; k > 0; k--) {
    const r = rng.int(k + 1);
    [order[k], order[r]] = [order[r]!, order[k]!];
  }
  // Fewer cameras per segment, more roads with cameras: about as many cameras in all as the reference city's ~2.7 per segment.
  const roadCount =
    options.cameras === undefined
      ? sk.cameraRoads
      : Math.min(order.length, Math.round((sk.cameraRoads * 2.7) / ((options.cameras[0] + options.cameras[1]) / 2)));
  const chosen = order.slice(0, roadCount).sort((p, q) => p - q);
  for (const k of chosen) {
    for (const link of roadPairs[k]!) {
      let count: number;
      if (options.cameras === undefined) {
        const u = rng.next();
        count = u < 0.45 ? 2 : u < 0.85 ? 3 : 4;
      } else {
        const [lo, hi] = options.cameras;
        count = lo + rng.int(hi - lo + 1);
      }
      const fractions: number[] = [];
      for (let c = 0; c < count; c++) fractions.push(0.15 + (0.7 * (c + rng.range(0.2, 0.8))) / count);
      place(link, fractions, false);
    }
  }

  const outLinks: number[][] = nodes.map(() => []);
  for (const l of links) outLinks[l.from]!.push(l.index);
  const registry =
    options.registry === 'required'
      ? checkpoints.map((cp) => Object.fromEntries(REQUIRED_REGISTRY_FIELDS.map((f) => [f, cp[f]])) as unknown as Checkpoint)
      : checkpoints;
  return { options, nodes, links, outLinks, gridNodes, externalNodes, checkpoints, registry, cpLink, segmentLink };
}

/** The registry JSON text of the city, as written to `fixtures/checkpoints.json` for the reference city. */
export function cityRegistryJson(options: CityOptions = {}): string {
  return (
    '[\n' +
    buildCity(options)
      .registry.map((cp) => '  ' + JSON.stringify(cp))
      .join(',\n') +
    '\n]\n'
  );
}
