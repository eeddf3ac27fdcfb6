import { describe, expect, it } from 'vitest';
import { detectionOf, run as evalRun } from '../../src/cli/commands/eval.js';
import { UserError } from '../../src/cli/io.js';
import type { Detection } from '../../src/traffic/evaluate.js';
import type { AnomalyTruth, ClonedPlateTruth, GroundTruth } from '../../src/traffic/generator/truth.js';
import { cloneLevel, formatDelay, formatMatrix, matrixPasses, percentile, scoreCity, worstRow } from '../../src/traffic/matrix.js';

const MIN = 60_000;

function clone(plate: string, from: number, pairs: number): ClonedPlateTruth {
  return {
    type: 'cloned_plate',
    key: `${plate}|blue`,
    plate,
    plate_color: 'blue',
    from,
    to: from + 5 * MIN,
    checkpoints: ['CP1', 'CP9'],
    min_distance_km: 12,
    records: [['r1'], ['r2']],
    impossible_pairs: pairs,
    provable_at: from + MIN,
  };
}

function truth(anomalies: AnomalyTruth[]): GroundTruth {
  return {
    generator: { seed: '1', start: 0, end: 300 * MIN, minutes: 300, scale: 1, anomalies: true, version: 1 },
    counts: { records: 0, misreads: 0, duplicates: 0, unreadable: 0, format_variants: 0, dropped_by_flow_drop: 0, late_backlog: 0 },
    anomalies,
    noise: { skewed_cameras: [], outages: [], misreads: [], duplicates: [] },
    known_vehicles: [],
  };
}

const t = truth([
  clone('浙A1', 10 * MIN, 3),
  clone('浙A2', 40 * MIN, 2),
  clone('浙A3', 70 * MIN, 1), // meets once
  { type: 'flow_surge', key: 'CP5', checkpoint: 'CP5', from: 100 * MIN, to: 106 * MIN, factor: 2.5, baseline_per_min: 12 },
  { type: 'flow_surge', key: 'CP6', checkpoint: 'CP6', from: 150 * MIN, to: 156 * MIN, factor: 2.5, baseline_per_min: 12 },
  {
    type: 'first_entry',
    key: '浙B9|green',
    plate: '浙B9',
    plate_color: 'green',
    checkpoint: 'CP1',
    from: 200 * MIN,
    to: 200 * MIN,
    same_number_other_color: false,
    record: 'r0',
  },
]);

describe('clone levels', () => {
  it('two impossible pairs or more are confirmed, one (or none) suspected', () => {
    expect(cloneLevel(clone('x', 0, 2))).toBe('confirmed');
    expect(cloneLevel(clone('x', 0, 1))).toBe('suspected');
    expect(cloneLevel(clone('x', 0, 0))).toBe('suspected');
  });

  it('an alert says its level by its severity', () => {
    const alert = (severity: string) => ({
      rule: 'cloned-plate',
      severity,
      event_time: 1,
      payload: { plate: '浙A1', plate_color: 'blue', first: 'CP1', second: 'CP2' },
    });
    expect(detectionOf(alert('high'))?.level).toBe('confirmed');
    expect(detectionOf(alert('medium'))?.level).toBe('suspected');
    expect(detectionOf(alert('low'))?.level).toBe('suspected');
  });
});

describe('scoreCity', () => {
  it('scores the two clone levels apart, each against its own clones', () => {
    const detections: Detection[] = [
      { type: 'cloned_plate', key: '浙A1|blue', time: 12 * MIN, level: 'confirmed' },
      { type: 'cloned_plate', key: '浙A3|blue', time: 72 * MIN, level: 'confirmed' }, // a real clone: not a false alarm, but not the confirmed level's find
      { type: 'cloned_plate', key: '浙Z9|blue', time: 20 * MIN, level: 'confirmed' }, // false
      { type: 'flow_surge', key: 'CP5', time: 104 * MIN },
      { type: 'first_entry', key: '浙B9|green', time: 202 * MIN },
    ];
    const s = scoreCity('x', detections, t);
    expect(s.columns.clone_confirmed).toMatchObject({ alerts: 3, truePositives: 2, anomalies: 2, found: 1 });
    expect(s.columns.clone_confirmed.precision).toBeCloseTo(2 / 3);
    expect(s.columns.clone_confirmed.recall).toBe(0.5);
    expect(s.columns.clone_suspected).toMatchObject({ alerts: 0, anomalies: 1, found: 0, precision: 1, recall: 0 });
    expect(s.columns.flow_surge).toMatchObject({ alerts: 1, anomalies: 2, found: 1, precision: 1, recall: 0.5 });
    expect(s.columns.flow_drop).toMatchObject({ alerts: 0, anomalies: 0, precision: 1, recall: 1 });
    // Delays: from the first impossible pair (provable_at), the entry sighting, the episode's start.
    expect(s.columns.clone_confirmed.delaysMs).toEqual([MIN]);
    expect(s.columns.flow_surge.delaysMs).toEqual([4 * MIN]);
    expect(s.columns.first_entry.delaysMs).toEqual([2 * MIN]);
  });

  it('a suspected alert finds a meet-once clone; its earliest alert gives the delay', () => {
    const detections: Detection[] = [
      { type: 'cloned_plate', key: '浙A3|blue', time: 75 * MIN, level: 'suspected' },
      { type: 'cloned_plate', key: '浙A3|blue', time: 73 * MIN, level: 'suspected' },
    ];
    const s = scoreCity('x', detections, t);
    expect(s.columns.clone_suspected).toMatchObject({ alerts: 2, truePositives: 2, anomalies: 1, found: 1, precision: 1, recall: 1 });
    expect(s.columns.clone_suspected.delaysMs).toEqual([2 * MIN]);
    expect(s.columns.clone_confirmed).toMatchObject({ alerts: 0, found: 0, recall: 0 });
  });
});

describe('the table arithmetic', () => {
  it('percentiles are nearest-rank', () => {
    const v = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(v, 50)).toBe(5);
    expect(percentile(v, 99)).toBe(10);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('the min row is the lowest precision and recall, the delays the highest, cities without finds left out', () => {
    const a = scoreCity(
      'a',
      [
        { type: 'flow_surge', key: 'CP5', time: 104 * MIN },
        { type: 'flow_surge', key: 'CP6', time: 151 * MIN },
        { type: 'flow_drop', key: 'CP7', time: MIN },
      ],
      t,
    );
    const b = scoreCity('b', [{ type: 'flow_surge', key: 'CP5', time: 109 * MIN }], t);
    const worst = worstRow([a, b]);
    expect(worst.flow_surge).toEqual({ precision: 1, recall: 0.5, p50Ms: 9 * MIN, p99Ms: 9 * MIN, holdP50Ms: NaN, holdP99Ms: NaN });
    expect(worst.flow_drop).toMatchObject({ precision: 0, recall: 1 });
    expect(worst.congestion.p50Ms).toBeNaN();
    expect(matrixPasses([a, b], 0.95)).toBe(false);
  });

  it('passes only when every column of every city reaches the gate', () => {
    const all: Detection[] = [
      { type: 'cloned_plate', key: '浙A1|blue', time: 12 * MIN, level: 'confirmed' },
      { type: 'cloned_plate', key: '浙A2|blue', time: 42 * MIN, level: 'confirmed' },
      { type: 'cloned_plate', key: '浙A3|blue', time: 72 * MIN, level: 'suspected' },
      { type: 'flow_surge', key: 'CP5', time: 104 * MIN },
      { type: 'flow_surge', key: 'CP6', time: 154 * MIN },
      { type: 'first_entry', key: '浙B9|green', time: 202 * MIN },
    ];
    expect(matrixPasses([scoreCity('a', all, t)], 0.95)).toBe(true);
    expect(matrixPasses([scoreCity('a', all, t), scoreCity('b', all.slice(1), t)], 0.95)).toBe(false);
  });

  it('prints the cells, a min row and a max delay row', () => {
    const a = scoreCity('alpha', [{ type: 'flow_surge', key: 'CP5', time: 104 * MIN }], t);
    const text = formatMatrix([a], 0.95);
    const lines = text.split('\n');
    expect(lines[1]).toMatch(/^city\s+clone:confirmed\s+clone:suspected\s+flow_surge\s+flow_drop\s+congestion\s+first_entry$/);
    expect(lines[2]).toMatch(/^alpha\s+-\/0\.000 <\s+-\/0\.000 <\s+1\.000\/0\.500 <\s+-\/-\s+-\/-\s+-\/0\.000 <$/);
    expect(lines[3]).toMatch(/^min\s+1\.000\/0\.000 <\s+1\.000\/0\.000 <\s+1\.000\/0\.500 <\s+1\.000\/1\.000\s+1\.000\/1\.000\s+1\.000\/0\.000 <$/);
    expect(text).toMatch(/alpha\s+0\/2 \(0, 0\)\s+0\/1 \(0, 0\)\s+1\/2 \(1, 1\)/);
    expect(text).toMatch(/\nmax\s+-\/-\s+-\/-\s+4\.0m\/4\.0m/);
  });

  it('the hold is each alert dated in event time less its evidence time, per column, with its own table', () => {
    const dated: Detection[] = [
      { type: 'cloned_plate', key: '浙A1|blue', time: 12 * MIN, detectedAt: 12 * MIN + 4000, level: 'confirmed' },
      { type: 'cloned_plate', key: '浙A2|blue', time: 42 * MIN, detectedAt: 42 * MIN + 6000, level: 'confirmed' },
      { type: 'cloned_plate', key: '浙A3|blue', time: 72 * MIN, detectedAt: 77 * MIN, level: 'suspected' },
      { type: 'flow_surge', key: 'CP5', time: 104 * MIN },
    ];
    const a = scoreCity('alpha', dated, t);
    expect(a.columns.clone_confirmed.holdsMs).toEqual([4000, 6000]);
    expect(a.columns.clone_suspected.holdsMs).toEqual([5 * MIN]);
    expect(a.columns.flow_surge.holdsMs).toEqual([]);
    expect(worstRow([a]).clone_confirmed).toMatchObject({ holdP50Ms: 4000, holdP99Ms: 6000 });
    const text = formatMatrix([a], 0.95);
    expect(text).toMatch(/delay from the evidence's last record to the alert[^\n]*\n[^\n]*\nalpha\s+4s\/6s\s+5\.0m\/5\.0m\s+-\/-/);
    // Without dated alerts (a plain `vigil eval`) there is no such table.
    expect(formatMatrix([scoreCity('b', [{ type: 'flow_surge', key: 'CP5', time: 104 * MIN }], t)], 0.95)).not.toContain('evidence');
  });

  it('delays read as seconds under two minutes, else minutes', () => {
    expect(formatDelay(45_000)).toBe('45s');
    expect(formatDelay(119_000)).toBe('119s');
    expect(formatDelay(150_000)).toBe('2.5m');
    expect(formatDelay(NaN)).toBe('-');
  });
});

describe('vigil eval --matrix flags', () => {
  const io = { cwd: process.cwd(), env: {}, stdout: () => {}, stderr: () => {} };
  it('refuses an unknown city and the single-city settings', async () => {
    await expect(evalRun(['--matrix', '--city', 'atlantis'], io)).rejects.toThrow(/--city atlantis: no such city \(cities: reference, /);
    await expect(evalRun(['--matrix', '--seed', '3'], io)).rejects.toThrow(UserError);
    await expect(evalRun(['--matrix', '--checkpoints', 'x.json'], io)).rejects.toThrow(/--checkpoints does not apply to --matrix/);
  });
});
