import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ClonedPlateTruth, CongestionTruth, FirstEntryTruth, FlowTruth } from '../../src/traffic/generator/index.js';
import { ANOMALY_DIFFICULTIES, ANOMALY_TYPES, cityRegistryJson, DEFAULT_PEAK_RECORDS_PER_S, profileFraction } from '../../src/traffic/generator/index.js';
import { at, FIXTURES, generate, keyOf, records, registry } from './helpers.js';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
const MIN = 60_000;

describe('the city', () => {
  it('fixtures/checkpoints.json is the generator road graph registry (they agree)', () => {
    expect(readFileSync(new URL('checkpoints.json', FIXTURES), 'utf8')).toBe(cityRegistryJson());
  });
});

describe('determinism', () => {
  const opts = { seed: 'det', start: at('08:00'), minutes: 10, scale: 0.05, anomalies: true } as const;
  it('the same seed gives identical bytes, output and truth', () => {
    const a = generate(opts);
    const b = generate(opts);
    expect(a.lines.length).toBeGreaterThan(5000);
    expect(sha(a.text)).toBe(sha(b.text));
    expect(JSON.stringify(a.truth)).toBe(JSON.stringify(b.truth));
  });
  it('another seed gives other traffic', () => {
    const a = generate(opts);
    const c = generate({ ...opts, seed: 'other' });
    expect(sha(a.text)).not.toBe(sha(c.text));
  });
});

describe('daily profile', () => {
  it('peaks in the morning and the evening, is quiet at night', () => {
    let best = 0;
    let bestHour = 0;
    let bestPm = 0;
    let bestPmHour = 0;
    for (let m = 0; m < 1440; m += 5) {
      const f = profileFraction(m / 60);
      if (m < 720 && f > best) {
        best = f;
        bestHour = m / 60;
      }
      if (m >= 720 && f > bestPm) {
        bestPm = f;
        bestPmHour = m / 60;
      }
    }
    expect(best).toBeCloseTo(1, 2);
    expect(bestHour).toBeGreaterThanOrEqual(7.5);
    expect(bestHour).toBeLessThanOrEqual(8.5);
    expect(bestPmHour).toBeGreaterThanOrEqual(17.5);
    expect(bestPmHour).toBeLessThanOrEqual(18.5);
    expect(bestPm).toBeGreaterThan(0.8);
    expect(profileFraction(3)).toBeLessThan(0.05);
    expect(profileFraction(12)).toBeLessThan(0.3);
  });

  it('a mid-size city peaks at 500-700 records/s (measured)', () => {
    const g = generate({ seed: 'peak', start: at('08:02'), minutes: 2, noise: { outagesPerDay: 0 } });
    const perS = g.lines.length / 120;
    expect(perS).toBeGreaterThan(450);
    expect(perS).toBeLessThan(700);
    expect(DEFAULT_PEAK_RECORDS_PER_S).toBeGreaterThanOrEqual(500);
  });

  it('generated volume follows the profile', () => {
    const count = (start: string): number => generate({ seed: 'prof', start: at(start), minutes: 10, scale: 0.05 }).lines.length;
    const night = count('03:00');
    const noon = count('12:00');
    const morning = count('07:55');
    expect(morning).toBeGreaterThan(3 * noon);
    expect(noon).toBeGreaterThan(2 * night);
  });
});

describe('records', () => {
  const g = generate({
    seed: 'valid',
    start: at('07:30'),
    minutes: 40,
    scale: 0.05,
    anomalies: true,
    noise: { outages: 1, outageMinMinutes: 10, outageMaxMinutes: 20 },
  });
  it('all validate against the fixture registry (noise and anomalies included)', () => {
    expect(records(g)).toHaveLength(g.truth.counts.records);
    expect(g.lines.length).toBe(g.truth.counts.records);
  });
  it('have unique ids and plausible speeds', () => {
    const rs = records(g);
    expect(new Set(rs.map((r) => r.id)).size).toBe(rs.length);
    const speeds = rs.map((r) => r.speed).sort((a, b) => a - b);
    const median = speeds[speeds.length >> 1]!;
    expect(median).toBeGreaterThan(35);
    expect(median).toBeLessThan(80);
    expect(speeds[speeds.length - 1]).toBeLessThan(130);
  });
  it('come in arrival order: event time is ordered except for skewed clocks and camera backlogs', () => {
    const skewed = new Set(g.truth.noise.skewed_cameras.map((s) => s.checkpoint));
    const down = new Set(g.truth.noise.outages.map((o) => o.checkpoint));
    let max = -Infinity;
    for (const r of records(g)) {
      if (skewed.has(r.checkpoint) || down.has(r.checkpoint)) continue;
      expect(r.ts).toBeGreaterThan(max - 3000); // network delay differs by at most ~2 s
      max = Math.max(max, r.ts);
    }
  });
});

describe('anomalies', () => {
  const g = generate({
    seed: 'anom',
    start: at('07:00'),
    minutes: 90,
    scale: 0.06,
    anomalies: true,
    anomalyCounts: { cloned_plate: 3, flow_surge: 2, flow_drop: 2, congestion: 2, first_entry: 4 },
    noise: { outages: 1, outageMinMinutes: 20, outageMaxMinutes: 30 },
  });
  const rs = records(g);
  const byId = new Map(rs.map((r) => [r.id, r]));
  const skew = new Map(g.truth.noise.skewed_cameras.map((s) => [s.checkpoint, s.skew_ms]));
  const trueTs = (r: { ts: number; checkpoint: string }): number => r.ts - (skew.get(r.checkpoint) ?? 0);
  const of = <T>(type: string): T[] => g.truth.anomalies.filter((a) => a.type === type) as T[];

  it('are all present in the truth with the requested counts', () => {
    expect(ANOMALY_TYPES.map((t) => of(t).length)).toEqual([3, 2, 2, 2, 4]);
  });

  it('cloned plates: two vehicles with one plate+colour far apart at the same time', () => {
    for (const c of of<ClonedPlateTruth>('cloned_plate')) {
      expect(c.records[0].length).toBeGreaterThanOrEqual(2);
      expect(c.records[1].length).toBeGreaterThanOrEqual(2);
      const sides = c.records.map((ids) => ids.map((id) => byId.get(id)!));
      for (const side of sides) for (const r of side) expect(keyOf(r)).toBe(c.key);
      expect(sides[0]![0]!.checkpoint).toBe(c.checkpoints[0]);
      expect(sides[1]![0]!.checkpoint).toBe(c.checkpoints[1]);
      // Some pair of sightings implies an impossible speed (true times: within a minute, >= 10 km apart).
      let best = 0;
      for (const a of sides[0]!)
        for (const b of sides[1]!) {
          const km = registry.distanceKm(a.checkpoint, b.checkpoint);
          expect(km).toBeGreaterThanOrEqual(c.min_distance_km - 0.01);
          best = Math.max(best, km / (Math.abs(trueTs(a) - trueTs(b)) / 3.6e6));
        }
      expect(best).toBeGreaterThan(300);
      // Outside its records the plate is driven by one vehicle only: every other record of the key is the real one's.
      expect(c.min_distance_km).toBeGreaterThanOrEqual(10);
      const ts = [...sides[0]!, ...sides[1]!].map((r) => r.ts);
      expect(c.from).toBe(Math.min(...ts));
      expect(c.to).toBe(Math.max(...ts));
    }
  });

  it('flow surges and drops change the flow at their checkpoint', () => {
    const count = (cp: string, from: number, to: number): number => rs.filter((r) => r.checkpoint === cp && trueTs(r) >= from && trueTs(r) < to).length;
    for (const f of of<FlowTruth>('flow_surge')) {
      const minutes = (f.to - f.from) / MIN;
      const during = count(f.checkpoint, f.from, f.to);
      expect(f.factor).toBeGreaterThanOrEqual(3.9);
      expect(during).toBeGreaterThan(2 * f.baseline_per_min * minutes);
      expect(count(f.checkpoint, f.from - (f.to - f.from), f.from)).toBeLessThan(during / 2);
    }
    for (const f of of<FlowTruth>('flow_drop')) {
      const minutes = (f.to - f.from) / MIN;
      expect(f.baseline_per_min * minutes).toBeGreaterThan(40); // enough volume to see a drop
      const during = count(f.checkpoint, f.from, f.to);
      const before = count(f.checkpoint, f.from - (f.to - f.from), f.from);
      expect(during).toBeLessThan(0.35 * f.baseline_per_min * minutes);
      expect(before).toBeGreaterThan(0.5 * f.baseline_per_min * minutes);
    }
  });

  it('congestion: speeds on the segment fall and stay low for the episode', () => {
    for (const c of of<CongestionTruth>('congestion')) {
      // Downstream cameras (measured by the generator): the vehicles the jam held up are a good part of their traffic.
      const held = new Set(rs.filter((r) => c.checkpoints.includes(r.checkpoint) && trueTs(r) >= c.from && trueTs(r) < c.to).map(keyOf));
      for (const d of c.downstream_checkpoints) {
        expect(c.checkpoints).not.toContain(d);
        const after = rs.filter((r) => r.checkpoint === d && trueTs(r) >= c.from && trueTs(r) <= c.to + 30 * MIN);
        // Over the whole wake, or in a burst of five minutes (the released queue), as the generator measures it; the
        // vehicles seen at the jam's cameras are only part of those it held up.
        const share = (rsIn: typeof after): number => rsIn.filter((r) => held.has(keyOf(r))).length / Math.max(1, rsIn.length);
        const burst = Math.max(...after.map((r) => share(after.filter((x) => trueTs(x) >= trueTs(r) && trueTs(x) < trueTs(r) + 5 * MIN))));
        expect(share(after) > 0.1 || burst > 0.2).toBe(true);
      }
      expect(c.to - c.from).toBeGreaterThanOrEqual(10 * MIN);
      expect(c.to - c.from).toBeLessThanOrEqual(30 * MIN);
      const onSeg = rs.filter((r) => c.checkpoints.includes(r.checkpoint));
      const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
      // Vehicles entering the link before it jammed still pass fast in the first minute or so.
      const during = onSeg.filter((r) => trueTs(r) >= c.from + 2 * MIN && trueTs(r) < c.to).map((r) => r.speed);
      const before = onSeg.filter((r) => trueTs(r) < c.from).map((r) => r.speed);
      expect(during.length).toBeGreaterThan(10);
      expect(mean(during)).toBeLessThan(c.speed_kmh * 1.5);
      if (before.length > 5) expect(mean(before)).toBeGreaterThan(0.6 * c.free_flow_kmh);
      // Each minute of the episode stays congested (no flicker).
      for (let t = c.from + 2 * MIN; t + MIN <= c.to; t += MIN) {
        const minute = onSeg.filter((r) => trueTs(r) >= t && trueTs(r) < t + MIN).map((r) => r.speed);
        if (minute.length > 0) expect(Math.max(...minute)).toBeLessThan(c.speed_kmh * 2);
      }
    }
  });

  it('first-time entries: unknown vehicles whose first sighting is at an entry checkpoint', () => {
    const known = new Set(g.truth.known_vehicles.map(([p, c]) => p + '|' + c));
    for (const e of of<FirstEntryTruth>('first_entry')) {
      expect(known.has(e.key)).toBe(false);
      const mine = rs.filter((r) => keyOf(r) === e.key).sort((a, b) => trueTs(a) - trueTs(b));
      expect(mine.length).toBeGreaterThanOrEqual(2); // it drives on into the city
      expect(mine[0]!.id).toBe(e.record);
      expect(mine[0]!.checkpoint).toBe(e.checkpoint);
      expect(registry.isEntry(e.checkpoint)).toBe(true);
      expect(e.from).toBe(mine[0]!.ts);
      if (e.same_number_other_color) expect([...known].some((k) => k.startsWith(e.plate + '|'))).toBe(true);
    }
  });

  it('every other readable plate is a known vehicle, unless it is a misread', () => {
    const known = new Set(g.truth.known_vehicles.map(([p, c]) => p + '|' + c));
    const firsts = new Set(of<FirstEntryTruth>('first_entry').map((e) => e.key));
    const misread = new Set(g.truth.noise.misreads.map((m) => m.id));
    let unknown = 0;
    for (const r of rs) {
      if (!r.plate_readable || misread.has(r.id) || firsts.has(keyOf(r))) continue;
      if (!known.has(keyOf(r))) unknown++;
    }
    expect(unknown).toBe(0);
  });
});

describe('flow episodes at their camera', () => {
  // After the morning peak, when a camera's flow falls fastest: hard surges (2-3x) and drops, no other anomaly.
  const g = generate({
    seed: 'flowplan',
    start: at('08:40'),
    minutes: 100,
    scale: 0.1,
    anomalies: true,
    anomalyCounts: { cloned_plate: 0, flow_surge: 8, flow_drop: 4, congestion: 0, first_entry: 0 },
    anomalyShape: ANOMALY_DIFFICULTIES.hard,
    quietMinutes: 30,
    noise: { outagesPerDay: 0 },
  });
  const skew = new Map(g.truth.noise.skewed_cameras.map((s) => [s.checkpoint, s.skew_ms]));
  const times = new Map<string, number[]>();
  for (const line of g.lines) {
    const r = JSON.parse(line) as { checkpoint: string; ts: number };
    const list = times.get(r.checkpoint) ?? [];
    list.push(r.ts - (skew.get(r.checkpoint) ?? 0));
    times.set(r.checkpoint, list);
  }
  const perMin = (cp: string, from: number, to: number): number => ((times.get(cp) ?? []).filter((t) => t >= from && t < to).length / (to - from)) * MIN;
  const flows = g.truth.anomalies.filter((a): a is FlowTruth => a.type === 'flow_surge' || a.type === 'flow_drop');
  const flowBefore = (f: FlowTruth): number => perMin(f.checkpoint, f.from - 20 * MIN, f.from);

  it("the truth's baseline is the flow the camera carried in the 20 minutes before", () => {
    expect(flows).toHaveLength(12);
    // The plan once used the profile of the instant; cameras carried 1.3-1.7x that after the peak (their vehicles
    // set out minutes before, when more did).
    const ratios = flows.map((f) => flowBefore(f) / f.baseline_per_min);
    const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
    expect(mean).toBeGreaterThan(0.9);
    expect(mean).toBeLessThan(1.1);
    for (const r of ratios) {
      expect(r).toBeGreaterThan(0.65);
      expect(r).toBeLessThan(1.4);
    }
  });

  it("a surge is its truth's factor (2-3x) over the 20 minutes before; a drop cuts the flow to a fraction", () => {
    const surges = flows.filter((f) => f.type === 'flow_surge');
    for (const f of surges) {
      expect(f.factor).toBeGreaterThanOrEqual(2);
      const measured = perMin(f.checkpoint, f.from, f.to) / flowBefore(f);
      expect(measured / f.factor).toBeGreaterThan(0.7);
      expect(measured / f.factor).toBeLessThan(1.35);
    }
    const mean = surges.reduce((a, f) => a + perMin(f.checkpoint, f.from, f.to) / flowBefore(f) / f.factor, 0) / surges.length;
    expect(mean).toBeGreaterThan(0.9);
    expect(mean).toBeLessThan(1.1);
    for (const f of flows.filter((x) => x.type === 'flow_drop')) {
      expect(f.factor).toBeCloseTo(0.15, 2);
      expect(perMin(f.checkpoint, f.from, f.to) / flowBefore(f)).toBeLessThan(0.35);
    }
  });
});

describe('noise', () => {
  const g = generate({ seed: 'noise', start: at('07:45'), minutes: 30, scale: 0.1, noise: { outages: 1, outageMinMinutes: 10, outageMaxMinutes: 12 } });
  const rs = records(g);
  const byId = new Map(rs.map((r) => [r.id, r]));
  const n = rs.length;
  const t = g.truth;

  it('without --anomalies there is no anomaly in the truth', () => {
    expect(t.anomalies).toEqual([]);
    expect(n).toBeGreaterThan(30_000);
  });

  it('misreads: about 0.2% of records, one look-alike character, listed with the record id', () => {
    expect(t.counts.misreads / n).toBeGreaterThan(0.001);
    expect(t.counts.misreads / n).toBeLessThan(0.003);
    for (const m of t.noise.misreads) {
      const r = byId.get(m.id)!;
      expect(r.plate).toBe(m.read_as);
      expect(m.read_as).not.toBe(m.plate);
      expect(m.read_as.length).toBe(m.plate.length);
      let diff = 0;
      for (let i = 0; i < m.plate.length; i++) if (m.plate[i] !== m.read_as[i]) diff++;
      expect(diff).toBe(1);
    }
  });

  it('duplicates: ~1.2% of records, by a second lane or the adjacent camera, within seconds', () => {
    expect(t.counts.duplicates / n).toBeGreaterThan(0.008);
    expect(t.counts.duplicates / n).toBeLessThan(0.017);
    const kinds = new Set(t.noise.duplicates.map((d) => d.kind));
    expect(kinds).toEqual(new Set(['lane', 'adjacent']));
    const skew = new Map(t.noise.skewed_cameras.map((s) => [s.checkpoint, s.skew_ms]));
    const trueTs = (r: { ts: number; checkpoint: string }): number => r.ts - (skew.get(r.checkpoint) ?? 0);
    for (const d of t.noise.duplicates) {
      const dup = byId.get(d.id)!;
      const orig = byId.get(d.of);
      if (orig === undefined) continue; // the original fell before the run start
      expect(dup.checkpoint).toBe(d.checkpoint);
      const dt = trueTs(dup) - trueTs(orig);
      if (d.kind === 'lane') {
        expect(dup.checkpoint).toBe(orig.checkpoint);
        expect(dt).toBeGreaterThanOrEqual(99);
        expect(dt).toBeLessThanOrEqual(1501);
      } else {
        expect(registry.segmentOf(dup.checkpoint)).toBe(registry.segmentOf(orig.checkpoint));
        expect(dup.checkpoint).not.toBe(orig.checkpoint);
        expect(dt).toBeGreaterThanOrEqual(799);
        expect(dt).toBeLessThanOrEqual(4001);
      }
    }
  });

  it('unreadable plates: ~0.6%, kept as records with plate_readable false', () => {
    const unreadable = rs.filter((r) => !r.plate_readable).length;
    expect(unreadable).toBe(t.counts.unreadable);
    expect(unreadable / n).toBeGreaterThan(0.003);
    expect(unreadable / n).toBeLessThan(0.01);
  });

  it('untidy plate text (case, spaces, full width) is present in the raw feed', () => {
    const raw = g.lines.map((l) => JSON.parse(l) as { plate: string });
    const untidy = raw.filter((r) => /[a-z ０-９]/.test(r.plate) && r.plate !== 'unknown').length;
    expect(untidy).toBe(t.counts.format_variants);
    expect(untidy).toBeGreaterThan(0);
  });

  it('skewed clocks: ~6% of cameras off by 10 s to 2 min, visible against arrival order', () => {
    expect(t.noise.skewed_cameras.length).toBe(Math.round(0.06 * registry.size));
    for (const s of t.noise.skewed_cameras) {
      expect(Math.abs(s.skew_ms)).toBeGreaterThanOrEqual(10_000);
      expect(Math.abs(s.skew_ms)).toBeLessThanOrEqual(120_000);
      // Neighbours in arrival order are captured within seconds of each other, so ts - previous ts ~ skew.
      const deltas: number[] = [];
      for (let i = 1; i < rs.length; i++)
        if (rs[i]!.checkpoint === s.checkpoint && !t.noise.skewed_cameras.some((o) => o.checkpoint === rs[i - 1]!.checkpoint))
          deltas.push(rs[i]!.ts - rs[i - 1]!.ts);
      if (deltas.length < 20) continue;
      deltas.sort((a, b) => a - b);
      expect(Math.abs(deltas[deltas.length >> 1]! - s.skew_ms)).toBeLessThan(5000);
    }
  });

  it('camera outages: the backlog arrives late, in a burst, after the camera comes back', () => {
    expect(t.noise.outages).toHaveLength(1);
    const o = t.noise.outages[0]!;
    expect(o.records).toBeGreaterThan(20);
    const skewed = new Set(t.noise.skewed_cameras.map((s) => s.checkpoint));
    expect(skewed.has(o.checkpoint)).toBe(false);
    const held = rs.map((r, i) => ({ r, i })).filter(({ r }) => r.checkpoint === o.checkpoint && r.ts >= o.from && r.ts < o.to);
    expect(held.length).toBeGreaterThanOrEqual(o.records); // plus duplicates of held captures
    const first = held[0]!.i;
    const last = held[held.length - 1]!.i;
    // Burst: flushed at ~500/s, so few live records interleave.
    expect(last - first).toBeLessThan(2 * held.length + 50);
    // Late: they arrive when the camera comes back, after live records from around o.to.
    const before = rs.slice(Math.max(0, first - 50), first).filter((r) => !skewed.has(r.checkpoint));
    for (const r of before) expect(r.ts).toBeGreaterThan(o.to - 5000);
    // In event-time order they span the outage.
    expect(Math.min(...held.map(({ r }) => r.ts))).toBeLessThan(o.from + 60_000);
    expect(Math.max(...held.map(({ r }) => r.ts))).toBeGreaterThan(o.to - 60_000);
  });

  it('noise alone never implies an impossible trip, except where the truth lists the noise', () => {
    const misread = new Set(t.noise.misreads.map((m) => m.id));
    const skewed = new Set(t.noise.skewed_cameras.map((s) => s.checkpoint));
    const last = new Map<string, { checkpoint: string; ts: number; id: string }>();

    for (const r of rs) {
      if (!r.plate_readable) continue;
      const k = keyOf(r);
      const prev = last.get(k);
      if (prev !== undefined) {
        const km = registry.distanceKm(prev.checkpoint, r.checkpoint);
        const h = Math.abs(r.ts - prev.ts) / 3.6e6;
        if (km >= 2 && km / h > 180) {
          const byNoise = misread.has(r.id) || misread.has(prev.id) || skewed.has(r.checkpoint) || skewed.has(prev.checkpoint);
          expect(byNoise, `${k}: ${prev.checkpoint} -> ${r.checkpoint} at ${(km / h).toFixed(0)} km/h`).toBe(true);
        }
      }
      last.set(k, { checkpoint: r.checkpoint, ts: r.ts, id: r.id });
    }
  });
});

describe('noise at configured rates', () => {
  it('follows the rates it is given', () => {
    const g = generate({
      seed: 'rates',
      start: at('08:00'),
      minutes: 10,
      scale: 0.1,
      noise: {
        misreadRate: 0.02,
        laneDuplicateRate: 0.05,
        adjacentDuplicateRate: 0,
        unreadableRate: 0.03,
        formatVariantRate: 0,
        skewedCameraShare: 0.2,
        outagesPerDay: 0,
      },
    });
    const n = g.truth.counts.records;
    const captures = n - g.truth.counts.duplicates;
    expect(g.truth.counts.misreads / n).toBeGreaterThan(0.015);
    expect(g.truth.counts.misreads / n).toBeLessThan(0.025);
    expect(g.truth.counts.unreadable / n).toBeGreaterThan(0.024);
    expect(g.truth.counts.unreadable / n).toBeLessThan(0.036);
    expect(g.truth.counts.duplicates / captures).toBeGreaterThan(0.04);
    expect(g.truth.counts.duplicates / captures).toBeLessThan(0.06);
    expect(g.truth.noise.duplicates.every((d) => d.kind === 'lane')).toBe(true);
    expect(g.truth.counts.format_variants).toBe(0);
    expect(g.truth.noise.skewed_cameras.length).toBe(Math.round(0.2 * registry.size));
    expect(g.truth.noise.outages).toEqual([]);
  });

  it('--no-noise style settings give a clean feed', () => {
    const g = generate({
      seed: 'clean',
      start: at('08:00'),
      minutes: 5,
      scale: 0.05,
      noise: {
        misreadRate: 0,
        laneDuplicateRate: 0,
        adjacentDuplicateRate: 0,
        unreadableRate: 0,
        formatVariantRate: 0,
        skewedCameraShare: 0,
        outagesPerDay: 0,
      },
    });
    expect(g.truth.counts).toMatchObject({ misreads: 0, duplicates: 0, unreadable: 0, format_variants: 0, late_backlog: 0 });
    expect(records(g).every((r) => r.plate_readable)).toBe(true);
  });
});

describe('streaming', () => {
  it('a whole day streams in chunks and never holds more than a sliver of its records', () => {
    const g = generate({ seed: 'day', start: at('00:00'), minutes: 1440, scale: 0.02, anomalies: true });
    const n = g.truth.counts.records;
    expect(n).toBeGreaterThan(100_000);
    expect(g.lines.length).toBe(n);
    expect(g.chunks).toBeGreaterThan(100);
    expect(g.maxPending).toBeLessThan(n * 0.02);
    expect(g.truth.noise.outages.length).toBe(4);
    for (const o of g.truth.noise.outages) {
      expect(o.to - o.from).toBeGreaterThanOrEqual(60 * MIN);
      expect(o.to - o.from).toBeLessThanOrEqual(180 * MIN);
    }
  });
});
