/**
 * Alert ids are the same for the same input, whatever the arrival interleaving within the watermark bound and
 * whatever a shared first_seen store learned in between: the service replays its input after a crash, and
 * downstream de-duplicates alerts by id. Every shipped rule runs in-process (`vigil run`'s embedded job) with a
 * first_seen store the test owns, seeded with the generator's known vehicles.
 */

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTask, loadTrafficProgram, lookupsFor, runEmbedded, trafficCheck } from '../../src/app/index.js';
import { ArraySource, CollectSink, decodeCheckpoint, encodeCheckpoint, ManualClock, type Task } from '../../src/core/index.js';
import type { Alert } from '../../src/dsl/rules/alert.js';
import { MemoryFirstSeenStore } from '../../src/io/first-seen/memory-store.js';
import type { FirstSeenStore } from '../../src/io/first-seen/store.js';
import { type GroundTruth, TrafficSimulation } from '../../src/traffic/generator/index.js';
import { Rng } from '../../src/traffic/generator/prng.js';

const REPO = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'vigil-alert-ids-'));
const { registry, loaded } = loadTrafficProgram({}, REPO);

interface AlertLine {
  readonly id: string;
  readonly rule: string;
  readonly key: string;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly evidence: Readonly<Record<string, ReadonlyArray<{ readonly id?: string }>>>;
}

async function seed(store: FirstSeenStore, known: GroundTruth['known_vehicles']): Promise<void> {
  await store.seed({ keys: [known.map((v) => v[0]), known.map((v) => v[1])], timestamps: known.map(() => 0), ids: known.map(() => 'known') });
}

let runs = 0;
/** Every enabled shipped rule over NDJSON lines, in-process; the alerts and the number of late records. */
async function run(lines: readonly string[], store: FirstSeenStore): Promise<{ alerts: AlertLine[]; late: number }> {
  const input = join(dir, `input-${runs++}.ndjson`);
  writeFileSync(input, lines.join('\n') + '\n');
  let out = '';
  const summary = await runEmbedded(
    {
      program: loaded.program,
      rules: loaded.rules,
      input,
      check: trafficCheck(registry),
      lookups: lookupsFor(store),
      clock: new ManualClock(0),
    },
    { stdout: (text) => void (out += text), stderr: () => {} },
  );
  const alerts = out
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as AlertLine);
  return { alerts, late: summary.late };
}

/** Alert ids by rule, sorted: what downstream de-duplicates on. */
function idsByRule(alerts: readonly AlertLine[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const a of alerts) (out[a.rule] ??= []).push(a.id);
  for (const ids of Object.values(out)) ids.sort();
  return out;
}

/**
 * The lines in another arrival order, no record moved by more than `spanMs`: the input (in arrival order) is cut
 * into stretches over which the latest event time read so far (the feed's clock) advances at most `spanMs`, and each
 * stretch is shuffled. So what was read before a record is what was read before it in the original, give or take
 * `spanMs` of the feed: with the shipped 5-minute bound and camera clocks at most 2 minutes off, nothing becomes late.
 */
function permuteWithin(lines: readonly string[], spanMs: number, seed: number): string[] {
  const rng = new Rng(seed);
  const random = (): number => rng.next();
  const ts = lines.map((l) => (JSON.parse(l) as { ts: number }).ts);
  const out: string[] = [];
  let clock = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < lines.length; ) {
    const start = Math.max(clock, ts[i] as number);
    const stretch: string[] = [];
    for (; i < lines.length && Math.max(clock, ts[i] as number) - start <= spanMs; i++) {
      clock = Math.max(clock, ts[i] as number);
      stretch.push(lines[i] as string);
    }
    for (let k = stretch.length - 1; k > 0; k--) {
      const j = Math.floor(random() * (k + 1));
      [stretch[k], stretch[j]] = [stretch[j] as string, stretch[k] as string];
    }
    out.push(...stretch);
  }
  return out;
}

/** Generated city traffic with anomalies of every kind, in arrival order, and its truth. */
function generate(options: { minutes: number; scale: number; seed: string }): { lines: string[]; truth: GroundTruth } {
  const sim = new TrafficSimulation({
    seed: options.seed,
    start: Date.parse('2026-03-02T07:00:00+08:00'),
    minutes: options.minutes,
    scale: options.scale,
    anomalies: true,
    anomalyCounts: { cloned_plate: 3, flow_surge: 2, flow_drop: 1, congestion: 3, first_entry: 6 },
  });
  let text = '';
  for (const chunk of sim.chunks()) text += chunk;
  return { lines: text.split('\n').filter((l) => l.length > 0), truth: sim.truth() };
}

/**
 * 45 minutes at 0.1 of full scale (~83,000 records), generated once: every shipped rule alerts, sudden-congestion on
 * window results whose averages are float sums (summed in another order they differ in the last bits).
 */
let city: { lines: string[]; truth: GroundTruth } | undefined;
const generatedCity = (): { lines: string[]; truth: GroundTruth } => (city ??= generate({ minutes: 45, scale: 0.1, seed: '11' }));

/** The shipped rules' job as one task over the lines, batches of 500, alerts collected. */
function task(lines: readonly string[], store: FirstSeenStore): { task: Task; alerts: CollectSink<Alert> } {
  const alerts = new CollectSink<Alert>();
  // The job reads byte lines (one char per byte), as from a file.
  const bytes = lines.map((l) => Buffer.from(l, 'utf8').toString('latin1'));
  const t = createTask({
    program: loaded.program,
    rules: loaded.rules,
    source: new ArraySource('lines', [bytes], 500),
    check: trafficCheck(registry),
    lookups: lookupsFor(store),
    outputs: { alerts },
    clock: new ManualClock(0),
  });
  return { task: t, alerts };
}

describe('alert ids', () => {
  it('are the same for every shipped rule when records are moved by up to a minute (inside the 5-minute bound)', async () => {
    const { lines, truth } = generatedCity();
    const baseStore = new MemoryFirstSeenStore();
    await seed(baseStore, truth.known_vehicles);
    const base = await run(lines, baseStore);
    const expected = idsByRule(base.alerts);
    expect(Object.keys(expected).sort()).toEqual(['cloned-plate', 'first-entry', 'sudden-congestion', 'sudden-flow']);
    for (const p of [1, 2, 3]) {
      const permuted = permuteWithin(lines, 60_000, p);
      expect(permuted).not.toEqual(lines);
      const store = new MemoryFirstSeenStore();
      await seed(store, truth.known_vehicles);
      const r = await run(permuted, store);
      expect(r.late).toBe(base.late);
      expect(idsByRule(r.alerts), `permutation ${p}`).toEqual(expected);
    }
  }, 180_000);

  it('survive a checkpoint: window results waiting in a pattern keep their identity through the snapshot', async () => {
    const { lines, truth } = generatedCity();
    const wholeStore = new MemoryFirstSeenStore();
    await seed(wholeStore, truth.known_vehicles);
    const whole = task(lines, wholeStore);
    await whole.task.run();
    const expected = idsByRule(whole.alerts.values as unknown as AlertLine[]);
    expect(expected['sudden-congestion']?.length).toBeGreaterThan(0);
    const batches = Math.ceil(lines.length / 500);
    for (const cut of [Math.floor(batches / 4), Math.floor(batches / 2), Math.floor((3 * batches) / 4)]) {
      const store = new MemoryFirstSeenStore();
      await seed(store, truth.known_vehicles);
      const first = task(lines, store);
      for (let i = 0; i < cut; i++) await first.task.step();
      // Written and read back as a savepoint file would be: the identity must survive JSON.
      const text = encodeCheckpoint(first.task.snapshot());
      expect(text).toContain('segment_speed_1m\\u001e'); // window results are in the CEP state at this point
      const second = task(lines, store);
      await second.task.restore(decodeCheckpoint(text));
      await second.task.run();
      const both = [...first.alerts.values, ...second.alerts.values] as unknown as AlertLine[];
      expect(idsByRule(both), `checkpoint after batch ${cut}`).toEqual(expected);
    }
  }, 180_000);

  it('take the same evidence from a duplicate capture (one plate, two lanes, one millisecond) in either arrival order', async () => {
    // A vehicle new to the city, captured by both lanes of the entry gantry CP0001 in the same millisecond, then
    // inside the city: first-entry alerts once, on the capture with the smaller id, whichever arrived first.
    const t = Date.parse('2026-03-02T08:00:00Z');
    const rec = (id: string, checkpoint: string, lane: number, ts: number): string =>
      JSON.stringify({ id, plate: '浙A7T001', plate_color: 'blue', vehicle_type: 'car', checkpoint, lane, speed: 60, ts });
    const lane1 = rec('cap-0412', CP_ENTRY, 1, t);
    const lane2 = rec('cap-0398', CP_ENTRY, 2, t);
    const inside = rec('cap-0977', 'CP0042', 1, t + 6 * 60_000);
    const results: AlertLine[][] = [];
    for (const order of [
      [lane1, lane2, inside],
      [lane2, lane1, inside],
    ]) {
      results.push((await run(order, new MemoryFirstSeenStore())).alerts);
    }
    const [first, second] = results as [AlertLine[], AlertLine[]];
    expect(first.map((a) => a.rule)).toEqual(['first-entry']);
    expect(first[0]?.evidence['e']?.map((e) => e.id)).toEqual(['cap-0398']);
    expect(second.map((a) => [a.id, a.evidence['e']?.map((e) => e.id)])).toEqual(first.map((a) => [a.id, a.evidence['e']?.map((e) => e.id)]));
  });

  it('are the same when the input is replayed against the same first_seen store after earlier sightings reached it', async () => {
    // The reported case: `vigil run --redis` twice over one file; in between, a camera's backlog brought sightings
    // of the first run's new vehicles from before their first sighting. (test/cli-redis does the same with Redis.)
    const lines = readFileSync(join(REPO, 'fixtures', 'sample-traffic.ndjson'), 'utf8')
      .split('\n')
      .filter((l) => l.length > 0);
    const truth = JSON.parse(readFileSync(join(REPO, 'fixtures', 'sample-truth.json'), 'utf8')) as GroundTruth;
    const store = new MemoryFirstSeenStore();
    await seed(store, truth.known_vehicles);
    const first = await run(lines, store);
    const entries = first.alerts.filter((a) => a.rule === 'first-entry');
    expect(entries.length).toBeGreaterThan(0);
    const backlog = await run(backlogFor(entries, lines), store);
    expect(backlog.alerts).toEqual([]);
    // The backlog did reach the store: those sightings are now the vehicles' earliest.
    // The vehicle (first_seen's key), not the alert's key: first_entry is keyed by the plate's shape.
    const keys = entries.map((a) => `${String(a.payload['plate'])}\u001f${String(a.payload['plate_color'])}`);
    expect((await store.earliest(keys)).map((s) => s?.id)).toEqual(entries.map((_, i) => `backlog-${i}`));
    const replay = await run(lines, store);
    expect(idsByRule(replay.alerts)).toEqual(idsByRule(first.alerts));
  });
});

/** An entry checkpoint of the shipped registry (fixtures/checkpoints.json). */
const CP_ENTRY = 'CP0001';

/**
 * A camera backlog: for each first-entry alert, a sighting of its vehicle at an inner checkpoint ten minutes before
 * the sighting that was new, with an id of its own. Through the job it reaches the first_seen store (and alerts on
 * nothing: a single sighting).
 */
function backlogFor(entries: readonly AlertLine[], lines: readonly string[]): string[] {
  const byId = new Map<string, Record<string, unknown>>();
  for (const l of lines) {
    const r = JSON.parse(l) as Record<string, unknown>;
    byId.set(r['id'] as string, r);
  }
  return entries.map((a, i) => {
    const e = byId.get(a.evidence['e']?.[0]?.id ?? '');
    if (e === undefined) throw new Error(`no record for the evidence of ${a.id}`);
    const { direction: _direction, ...rest } = e;
    return JSON.stringify({ ...rest, id: `backlog-${i}`, checkpoint: 'CP0042', lane: 1, ts: (e['ts'] as number) - 10 * 60_000 });
  });
}
