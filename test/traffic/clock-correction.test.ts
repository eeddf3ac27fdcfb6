import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulation, writeSimulation } from '../../src/app/generate.js';
import { runTraffic, type TrafficRunSummary } from '../../src/app/traffic.js';
import { cityRegistryJson } from '../../src/traffic/generator/city.js';
import type { GroundTruth } from '../../src/traffic/generator/truth.js';
import { copyShippedPatterns } from '../cli/helpers.js';

/**
 * Golden: a skewed camera corrected. A small generated city (40 minutes, a clean feed but for a few camera clocks
 * off by up to two minutes either way, with clones and first entries) runs through the shipped rules, with
 * `correct_clocks` (as shipped) and without it (the same patterns, the option left out).
 */
const REPO = new URL('../../', import.meta.url).pathname;
const START = Date.parse('2026-03-02T10:00:00+08:00');

interface Run {
  readonly summary: TrafficRunSummary;
  readonly alerts: Array<{ rule: string; event_time: number; detected_at: number; payload: Record<string, unknown> }>;
  readonly records: Array<Record<string, unknown>>;
}

let dir: string;
let truth: GroundTruth;
let corrected: Run;
let uncorrected: Run;

async function run(patterns: string): Promise<Run> {
  const out = join(dir, `alerts-${patterns.length}.ndjson`);
  const lines: string[] = [];
  const summary = await runTraffic(
    {
      cwd: dir,
      input: join(dir, 'traffic.ndjson'),
      out,
      checkpoints: join(dir, 'checkpoints.json'),
      knownVehicles: join(dir, 'truth.json'),
      patterns,
      streams: ['plates'],
      detectedAtInEventTime: true,
    },
    { stdout: (t) => lines.push(t), stderr: () => {} },
  );
  const records = lines
    .join('')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const alerts = readFileSync(out, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Run['alerts'][number]);
  return { summary, alerts, records };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-clock-'));
  writeFileSync(join(dir, 'checkpoints.json'), cityRegistryJson());
  truth = await writeSimulation(
    simulation({
      seed: 'clock-golden',
      start: START,
      minutes: 40,
      scale: 0.3,
      anomalies: true,
      anomalyCounts: { cloned_plate: 3, first_entry: 3, flow_surge: 0, flow_drop: 0, congestion: 0 },
      noise: {
        misreadRate: 0,
        laneDuplicateRate: 0,
        adjacentDuplicateRate: 0,
        unreadableRate: 0,
        formatVariantRate: 0,
        outagesPerDay: 0,
        skewedCameraShare: 0.05,
        maxSkewMs: 120_000,
      },
    }),
    join(dir, 'traffic.ndjson'),
    join(dir, 'truth.json'),
  );
  const shipped = join(REPO, 'patterns');
  const plain = copyShippedPatterns(dir);
  const passes = join(plain, 'passes.pattern');
  const text = readFileSync(passes, 'utf8');
  expect(text).toContain('schema traffic { correct_clocks: true }');
  writeFileSync(passes, text.replace('schema traffic { correct_clocks: true }', 'schema traffic'));
  corrected = await run(shipped);
  uncorrected = await run(plain);
}, 240_000);

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('a skewed camera corrected (golden)', () => {
  it('the feed has skewed cameras both ways', () => {
    const skews = truth.noise.skewed_cameras.map((s) => s.skew_ms);
    expect(skews.some((s) => s > 10_000)).toBe(true);
    expect(skews.some((s) => s < -10_000)).toBe(true);
  });

  it("each skewed camera's records are brought to its true time after its first minutes; honest cameras keep their stamps", () => {
    const skew = new Map(truth.noise.skewed_cameras.map((s) => [s.checkpoint, s.skew_ms]));
    const stamp = (r: Record<string, unknown>): number => (r['camera_ts'] ?? r['ts']) as number;
    const first = new Map<string, number>();
    for (const r of corrected.records) {
      const cp = r['checkpoint'] as string;
      first.set(cp, Math.min(first.get(cp) ?? Number.POSITIVE_INFINITY, stamp(r)));
    }
    let checked = 0;
    for (const r of corrected.records) {
      const cp = r['checkpoint'] as string;
      const s = skew.get(cp);
      if (s === undefined) {
        expect(r['camera_ts']).toBeUndefined();
        continue;
      }
      // Learned from a camera's first few records (here its first three minutes).
      if (stamp(r) < (first.get(cp) as number) + 180_000) continue;
      // The stamp is kept; ts is the stamp less the learned offset, within the 2 s dead band of the true skew.
      expect(Math.abs((r['camera_ts'] as number) - (r['ts'] as number) - s)).toBeLessThanOrEqual(2500);
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('no record is late either way, and the same clones and first entries are found', () => {
    expect(corrected.summary.late).toBe(0);
    expect(uncorrected.summary.late).toBe(0);
    const found = (r: Run, rule: string): string[] =>
      [...new Set(r.alerts.filter((a) => a.rule === rule).map((a) => `${String(a.payload['plate'])}|${String(a.payload['plate_color'])}`))].sort();
    const planted = (type: string): string[] => truth.anomalies.filter((a) => a.type === type).map((a) => a.key);
    for (const [rule, type] of [
      ['cloned-plate', 'cloned_plate'],
      ['first-entry', 'first_entry'],
    ] as const) {
      expect(found(corrected, rule)).toEqual(found(uncorrected, rule));
      for (const key of planted(type)) expect(found(corrected, rule)).toContain(key);
    }
  });

  it('alerts come seconds after their evidence instead of the five minutes the fixed bound holds', () => {
    const holds = (r: Run): number[] => r.alerts.filter((a) => Number.isFinite(a.detected_at)).map((a) => a.detected_at - a.event_time);
    expect(holds(corrected).length).toBeGreaterThan(0);
    expect(Math.max(...holds(corrected))).toBeLessThan(15_000);
    expect(Math.min(...holds(uncorrected))).toBeGreaterThanOrEqual(300_000);
  });
});
