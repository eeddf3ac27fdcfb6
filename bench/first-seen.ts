/**
 * first_seen, two views:
 * 1. Store lookups per second: memory and Redis stores at batch sizes 1, 100 and 1000. Keys are plate|colour pairs
 *    drawn from --keys K (default 20 000) with time moving forward, so most lookups hit a known key.
 * 2. The enrich path of `vigil run` per record (unless --no-path): the first-entry stream
 *    `from passes where plate_readable enrich is_new = first_seen(plate, plate_color)` against the same job with
 *    `where plate_readable` alone, in process over pre-parsed records (JSON parsing is not in either number).
 *    The difference is what enrich costs: event-time stage (hold and sort), where/args, lookup, store, copy.
 *    Input: --input FILE (default $TMPDIR/vigil-bench/run-1000000.ndjson from bench/run.ts, else the backlog
 *    fixture), its first --records N (default 300 000); --runs R (default 5) each, median and best.
 * Redis: --redis URL (default redis://127.0.0.1:6379); its keys go under a fresh prefix and are removed at the end.
 * Run: npm run bench:first-seen [-- --lookups N --keys K --redis URL --input FILE --records N --runs R]
 */
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPaths, domainSchemas, firstSeenLookup, functionsFor, loadRegistry, lookupSignatures } from '../src/app/index.js';
import { type ParseContext, type Sink, type Source, Task } from '../src/core/index.js';
import { ArraySource } from '../src/core/source.js';
import { buildJob } from '../src/dsl/compile/job.js';
import { checkProgram, parseProgram } from '../src/dsl/index.js';
import { MemoryFirstSeenStore } from '../src/io/first-seen/memory-store.js';
import { RedisFirstSeenStore } from '../src/io/first-seen/redis-store.js';
import type { FirstSeenBatch, FirstSeenStore } from '../src/io/first-seen/store.js';
import { connectRedis } from '../src/io/redis/client.js';
import { TRAFFIC_RECORD_SCHEMA } from '../src/traffic/index.js';
import { isRejection, RecordValidator } from '../src/traffic/validate.js';
import { argNumber, mulberry32 } from './util.js';

const lookups = argNumber('lookups', 200_000);
const keyCount = argNumber('keys', 20_000);
const redisArg = process.argv.indexOf('--redis');
const redisUrl = redisArg >= 0 ? process.argv[redisArg + 1] : undefined;
const COLORS = ['blue', 'blue', 'blue', 'yellow', 'green'] as const;

function makeBatches(size: number, total: number): FirstSeenBatch[] {
  const rnd = mulberry32(size);
  const out: FirstSeenBatch[] = [];
  let ts = 1_732_600_000_000;
  for (let done = 0; done < total; done += size) {
    const n = Math.min(size, total - done);
    const plates: string[] = [];
    const colors: string[] = [];
    const timestamps: number[] = [];
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const k = Math.floor(rnd() * keyCount);
      plates.push(`浙A${String(k).padStart(5, '0')}`);
      colors.push(COLORS[k % COLORS.length] as string);
      timestamps.push((ts += 50));
      ids.push(`r${done + i}`);
    }
    out.push({ keys: [plates, colors], timestamps, ids });
  }
  return out;
}

async function measure(name: string, store: FirstSeenStore, size: number, warmUp?: FirstSeenStore): Promise<void> {
  // Batch size 1 is a round trip per lookup against Redis: fewer lookups keep the run short.
  const total = size === 1 ? Math.min(lookups, 5_000) : name === 'redis' ? Math.min(lookups, 50_000) : lookups;
  const batches = makeBatches(size, total);
  // Warm up (JIT): on a throwaway store when there is one, else one batch (which also loads Redis' script).
  if (warmUp !== undefined) for (const b of batches) await warmUp.check(b);
  else await store.check(batches[0] as FirstSeenBatch);
  let firsts = 0;
  const t0 = performance.now();
  for (const b of batches) for (const a of await store.check(b)) if (a) firsts++;
  const seconds = (performance.now() - t0) / 1000;
  const rate = Math.round(total / seconds);
  console.log(
    `${name.padEnd(7)} batch ${String(size).padStart(4)}: ${String(rate).padStart(9)} lookups/s  (${total} lookups, ${firsts} first sightings, ${(seconds * 1000).toFixed(0)} ms)`,
  );
}

const sizes = [1, 100, 1000];
for (const size of sizes) await measure('memory', new MemoryFirstSeenStore(), size, new MemoryFirstSeenStore());

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

// ------------------------------------------------------------------ the enrich path of a job

if (!process.argv.includes('--no-path')) await enrichPath();

async function enrichPath(): Promise<void> {
  const inputArg = process.argv.indexOf('--input');
  const generated = join(tmpdir(), 'vigil-bench', 'run-1000000.ndjson');
  const input =
    inputArg >= 0 ? (process.argv[inputArg + 1] as string) : existsSync(generated) ? generated : join(defaultPaths.checkpoints, '..', 'backlog-traffic.ndjson');
  const limit = argNumber('records', 300_000);
  const runs = argNumber('runs', 5);
  const registry = loadRegistry(defaultPaths.checkpoints);
  const validator = new RecordValidator(registry);
  const records: Record<string, unknown>[] = [];
  for (const line of readFileSync(input, 'utf8').split('\n')) {
    if (records.length >= limit) break;
    if (line.length === 0) continue;
    const r = validator.validate(JSON.parse(line) as unknown);
    if (!isRejection(r)) records.push(r as unknown as Record<string, unknown>);
  }
  const header = 'source passes\n  event time ts\n  watermark 3m out of order\n  idle after 5m\n';
  const plain = `${header}stream out = from passes\n  where plate_readable\n`;
  const enriched = `${header}stream out = from passes\n  where plate_readable\n  enrich is_new = first_seen(plate, plate_color)\n`;

  /** CPU ms of one run of the program over the records, and how many records reached the stream. */
  const once = async (text: string): Promise<{ ms: number; out: number; firsts: number }> => {
    const parsed = parseProgram(text, 'bench.pattern');
    if (!parsed.ok) throw new Error('bench program does not parse');
    const checked = checkProgram(parsed.program, {
      functions: functionsFor(registry),
      lookups: lookupSignatures(),
      schemas: domainSchemas(),
      schema: TRAFFIC_RECORD_SCHEMA,
    });
    if (checked.program === null) throw new Error('bench program does not check');
    const counter: Sink<Record<string, unknown>> & { n: number; firsts: number } = {
      n: 0,
      firsts: 0,
      write(r) {
        this.n++;
        if (r['is_new'] === true) this.firsts++;
      },
    };
    // Records are parsed and validated already: the "raw" values are the records (the enrich path copies, never
    // mutates, them, so every run sees the same input).
    const source = new ArraySource<unknown>('bench', [records], 2048) as unknown as Source<string>;
    const graph = buildJob({
      program: checked.program,
      source,
      parse: (raw: unknown, ctx: ParseContext<Record<string, unknown>>) => ctx.record(raw as Record<string, unknown>),
      lookups: new Map([['first_seen', firstSeenLookup(new MemoryFirstSeenStore())]]),
      outputs: { streams: new Map([['out', counter]]) },
      clock: { now: () => 0 },
      allStreams: true,
    });
    const task = new Task(graph);
    const t0 = process.cpuUsage();
    await task.run();
    const t = process.cpuUsage(t0);
    return { ms: (t.user + t.system) / 1000, out: counter.n, firsts: counter.firsts };
  };

  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
  await once(plain); // warm up
  await once(enriched);
  const plainMs: number[] = [];
  const enrichedMs: number[] = [];
  let shape = '';
  for (let i = 0; i < runs; i++) {
    plainMs.push((await once(plain)).ms);
    const e = await once(enriched);
    enrichedMs.push(e.ms);
    shape = `${e.out} enriched, ${e.firsts} first sightings`;
  }
  const perRecord = (ms: number): string => `${((ms * 1000) / records.length).toFixed(2)} µs`;
  const extra = enrichedMs.map((e, i) => e - (plainMs[i] as number));
  console.log(`enrich path over ${records.length} records of ${input} (${shape}), CPU per record, median of ${runs} [best]:`);
  console.log(`  where only        ${perRecord(median(plainMs))} [${perRecord(Math.min(...plainMs))}]`);
  console.log(`  where + enrich    ${perRecord(median(enrichedMs))} [${perRecord(Math.min(...enrichedMs))}]`);
  console.log(`  enrich costs      ${perRecord(median(extra))} [${perRecord(Math.min(...enrichedMs) - Math.min(...plainMs))}]`);
}
