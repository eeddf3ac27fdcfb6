/**
 * first_seen lookups per second: memory and Redis stores at batch sizes 1, 100 and 1000.
 * Plates are drawn from --keys K (default 20 000) with time moving forward, so most lookups hit a known key.
 * Redis: --redis URL (default redis://127.0.0.1:6379); its keys go under a fresh prefix and are removed at the end.
 * Run: npm run build && node dist/bench/first-seen.js [--lookups N] [--keys K] [--redis URL]
 */
import { MemoryFirstSeenStore } from '../src/io/first-seen/memory-store.js';
import { RedisFirstSeenStore } from '../src/io/first-seen/redis-store.js';
import type { FirstSeenBatch, FirstSeenStore } from '../src/io/first-seen/store.js';
import { connectRedis } from '../src/io/redis/client.js';
import { argNumber, mulberry32 } from './util.js';

const lookups = argNumber('lookups', 50_000);
const keyCount = argNumber('keys', 20_000);
const redisArg = process.argv.indexOf('--redis');
const redisUrl = redisArg >= 0 ? process.argv[redisArg + 1] : undefined;

function makeBatches(size: number, total: number): FirstSeenBatch[] {
  const rnd = mulberry32(size);
  const out: FirstSeenBatch[] = [];
  let ts = 1_732_600_000_000;
  for (let done = 0; done < total; done += size) {
    const n = Math.min(size, total - done);
    const keys: string[] = [];
    const timestamps: number[] = [];
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      keys.push(`京A${String(Math.floor(rnd() * keyCount)).padStart(5, '0')}`);
      timestamps.push((ts += 50));
      ids.push(`r${done + i}`);
    }
    out.push({ keys, timestamps, ids });
  }
  return out;
}

async function measure(name: string, store: FirstSeenStore, size: number): Promise<void> {
  // Batch size 1 is a round trip per lookup against Redis: fewer lookups keep the run short.
  const total = size === 1 ? Math.min(lookups, 5_000) : lookups;
  const batches = makeBatches(size, total);
  await store.check(batches[0] as FirstSeenBatch); // warm up: script load, JIT
  let firsts = 0;
  const t0 = performance.now();
  for (const b of batches) for (const a of await store.check(b)) if (a) firsts++;
  const seconds = (performance.now() - t0) / 1000;
  const rate = Math.round(total / seconds);
  console.log(`${name.padEnd(7)} batch ${String(size).padStart(4)}: ${String(rate).padStart(9)} lookups/s  (${total} lookups, ${firsts} first sightings, ${(seconds * 1000).toFixed(0)} ms)`);
}

const sizes = [1, 100, 1000];
for (const size of sizes) await measure('memory', new MemoryFirstSeenStore(), size);

const redis = await connectRedis(redisUrl === undefined ? {} : { url: redisUrl });
try {
  for (const size of sizes) {
    const store = new RedisFirstSeenStore(redis, { prefix: `vigil:bench:first_seen:${process.pid}-${size}:` });
    try {
      await measure('redis', store, size);
    } finally {
      await store.clear();
    }
  }
} finally {
  await redis.quit();
}
