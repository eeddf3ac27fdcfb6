import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { trafficFunctions } from '../../src/traffic/functions.js';
import { haversineKm } from '../../src/traffic/geo.js';
import { CheckpointRegistry, RegistryError } from '../../src/traffic/registry.js';

const good = [
  { id: 'A', name: 'a', lat: 0, lon: 0, segment: 'S1', direction: 'in', kind: 'entry', district: 'west' },
  { id: 'B', name: 'b', lat: 1, lon: 0, segment: 'S1', direction: 'in', kind: 'inner' },
  { id: 'C', name: 'c', lat: 0, lon: 1, segment: 'S2', direction: 'out', kind: 'inner', lanes: 2 },
];

function issuesOf(value: unknown): readonly string[] {
  try {
    CheckpointRegistry.fromJson(value, 'cps.json');
  } catch (error) {
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as Error).message).toContain('cps.json');
    return (error as RegistryError).issues;
  }
  throw new Error('expected a RegistryError');
}

describe('CheckpointRegistry validation', () => {
  it('names the array index and field of each problem', () => {
    const bad = [
      good[0],
      { ...good[1], lat: 91 },
      { ...good[2], kind: 'exit', lon: 'east' },
      { id: '', name: 'x', lat: 0, lon: 0, segment: 'S', direction: 'in', kind: 'inner' },
      'CP5',
      { ...good[1], id: 'A' },
      { ...good[2], id: 'Z', lanes: 0 },
      { id: 'Y', lat: 0, lon: 0, direction: 'in', kind: 'inner' },
    ];
    expect(issuesOf(bad)).toEqual([
      '[1].lat: expected a number from -90 to 90, got 91',
      '[2].lon: expected a number from -180 to 180, got "east"',
      '[2].kind: expected "entry" or "inner", got "exit"',
      '[3].id: expected a non-empty string, got ""',
      '[4]: expected an object, got "CP5"',
      '[5].id: duplicate id "A" (first at [0])',
      '[6].lanes: expected an integer from 1 to 16, got 0',
      '[7].name: expected a non-empty string, got nothing',
      '[7].segment: expected a non-empty string, got nothing',
    ]);
  });

  it('refuses a non-array, an empty array and bad JSON', () => {
    expect(issuesOf({ points: [] })[0]).toMatch(/expected a JSON array/);
    // The object form ({ time_zone, checkpoints }) holds the same array.
    expect(issuesOf({ checkpoints: [] })).toEqual(['the registry is empty']);
    expect(issuesOf({ checkpoints: {} })[0]).toMatch(/expected a JSON array/);
    expect(issuesOf([])).toEqual(['the registry is empty']);
    expect(() => CheckpointRegistry.parse('[{', 'x.json')).toThrow(/x\.json: invalid checkpoint registry:\n {2}not valid JSON/);
  });
});

describe('CheckpointRegistry lookups', () => {
  const reg = CheckpointRegistry.fromJson(good);

  it('finds checkpoints, segments and attributes', () => {
    expect(reg.size).toBe(3);
    expect(reg.get('B')?.name).toBe('b');
    expect(reg.get('Q')).toBeUndefined();
    expect(reg.has('C')).toBe(true);
    expect(reg.segmentOf('B')).toBe('S1');
    expect(reg.checkpointsOf('S1').map((c) => c.id)).toEqual(['A', 'B']);
    expect(reg.checkpointsOf('nope')).toEqual([]);
    expect(reg.segments()).toEqual(['S1', 'S2']);
    expect(reg.isEntry('A')).toBe(true);
    expect(reg.isEntry('B')).toBe(false);
    expect(reg.isEntry('Q')).toBe(false);
    expect(reg.checkpointAttr('A', 'district')).toBe('west');
    expect(reg.checkpointAttr('C', 'lanes')).toBe(2);
    expect(reg.checkpointAttr('A', 'lat')).toBe(0);
    expect(reg.checkpointAttr('A', 'toString')).toBeUndefined(); // own fields only
    expect(reg.checkpointAttr('Q', 'name')).toBeUndefined();
  });

  it('distanceKm: one degree of meridian, symmetric, cached, NaN for unknown ids', () => {
    // One degree on a great circle of the mean Earth radius: 6371.0088 * pi / 180.
    expect(reg.distanceKm('A', 'B')).toBeCloseTo(111.1951, 3);
    expect(reg.distanceKm('A', 'C')).toBeCloseTo(111.1951, 3); // along the equator
    expect(reg.distanceKm('B', 'A')).toBe(reg.distanceKm('A', 'B'));
    expect(reg.distanceKm('A', 'A')).toBe(0);
    expect(reg.distanceKm('A', 'B')).toBe(reg.distanceKm('A', 'B'));
    expect(reg.distanceKm('A', 'Q')).toBeNaN();
  });

  it('uses a sparse cache for large registries with the same answers', () => {
    const many = Array.from({ length: 1500 }, (_, i) => ({
      id: `P${i}`,
      name: 'p',
      lat: 30 + i / 1000,
      lon: 120,
      segment: 'S',
      direction: 'in',
      kind: 'inner',
    }));
    const big = CheckpointRegistry.fromJson(many);
    const d = big.distanceKm('P0', 'P1000');
    expect(d).toBeCloseTo(111.1951, 2);
    expect(big.distanceKm('P1000', 'P0')).toBe(d);
  });
});

describe('haversineKm against known distances', () => {
  it('London - Paris ~343.6 km, Beijing - Shanghai ~1068 km, antipodes half the circumference', () => {
    expect(haversineKm(51.5074, -0.1278, 48.8566, 2.3522)).toBeCloseTo(343.6, 0);
    expect(haversineKm(39.9042, 116.4074, 31.2304, 121.4737)).toBeGreaterThan(1060);
    expect(haversineKm(39.9042, 116.4074, 31.2304, 121.4737)).toBeLessThan(1075);
    expect(haversineKm(0, 0, 0, 180)).toBeCloseTo(Math.PI * 6371.0088, 6);
  });
});

describe('traffic DSL functions', () => {
  const reg = CheckpointRegistry.fromJson([...good, { ...good[2], id: 'D', tags: ['a'] }]);
  const fns = new Map(trafficFunctions(reg).map((f) => [f.name, f]));

  it('declares their signatures', () => {
    expect([...fns.values()].map((f) => `${f.name}(${f.params.join(', ')}): ${f.returns}`)).toEqual([
      'distance_km(string, string): number',
      'checkpoint_attr(string, string): unknown',
      'segment_of(string): string',
      'is_entry(string): boolean',
      'is_bus_lane(string, number): boolean',
      'next_on_segment(string): string',
      'plate_shape(string): string',
    ]);
    for (const f of fns.values()) expect([f.minArgs, f.maxArgs]).toEqual([f.params.length, f.params.length]);
  });

  it('evaluate against the registry, and give null (never throw) for bad arguments', () => {
    const call = (name: string, ...args: unknown[]): unknown => fns.get(name)!.impl(...args);
    expect(call('distance_km', 'A', 'B')).toBeCloseTo(111.1951, 3);
    expect(call('distance_km', 'A', 'Q')).toBeNull();
    expect(call('distance_km', null, 'A')).toBeNull();
    expect(call('checkpoint_attr', 'A', 'district')).toBe('west');
    expect(call('checkpoint_attr', 'B', 'district')).toBeNull();
    expect(call('checkpoint_attr', 'D', 'tags')).toBeNull(); // non-scalar extra field
    expect(call('checkpoint_attr', 'D', 'lanes')).toBe(2);
    expect(call('checkpoint_attr', 'A', 3)).toBeNull();
    expect(call('segment_of', 'C')).toBe('S2');
    expect(call('segment_of', 'Q')).toBeNull();
    expect(call('is_entry', 'A')).toBe(true);
    expect(call('is_entry', 'C')).toBe(false);
    expect(call('is_entry', 42)).toBeNull();
    // bus_lanes: a list of lane numbers; [] is none; absent (A, B, C) or not a list says nothing.
    const lanes = CheckpointRegistry.fromJson([
      { ...good[0], bus_lanes: [1, 4] },
      { ...good[1], bus_lanes: [] },
      { ...good[2], bus_lanes: 1 },
    ]);
    const busLane = trafficFunctions(lanes).find((f) => f.name === 'is_bus_lane')!;
    expect([busLane.impl('A', 1), busLane.impl('A', 2), busLane.impl('B', 1), busLane.impl('C', 1), busLane.impl('A', null)]).toEqual([
      true,
      false,
      false,
      null,
      null,
    ]);
    expect(call('is_bus_lane', 'A', 1)).toBeNull();
  });
});

describe('fixtures/checkpoints.json', () => {
  it('is a valid registry of about 200 checkpoints in a ~20 km city', async () => {
    const reg = await CheckpointRegistry.load(new URL('../../fixtures/checkpoints.json', import.meta.url).pathname);
    expect(reg.size).toBeGreaterThanOrEqual(180);
    expect(reg.size).toBeLessThanOrEqual(220);
    const all = reg.all();
    let max = 0;
    for (const a of all) for (const b of all) max = Math.max(max, reg.distanceKm(a.id, b.id));
    expect(max).toBeGreaterThan(18);
    expect(max).toBeLessThan(35); // includes the expressway gateways just outside the grid
    for (const s of reg.segments()) {
      expect(reg.checkpointsOf(s).length).toBeGreaterThanOrEqual(2);
      expect(reg.checkpointsOf(s).length).toBeLessThanOrEqual(4);
    }
    const entries = all.filter((c) => c.kind === 'entry');
    expect(entries.length).toBeGreaterThanOrEqual(8);
    for (const e of entries) expect(e.direction).toBe('in');
    // Entry cameras sit on the city boundary: outside the box that holds every camera of the street grid.
    const innerGrid = all.filter((c) => c.kind === 'inner' && !String(c['road']).includes('Expressway'));
    const box = {
      latLo: Math.min(...innerGrid.map((c) => c.lat)),
      latHi: Math.max(...innerGrid.map((c) => c.lat)),
      lonLo: Math.min(...innerGrid.map((c) => c.lon)),
      lonHi: Math.max(...innerGrid.map((c) => c.lon)),
    };
    for (const e of entries) expect(e.lat < box.latLo || e.lat > box.latHi || e.lon < box.lonLo || e.lon > box.lonHi).toBe(true);
    expect(readFileSync(new URL('../../fixtures/checkpoints.json', import.meta.url), 'utf8')).toMatch(/^\[\n {2}\{"id":"CP0001"/);
  });
});

describe('camera order along a segment', () => {
  const shipped = JSON.parse(readFileSync(new URL('../../fixtures/checkpoints.json', import.meta.url), 'utf8')) as Array<Record<string, unknown>>;

  it("derived from geometry, it is the shipped registry's next_on_segment for every checkpoint", () => {
    const bare = CheckpointRegistry.fromJson(shipped.map(({ next_on_segment: _, ...cp }) => cp));
    const mismatches = shipped.filter((cp) => bare.nextOnSegment(cp['id'] as string) !== cp['next_on_segment']);
    expect(mismatches.map((cp) => cp['id'])).toEqual([]);
  });

  it("next_on_segment() prefers the registry's attribute, derives it where absent, and is null for an unknown checkpoint", () => {
    const registry = CheckpointRegistry.fromJson([
      // Inbound: from the outer end (far from the centre of all checkpoints) towards the centre.
      { id: 'IN2', name: 'x', lat: 30.2, lon: 120, segment: 'R', direction: 'inbound', kind: 'inner' },
      { id: 'IN1', name: 'x', lat: 30.3, lon: 120, segment: 'R', direction: 'in', kind: 'entry' },
      { id: 'IN3', name: 'x', lat: 30.1, lon: 120, segment: 'R', direction: 'in', kind: 'inner' },
      // Outbound: from the centre outwards.
      { id: 'O2', name: 'x', lat: 30, lon: 120.2, segment: 'Q', direction: 'out', kind: 'inner' },
      { id: 'O1', name: 'x', lat: 30, lon: 120.1, segment: 'Q', direction: 'out', kind: 'inner' },
      // Given: kept, even against geometry.
      { id: 'G1', name: 'x', lat: 30, lon: 119.9, segment: 'G', direction: 'in', kind: 'inner', next_on_segment: '' },
      { id: 'G2', name: 'x', lat: 30, lon: 119.8, segment: 'G', direction: 'in', kind: 'inner', next_on_segment: 'G1' },
      // A free direction label: registry order.
      { id: 'N1', name: 'x', lat: 30.05, lon: 120.05, segment: 'N', direction: 'northbound', kind: 'inner' },
      { id: 'N2', name: 'x', lat: 30.04, lon: 120.05, segment: 'N', direction: 'northbound', kind: 'inner' },
    ]);
    const next = trafficFunctions(registry).find((f) => f.name === 'next_on_segment')!;
    expect(['IN1', 'IN2', 'IN3'].map((id) => next.impl(id))).toEqual(['IN2', 'IN3', '']);
    expect(['O1', 'O2'].map((id) => next.impl(id))).toEqual(['O2', '']);
    expect(['G2', 'G1'].map((id) => next.impl(id))).toEqual(['G1', '']);
    expect(['N1', 'N2'].map((id) => next.impl(id))).toEqual(['N2', '']);
    expect(next.impl('nope')).toBeNull();
    expect(next.impl(null)).toBeNull();
    expect(next.reads).toEqual({ fields: ['segment', 'lat', 'lon', 'direction'] });
  });
});
