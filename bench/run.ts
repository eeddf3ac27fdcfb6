/**
 * End-to-end throughput of `vigil run` (issue 5's speed target: 1M records at >= 200,000 records/s on one core):
 * the embedded job with every shipped pattern and rule, run in-process N times over one generated file; prints
 * records/s of the job per run (as `vigil run` reports it: after loading rules and seeding first_seen), best and
 * median, the whole command per CPU-second, and the peak heap seen during each run.
 *
 *   npm run build && node --expose-gc dist/bench/run.js [--input FILE] [--records 1000000] [--runs 3]
 *                                                       [--patterns DIR] [--rules DIR] [--cold | --known-vehicles TRUTH]
 *
 * Without --input it generates (once, cached) the morning peak of a synthetic city with anomalies,
 * `vigil generate --minutes 120 --seed 3 --start 2026-03-02T07:00:00+08:00 --anomalies`, and keeps the first
 * --records lines in $TMPDIR/vigil-bench/run-<records>.ndjson. Alerts go to /dev/null. The shipped patterns/ and
 * rules/ are read again for each run: to compare builds while the rules change, pass a copy with --patterns/--rules.
 * The machine is shared: compare medians across commits, and look at the best as the noise floor.
 *
 * --breakdown: what each rule costs. One run with every rule, one with none (the floor: reading, parsing and
 * validating), then per rule one with that rule's file left out (the streams and patterns only it needs go with it)
 * and one with that rule alone; prints CPU per record (user + system of the process, which is steadier than wall
 * time on a shared machine), each rule's marginal cost, and the job's records/s.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runTraffic } from '../src/app/index.js';
import { argNumber, gc, generatedMorning, generatedMorningTruth, grouped, HeapPeak, mib, repo } from './util.js';

const records = argNumber('records', 1_000_000);
const runs = argNumber('runs', 3);
const inputArg = process.argv.indexOf('--input');
/** A deployed city's first_seen store already knows its vehicles: by default it is seeded with the generator's
 *  known vehicles (as `vigil eval` does). --cold starts from an empty store: every vehicle's first sighting at an
 *  entry then alerts (thousands of first-entry alerts), the cost of a city's first hour. */
const cold = process.argv.includes('--cold');
const truthArg = process.argv.indexOf('--known-vehicles');
const breakdown = process.argv.includes('--breakdown');
const dirArg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? resolve(process.argv[i + 1]!) : undefined;
};
const patternsDir = dirArg('patterns');
const rulesDirArg = dirArg('rules');

interface RunResult {
  readonly records: number;
  /** The whole command: loading the program, seeding first_seen, the job. */
  readonly seconds: number;
  /** The job alone, as `vigil run` reports it (records in, alerts out): the throughput figure. */
  readonly jobSeconds: number;
  /** user + system CPU of the process (GC helper threads included): steadier than wall time on a shared machine. */
  readonly cpuSeconds: number;
  readonly peakHeap: number;
  readonly summary: string;
}

async function once(input: string, rulesDir?: string): Promise<RunResult> {
  gc();
  const heap = new HeapPeak();
  const sampler = setInterval(() => heap.sample(), 20);
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const summary = await runTraffic(
    { cwd: repo, input, out: '/dev/null', patterns: patternsDir, rules: rulesDir ?? rulesDirArg, knownVehicles: knownFile ?? undefined },
    { stdout: () => {}, stderr: (t) => process.stderr.write(t) },
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  clearInterval(sampler);
  heap.sample();
  const text = `${grouped(summary.records)} records (${summary.deadLetters} dead letters, ${summary.late} late) -> ${grouped(summary.outputs)} alerts`;
  return { records: summary.records, seconds, jobSeconds: summary.seconds, cpuSeconds, peakHeap: heap.peak, summary: text };
}

/** Records per second of the job, as `vigil run` reports it. */
const jobRate = (r: RunResult): number => r.records / r.jobSeconds;
/** Records per CPU-second of the whole command. */
const cpuRate = (r: RunResult): number => r.records / r.cpuSeconds;
const perRecordUs = (r: RunResult): number => (r.cpuSeconds * 1e6) / r.records;

/**
 * What each rule costs, two ways: its marginal cost (the run with every rule against one leaving that rule file out)
 * and its cost alone (only that rule file), next to the floor every run pays (no rule: reading, parsing, validating).
 */
async function breakdownRules(input: string): Promise<void> {
  const rulesDir = rulesDirArg ?? join(repo, 'rules');
  const files = readdirSync(rulesDir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  const line = (r: RunResult): string => `${perRecordUs(r).toFixed(2)} µs CPU per record, ${grouped(jobRate(r))} records/s in the job`;
  const scratch = mkdtempSync(join(tmpdir(), 'vigil-breakdown-'));
  /** A run over a rules directory holding just `keep`. */
  const withRules = async (name: string, keep: readonly string[]): Promise<RunResult> => {
    const dir = join(scratch, name);
    mkdirSync(dir);
    for (const f of keep) copyFileSync(join(rulesDir, f), join(dir, f));
    return once(input, dir);
  };
  try {
    await once(input); // warms the JIT up: the first run of a process pays for compiling
    const all = await once(input);
    console.log(`every rule: ${line(all)}`);
    const none = await withRules('none', []);
    console.log(`no rule (read, parse, validate): ${line(none)}`);
    for (const rule of files) {
      const without = await withRules(
        `without-${rule}`,
        files.filter((f) => f !== rule),
      );
      console.log(`without ${rule.padEnd(26)} ${line(without)} (the rule costs ${(perRecordUs(all) - perRecordUs(without)).toFixed(2)})`);
    }
    for (const rule of files) {
      const alone = await withRules(`alone-${rule}`, [rule]);
      console.log(`${rule.padEnd(26)} alone ${line(alone)} (${(perRecordUs(alone) - perRecordUs(none)).toFixed(2)} above no rule)`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const input = inputArg >= 0 ? resolve(process.argv[inputArg + 1]!) : await generatedMorning(records);
const knownTruth = truthArg >= 0 ? resolve(process.argv[truthArg + 1]!) : inputArg >= 0 ? null : generatedMorningTruth;
const knownFile = cold || knownTruth === null ? null : knownTruth;
console.log(`first_seen: ${knownFile === null ? 'cold (empty store)' : `seeded with the known vehicles of ${knownFile}`}`);
if (breakdown) {
  await breakdownRules(input);
  process.exit(0);
}
const results: RunResult[] = [];
for (let i = 0; i < runs; i++) {
  const r = await once(input);
  results.push(r);
  console.log(
    `run ${i + 1}: ${grouped(jobRate(r))} records/s in the job (${r.jobSeconds.toFixed(2)} s; whole command ${r.seconds.toFixed(2)} s, ` +
      `${grouped(cpuRate(r))} records per CPU-second of it; peak heap ${mib(r.peakHeap)})  ${r.summary}`,
  );
}
const rates = results.map(jobRate).sort((a, b) => a - b);
const median = (rates: number[]): number =>
  rates.length % 2 === 1 ? rates[(rates.length - 1) / 2]! : (rates[rates.length / 2 - 1]! + rates[rates.length / 2]!) / 2;
const cpuRates = results.map(cpuRate).sort((a, b) => a - b);
console.log(
  `vigil run, ${grouped(results[0]!.records)} records, ${runs} runs: best ${grouped(rates[rates.length - 1]!)} records/s, ` +
    `median ${grouped(median(rates))} records/s in the job (whole command per CPU-second: best ${grouped(cpuRates[cpuRates.length - 1]!)}, median ${grouped(median(cpuRates))}), peak heap ${mib(Math.max(...results.map((r) => r.peakHeap)))}`,
);
