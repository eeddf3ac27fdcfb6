import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MATRIX_CITIES } from '../../src/traffic/generator/cities.js';
import {
  buildCity,
  CITY_LAYOUTS,
  type CityOptions,
  type ClonedPlateTruth,
  cityRegistryJson,
  IMPOSSIBLE_PAIR,
  REQUIRED_REGISTRY_FIELDS,
} from '../../src/traffic/generator/index.js';
import { haversineKm } from '../../src/traffic/geo.js';
import { CheckpointRegistry } from '../../src/traffic/registry.js';
import { isRejection, RecordValidator } from '../../src/traffic/validate.js';
import { at, generate } from './helpers.js';

const MIN = 60_000;

describe('city layouts', () => {
  it.each(CITY_LAYOUTS)('%s: a connected city with entry cameras, distinct from the others', (layout) => {
    const city = buildCity({ layout });
    expect(city.checkpoints.length).toBeGreaterThan(60);
    expect(city.checkpoints.filter((c) => c.kind === 'entry').length).toBeGreaterThanOrEqual(5);
    // Clones need two places 13 km apart.
    const xs = city.gridNodes.map((n) => city.nodes[n]!.x);
    const ys = city.gridNodes.map((n) => city.nodes[n]!.y);
    expect(Math.hypot(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys))).toBeGreaterThan(20);
    // Every node reaches every other (roads are two-way).
    const seen = new Set([0]);
    const stack = [0];
    while (stack.length > 0) {
      for (const li of city.outLinks[stack.pop()!]!) {
        const to = city.links[li]!.to;
        if (!seen.has(to)) {
          seen.add(to);
          stack.push(to);
        }
      }
    }
    expect(seen.size).toBe(city.nodes.length);
  });

  it('the layouts are different cities', () => {
    const regs = CITY_LAYOUTS.map((layout) => cityRegistryJson({ layout }));
    expect(new Set(regs).size).toBe(CITY_LAYOUTS.length);
  });

  it.each(CITY_LAYOUTS)('%s with one camera: one checkpoint per directed segment, and it is the last on it', (layout) => {
    const city = buildCity({ layout, cameras: [1, 1] });
    const perSegment = new Map<string, number>();
    for (const cp of city.checkpoints) perSegment.set(cp.segment, (perSegment.get(cp.segment) ?? 0) + 1);
    expect([...perSegment.values()].every((n) => n === 1)).toBe(true);
    for (const l of city.links) if (l.segment !== null) expect(l.cps).toHaveLength(1);
    expect(city.checkpoints.every((cp) => cp['next_on_segment'] === '')).toBe(true);
  });

  it('cameras LO-HI: every city-road segment has LO to HI cameras, and both ends occur', () => {
    const city = buildCity({ layout: 'corridor', cameras: [1, 3] });
    const counts = city.links.filter((l) => l.kind === 'grid' && l.segment !== null).map((l) => l.cps.length);
    expect(Math.min(...counts)).toBe(1);
    expect(Math.max(...counts)).toBe(3);
  });

  it('refuses options out of range', () => {
    expect(() => buildCity({ cameras: [0, 2] })).toThrow(/cameras per segment/);
    expect(() => buildCity({ cameras: [3, 2] })).toThrow(/cameras per segment/);
    expect(() => buildCity({ layout: 'star' as never })).toThrow(/layout must be one of grid, ring, corridor/);
  });
});

describe('registry fields', () => {
  it('required: only the required fields, and it is a valid registry', () => {
    const json = cityRegistryJson({ layout: 'ring', registry: 'required' });
    const entries = JSON.parse(json) as Record<string, unknown>[];
    for (const e of entries) expect(Object.keys(e)).toEqual([...REQUIRED_REGISTRY_FIELDS]);
    const reg = CheckpointRegistry.parse(json);
    expect(reg.size).toBe(entries.length);
    expect(reg.get(entries[0]!['id'] as string)?.['speed_limit']).toBeUndefined();
  });

  it('full: lanes, road, speed_limit, next_on_segment, district and bus_lanes besides', () => {
    const [e] = JSON.parse(cityRegistryJson({ layout: 'ring', registry: 'full' })) as Record<string, unknown>[];
    expect(Object.keys(e!)).toEqual([...REQUIRED_REGISTRY_FIELDS, 'lanes', 'road', 'speed_limit', 'next_on_segment', 'district', 'bus_lanes']);
  });
});

/** The records of a run by id, parsed. */
function byId(lines: readonly string[]): Map<string, { id: string; checkpoint: string; direction: string; ts: number; plate: string }> {
  return new Map(lines.map((l) => JSON.parse(l)).map((r) => [r.id, r]));
}

describe('direction vocabularies', () => {
  const run = (city: CityOptions) => generate({ seed: 'dir', start: at('08:00'), minutes: 4, scale: 0.02, city });

  it.each([
    ['in-out', ['in', 'out']],
    ['upper', ['IN', 'OUT']],
    ['inbound-outbound', ['inbound', 'outbound']],
    ['through', ['in', 'out', 'through']],
    ['compass', ['eastbound', 'northbound', 'southbound', 'westbound']],
  ] as const)('%s: records and registry say %j, and agree per camera', (directions, words) => {
    const city: CityOptions = { layout: 'grid', directions };
    const g = run(city);
    const registry = new Map((JSON.parse(cityRegistryJson(city)) as { id: string; direction: string }[]).map((c) => [c.id, c.direction]));
    const seen = new Set<string>();
    for (const r of byId(g.lines).values()) {
      seen.add(r.direction);
      expect(r.direction).toBe(registry.get(r.checkpoint));
    }
    expect([...seen].sort()).toEqual([...words]);
  });

  it('through: entry cameras say in, city-road cameras through', () => {
    const city = buildCity({ directions: 'through' });
    for (const cp of city.checkpoints) if (cp.kind === 'entry') expect(cp.direction).toBe('in');
    const inner = city.checkpoints.filter((cp) => cp.name.includes(' km '));
    expect(inner.length).toBeGreaterThan(100);
    expect(inner.every((cp) => cp.direction === 'through')).toBe(true);
  });

  it('the reference vocabulary validates; the others are what a validator has to cope with', () => {
    const city: CityOptions = { layout: 'ring', cameras: [2, 2], registry: 'required' };
    const g = run(city);
    const v = new RecordValidator(CheckpointRegistry.parse(cityRegistryJson(city)));
    expect(g.lines.every((l) => !isRejection(v.validate(JSON.parse(l))))).toBe(true);
  });
});

/** Impossible consecutive pairs of one plate's sightings, counted from the records themselves. */
function impossiblePairs(
  records: readonly { checkpoint: string; ts: number; id: string }[],
  coords: ReadonlyMap<string, { lat: number; lon: number }>,
): number {
  const seq = (id: string): number => Number(id.slice(1));
  const s = [...records].sort((p, q) => p.ts - q.ts || seq(p.id) - seq(q.id));
  let n = 0;
  for (let k = 1; k < s.length; k++) {
    const p = coords.get(s[k - 1]!.checkpoint)!;
    const q = coords.get(s[k]!.checkpoint)!;
    const km = haversineKm(p.lat, p.lon, q.lat, q.lon);
    if (km >= IMPOSSIBLE_PAIR.minKm && km / ((Math.abs(s[k]!.ts - s[k - 1]!.ts) + IMPOSSIBLE_PAIR.clockErrorMs) / 3_600_000) > IMPOSSIBLE_PAIR.maxKmh) n++;
  }
  return n;
}

describe('anomaly shapes', () => {
  const opts = (meetOnceShare: number, layout: 'grid' | 'corridor') => ({
    seed: 'meet',
    start: at('10:00'),
    minutes: 120,
    scale: 0.03,
    anomalies: true,
    quietMinutes: 30,
    anomalyCounts: { cloned_plate: 8, flow_surge: 2, flow_drop: 1, congestion: 2, first_entry: 3 },
    anomalyShape: { meetOnceShare, surgeFactor: [2, 3] as const, surgeMinutes: [5, 6] as const, jamMinutes: [4, 8] as const, jamMinCameras: 1 },
    city: { layout, cameras: [1, 1] as const },
  });

  it.each(['grid', 'corridor'] as const)('%s: meet-once clones have exactly one impossible consecutive pair, as the truth says', (layout) => {
    const g = generate(opts(1, layout));
    const city = buildCity({ layout, cameras: [1, 1] });
    const coords = new Map(city.checkpoints.map((c) => [c.id, { lat: c.lat, lon: c.lon }]));
    const stamped = byId(g.lines);
    // The truth counts in true time (what a detector that corrects camera clocks sees): the stamp less the skew.
    const skew = new Map(g.truth.noise.skewed_cameras.map((s) => [s.checkpoint, s.skew_ms]));
    const recs = new Map([...stamped].map(([id, r]) => [id, { ...r, ts: r.ts - (skew.get(r.checkpoint) ?? 0) }]));
    const clones = g.truth.anomalies.filter((a): a is ClonedPlateTruth => a.type === 'cloned_plate');
    expect(clones.length).toBeGreaterThanOrEqual(6);
    for (const c of clones) {
      const mine = [...c.records[0], ...c.records[1]].map((id) => recs.get(id)!);
      expect(impossiblePairs(mine, coords)).toBe(c.impossible_pairs);
      // The real car's sightings all come before the clone's: one switch, never back.
      expect(Math.max(...c.records[0].map((id) => recs.get(id)!.ts))).toBeLessThan(Math.min(...c.records[1].map((id) => recs.get(id)!.ts)));
      expect(c.provable_at).toBe(Math.min(...c.records[1].map((id) => recs.get(id)!.ts)));
    }
    expect(clones.filter((c) => c.impossible_pairs === 1).length).toBeGreaterThanOrEqual(clones.length - 1);
  });

  it('ordinary clones drive at the same time: two impossible pairs or more', () => {
    const g = generate(opts(0, 'grid'));
    const clones = g.truth.anomalies.filter((a): a is ClonedPlateTruth => a.type === 'cloned_plate');
    expect(clones.length).toBeGreaterThanOrEqual(6);
    expect(clones.filter((c) => c.impossible_pairs >= 2).length).toBeGreaterThanOrEqual(clones.length - 2);
  });

  it('short weak surges, short jams on one-camera segments, nothing in the quiet minutes', () => {
    const g = generate(opts(0.5, 'grid'));
    const t = g.truth;
    for (const a of t.anomalies) expect(a.from).toBeGreaterThanOrEqual(t.generator.start + 30 * MIN - 150_000);
    const surges = t.anomalies.filter((a) => a.type === 'flow_surge');
    expect(surges).toHaveLength(2);
    for (const s of surges) expect(s.to - s.from).toBeLessThanOrEqual(6 * MIN);
    const jams = t.anomalies.filter((a) => a.type === 'congestion');
    expect(jams).toHaveLength(2);
    for (const j of jams) {
      expect(j.to - j.from).toBeLessThanOrEqual(8 * MIN);
      expect(j.checkpoints).toHaveLength(1);
    }
    expect(t.generator.city).toEqual({ layout: 'grid', cameras: [1, 1] });
  });

  it('outages that do not spare anomalies may hold entry cameras', () => {
    const g = generate({
      seed: 'out',
      start: at('10:00'),
      minutes: 60,
      scale: 0.01,
      noise: { outages: 180, outageMinMinutes: 5, outageMaxMinutes: 10, outagesSpareAnomalies: false },
    });
    const entries = new Set(
      buildCity()
        .checkpoints.filter((c) => c.kind === 'entry')
        .map((c) => c.id),
    );
    expect(g.truth.noise.outages.some((o) => entries.has(o.checkpoint))).toBe(true);
    const spared = generate({ seed: 'out', start: at('10:00'), minutes: 60, scale: 0.01, noise: { outages: 180, outageMinMinutes: 5, outageMaxMinutes: 10 } });
    expect(spared.truth.noise.outages.some((o) => entries.has(o.checkpoint))).toBe(false);
  });
});

describe('the matrix cities', () => {
  it('are at least six, and differ in every dimension the matrix is about', () => {
    expect(MATRIX_CITIES.length).toBeGreaterThanOrEqual(6);
    const kinds = (f: (c: (typeof MATRIX_CITIES)[number]) => unknown): number => new Set(MATRIX_CITIES.map((c) => JSON.stringify(f(c)))).size;
    expect(kinds((c) => c.city.layout ?? 'grid')).toBe(3);
    expect(kinds((c) => c.city.cameras ?? null)).toBeGreaterThanOrEqual(4);
    expect(kinds((c) => c.city.registry ?? 'full')).toBe(2);
    expect(kinds((c) => c.city.directions ?? 'in-out')).toBeGreaterThanOrEqual(4);
    expect(kinds((c) => c.dirt)).toBeGreaterThanOrEqual(3);
    expect(kinds((c) => c.scale)).toBeGreaterThanOrEqual(4);
    expect(kinds((c) => c.difficulty)).toBe(2);
    expect(new Set(MATRIX_CITIES.map((c) => c.name)).size).toBe(MATRIX_CITIES.length);
  });

  it('are the ones the README documents, row for row', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const c of MATRIX_CITIES) {
      const o = c.city;
      const cams = o.cameras === undefined ? '2-4' : o.cameras[0] === o.cameras[1] ? String(o.cameras[0]) : `${o.cameras[0]}-${o.cameras[1]}`;
      expect(readme).toContain(
        `| \`${c.name}\` | ${o.layout ?? 'grid'} | ${cams} | ${o.registry ?? 'full'} | ${o.directions ?? 'in-out'} | ${c.dirt} | ${c.scale} | ${c.start.slice(11, 16)} + ${c.minutes} min | ${c.difficulty} |`,
      );
    }
  });
});
