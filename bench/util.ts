/** Small helpers shared by the benchmarks: a seeded PRNG, heap sampling, number formats and a generated input. */
import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { getHeapStatistics } from 'node:v8';

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
    execFileSync(process.execPath, [join(repo, 'bin', 'vigil.js'), 'generate', '--minutes', '120', '--seed', '3',
      '--start', '2026-03-02T07:00:00+08:00', '--anomalies', '--out', full, '--truth', generatedMorningTruth], { stdio: ['ignore', 'ignore', 'inherit'] });
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
