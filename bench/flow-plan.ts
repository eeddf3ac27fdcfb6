/**
 * Planned vs measured flow at the cameras of the matrix cities: does the generator's plan (the truth's
 * `baseline_per_min`) match what a camera really carries, and is a planned surge or drop the planned factor at its
 * camera? Usage: node dist/bench/flow-plan.js [CITY ...] (all matrix cities by default). No rules run.
 */
import { MATRIX_CITIES, namedCityOptions } from '../src/traffic/generator/cities.js';
import { TrafficSimulation } from '../src/traffic/generator/simulation.js';
import type { FlowTruth } from '../src/traffic/generator/truth.js';
import { parseIsoTimestamp } from '../src/traffic/timestamp.js';

const MIN = 60_000;

interface Measured {
  /** Records per camera id per minute since the start, in true time. */
  readonly perMin: Map<string, Float64Array>;
  /** True times of the records at the episodes' cameras. */
  readonly times: Map<string, number[]>;
  readonly cpIds: readonly string[];
  /** The generator's plan: expected records per ms at a camera index and instant. */
  readonly rate: (cp: number, t: number) => number;
  readonly start: number;
  readonly minutes: number;
  readonly flows: FlowTruth[];
}

function measure(name: string): Measured {
  const city = MATRIX_CITIES.find((c) => c.name === name);
  if (city === undefined) throw new Error(`no city ${name}`);
  const options = namedCityOptions(city, parseIsoTimestamp(city.start));
  const sim = new TrafficSimulation(options);
  const perMin = new Map<string, Float64Array>();
  const raw: Array<[string, number]> = [];
  for (const chunk of sim.chunks()) {
    for (const line of chunk.split('\n')) {
      if (line === '') continue;
      const r = JSON.parse(line) as { checkpoint: string; ts: number };
      raw.push([r.checkpoint, r.ts]);
    }
  }
  const truth = sim.truth();
  const skew = new Map(truth.noise.skewed_cameras.map((s) => [s.checkpoint, s.skew_ms]));
  const times = new Map<string, number[]>();
  for (const [cp, ts] of raw) {
    const t = ts - (skew.get(cp) ?? 0);
    let list = times.get(cp);
    if (list === undefined) times.set(cp, (list = []));
    list.push(t);
    const m = Math.floor((t - options.start) / MIN);
    if (m < 0 || m >= options.minutes) continue;
    let a = perMin.get(cp);
    if (a === undefined) perMin.set(cp, (a = new Float64Array(options.minutes)));
    a[m]!++;
  }
  // The calibration is private: read it for this diagnosis only.
  const internals = sim as unknown as { baseRatePerMs(cp: number, t: number): number; cps: ReadonlyArray<{ id: string }> };
  return {
    perMin,
    times,
    cpIds: internals.cps.map((c) => c.id),
    rate: (cp, t) => internals.baseRatePerMs(cp, t),
    start: options.start,
    minutes: options.minutes,
    flows: truth.anomalies.filter((a): a is FlowTruth => a.type === 'flow_surge' || a.type === 'flow_drop'),
  };
}

function plannedPerMin(m: Measured, cp: number, minute: number): number {
  return m.rate(cp, m.start + (minute + 0.5) * MIN) * MIN;
}

function sum(a: Float64Array | undefined, from: number, to: number): number {
  let s = 0;
  if (a !== undefined) for (let i = Math.max(0, from); i < Math.min(a.length, to); i++) s += a[i]!;
  return s;
}

const f2 = (x: number): string => x.toFixed(2);

function report(name: string): void {
  const m = measure(name);
  // Quiet minutes 10-40 (no anomaly before 40): measured / planned over all cameras, and by planned size.
  let planned = 0;
  let seen = 0;
  const ratios: Array<[number, number]> = [];
  m.cpIds.forEach((id, cp) => {
    let p = 0;
    for (let i = 10; i < 40; i++) p += plannedPerMin(m, cp, i);
    const s = sum(m.perMin.get(id), 10, 40);
    planned += p;
    seen += s;
    if (p >= 30) ratios.push([p / 30, s / p]);
  });
  ratios.sort((a, b) => a[1] - b[1]);
  const q = (f: number): string => f2(ratios[Math.min(ratios.length - 1, Math.floor(f * ratios.length))]?.[1] ?? Number.NaN);
  console.log(
    `${name}: minutes 10-40, all cameras: measured/planned ${f2(seen / planned)}; per camera (planned >= 1/min, n=${ratios.length}) p10 ${q(0.1)} p50 ${q(0.5)} p90 ${q(0.9)}`,
  );
  for (const f of m.flows) {
    const cp = m.cpIds.indexOf(f.checkpoint);
    const from = Math.floor((f.from - m.start) / MIN);
    const to = Math.ceil((f.to - m.start) / MIN);
    const within = (lo: number, hi: number): number => (m.times.get(f.checkpoint) ?? []).filter((t) => t >= lo && t < hi).length;
    const before = within(f.from - 20 * MIN, f.from) / 20;
    const during = within(f.from, f.to) / ((f.to - f.from) / MIN);
    let plan = 0;
    for (let i = from - 20; i < from; i++) plan += plannedPerMin(m, cp, i) / 20;
    let planDuring = 0;
    for (let i = from; i < to; i++) planDuring += plannedPerMin(m, cp, i) / Math.max(1, to - from);
    console.log(
      `  ${f.type.padEnd(10)} ${f.checkpoint} ${to - from} min: truth factor ${f2(f.factor)} baseline ${f.baseline_per_min}/min; 20 min before: measured ${f2(before)}/min = ${f2(before / Math.max(plan, 1e-9))}x plan; during: ${f2(during)}/min = ${f2(during / Math.max(planDuring, 1e-9))}x plan, ${f2(during / Math.max(before, 1e-9))}x before (plan ${f2(planDuring / Math.max(plan, 1e-9))}x before)`,
    );
  }
}

const names = process.argv.slice(2);
for (const n of names.length > 0 ? names : MATRIX_CITIES.map((c) => c.name)) report(n);
