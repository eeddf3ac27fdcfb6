/** Small helpers shared by the benchmarks: a seeded PRNG and heap sampling. */
import { getHeapStatistics } from 'node:v8';

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

export const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

export function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g !== undefined) g();
}

export function argNumber(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
