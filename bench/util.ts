/** Small helpers shared by the benchmarks: a seeded PRNG, heap sampling, number formats and a generated input. */
import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { copyPatterns } from '../src/app/copy-patterns.js';
import type { KafkaClient } from '../src/io/kafka/client.js';
import { connectRedis } from '../src/io/redis/client.js';
import { unlinkMatching } from '../src/io/redis/keys.js';

/** The repository (benchmarks run from dist/bench). */
export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Tracks the highest heap in use seen across calls to sample(). */
export class HeapPeak {
  peak = 0;
  sample(): void {
    // The V8 heap alone: process.memoryUsage() also reads the RSS, too costly to sample often.
    const used = getHeapStatistics().used_heap_size;
    if (used > this.peak) this.peak = used;
  }
}

/** A count or rate rounded and grouped in thousands: 1,234,567. */
export const grouped = (x: number): string => Math.round(x).toLocaleString('en');

export const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

export function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g !== undefined) g();
}

export function argNumber(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const benchDir = join(tmpdir(), 'vigil-bench');
/** The generated morning's truth file: its known vehicles seed first_seen as a deployed city's store would be. */
export const generatedMorningTruth = join(benchDir, 'morning-120m.truth.json');

/**
 * The first `count` records of a synthetic city's morning peak with anomalies, generated once and cached in
 * $TMPDIR/vigil-bench: `vigil generate --minutes 120 --seed 3 --start 2026-03-02T07:00:00+08:00 --anomalies`
 * (about 2.9M records), cut to run-<count>.ndjson. Returns that file's path.
 */
export async function generatedMorning(count: number): Promise<string> {
  const file = join(benchDir, `run-${count}.ndjson`);
  mkdirSync(benchDir, { recursive: true });
  const full = join(benchDir, 'morning-120m.ndjson');
  if (!existsSync(full) || !existsSync(generatedMorningTruth)) {
    process.stderr.write('generating input (about 30 s)...\n');
    execFileSync(
      process.execPath,
      [
        join(repo, 'bin', 'vigil.js'),
        'generate',
        '--minutes',
        '120',
        '--seed',
        '3',
        '--start',
        '2026-03-02T07:00:00+08:00',
        '--anomalies',
        '--out',
        full,
        '--truth',
        generatedMorningTruth,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
  }
  if (existsSync(file)) return file;
  const out = createWriteStream(file + '.part');
  let n = 0;
  for await (const line of createInterface({ input: createReadStream(full), crlfDelay: Infinity })) {
    if (n++ >= count) break;
    if (!out.write(line + '\n')) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(r));
  if (n < count) throw new Error(`the generated file has only ${n} records`);
  renameSync(file + '.part', file);
  return file;
}

/** A string flag: `--name value`, else the fallback. */
export function argString(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? (process.argv[i + 1] as string) : fallback;
}

/** The value at quantile q (0..1) of ascending `sorted`, nearest rank; NaN when empty. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

/**
 * The first `count` lines of a synthetic city's morning peak generated at `scale` (peak ~500 x scale records/s at
 * 08:00 city time), so a feed replayed at that rate keeps about real time between a vehicle's captures:
 * `vigil generate --minutes M --seed 7 --start 2026-03-02T08:00:00+08:00 --anomalies --scale S`, cached in
 * $TMPDIR/vigil-bench (the generator holds the whole fleet in memory: large scales are slow to generate).
 */
export function generatedPeak(scale: number, minutes: number): string {
  mkdirSync(benchDir, { recursive: true });
  const file = join(benchDir, `peak-x${scale}-${minutes}m.ndjson`);
  if (existsSync(file) && existsSync(peakTruth(file))) return file;
  process.stderr.write(`generating ${minutes} min of the morning peak at scale ${scale} (once, cached in ${benchDir})...\n`);
  execFileSync(
    process.execPath,
    [
      join(repo, 'bin', 'vigil.js'),
      'generate',
      '--minutes',
      String(minutes),
      '--seed',
      '7',
      '--start',
      '2026-03-02T08:00:00+08:00',
      '--anomalies',
      '--scale',
      String(scale),
      '--out',
      file + '.part',
      '--truth',
      peakTruth(file),
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  renameSync(file + '.part', file);
  return file;
}

/** The truth file beside a generatedPeak file (its known vehicles seed first_seen as a deployed city's store). */
export function peakTruth(file: string): string {
  return file.replace(/\.ndjson$/, '.truth.json');
}

/** The checkpoint of an NDJSON traffic line (a camera feed's partition key), null when it has none. */
export function checkpointOf(line: string): string | null {
  const m = /"checkpoint"\s*:\s*"([^"]*)"/.exec(line);
  return m === null ? null : (m[1] as string);
}

/** A copy of the shipped rules whose Kafka routes go to `topic` instead of vigil.alerts (as test/serve/harness.ts). */
export function rulesRoutedTo(topic: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-rules-'));
  for (const f of readdirSync(join(repo, 'rules'))) {
    writeFileSync(join(dir, f), readFileSync(join(repo, 'rules', f), 'utf8').replace(/kafka: vigil\.alerts/g, `kafka: ${topic}`));
  }
  return dir;
}

/**
 * A copy of the shipped patterns (and the table files they read) with every source's `watermark 5m out of order`
 * bound replaced by `bound` (e.g. '2s'); returns the copy's patterns folder.
 */
export function patternsWithBound(bound: string): string {
  let replaced = 0;
  const dir = copyPatterns({
    from: join(repo, 'patterns'),
    root: repo,
    toRoot: mkdtempSync(join(tmpdir(), 'vigil-bench-patterns-')),
    edit: (_name, text) =>
      text.replace(/watermark 5m out of order/g, () => {
        replaced++;
        return `watermark ${bound} out of order`;
      }),
  });
  if (replaced === 0) throw new Error("no 'watermark 5m out of order' in the shipped patterns: update patternsWithBound");
  return dir;
}

/** CPU seconds (user + system) and peak RSS (VmHWM) of a live process, from /proc (Linux); null when unreadable. */
export function processUsage(pid: number): { cpuSeconds: number; peakRss: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { cpuSeconds: ticks / clockTicks(), peakRss: hwm === null ? Number.NaN : Number(hwm[1]) * 1024 };
  } catch {
    return null;
  }
}

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/**
 * Removes what a benchmark's `vigil serve` group left in Redis and Kafka: its first_seen keys, checkpoints, rule
 * sets, alert history and day data, and its repartition topics (a soak at thousands of records a second leaves
 * millions of keys, which slow every later SCAN on the same server).
 */
export async function removeServeLeftovers(options: {
  readonly redis: string;
  readonly group: string;
  readonly firstSeenPrefix: string;
  readonly client: KafkaClient;
}): Promise<void> {
  const { group } = options;
  const redis = await connectRedis({ url: options.redis, connectionName: 'vigil-bench-cleanup' });
  try {
    const patterns = [
      `${options.firstSeenPrefix}*`,
      `vigil:checkpoint:${group}:*`,
      `vigil:rules:${group}:*`,
      `vigil:alerts:{${group}}*`,
      `vigil:day:{${group}}*`,
    ];
    for (const pattern of patterns) await unlinkMatching(redis, pattern);
  } finally {
    redis.disconnect();
  }
  const admin = await options.client.admin();
  const internal = (await admin.listTopics()).filter((t) => t.startsWith(`${group}-`));
  await options.client.deleteTopics(internal).catch(() => undefined);
}
