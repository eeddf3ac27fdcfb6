/**
 * The base path every record takes, piece by piece: reading an NDJSON file into lines (text vs byte lines),
 * parsing them (JSON.parse vs the byte parser), and validating. CPU ms per phase, best of --rounds, for the
 * records of --input (default: the first --records records, 300,000 unless given, of the generated morning peak
 * that bench:run uses).
 *
 *   npm run bench:parse [-- --input FILE | --records N] [--rounds 5]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRegistry } from '../src/app/index.js';
import { parseFlatObject } from '../src/io/ndjson-bytes.js';
import { NdjsonSource } from '../src/io/ndjson-source.js';
import { RecordValidator } from '../src/traffic/validate.js';
import { argNumber, generatedMorning, grouped, repo } from './util.js';

const inputAt = process.argv.indexOf('--input');
const input = inputAt >= 0 ? (process.argv[inputAt + 1] as string) : await generatedMorning(argNumber('records', 300_000));
const rounds = argNumber('rounds', 5);
const registry = loadRegistry(join(repo, 'fixtures', 'checkpoints.json'));

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function readAll(encoding: 'utf8' | 'latin1'): Promise<string[]> {
  const src = new NdjsonSource(input, { encoding });
  const out: string[] = [];
  for (let r = await src.poll(); r !== 'end'; r = await src.poll()) {
    if (r === 'idle') continue;
    for (const l of r.records) out.push(l);
    if (r.endOfPartition) break;
  }
  await src.close();
  return out;
}

const best = new Map<string, number>();
function time(name: string, f: () => unknown): void {
  const t0 = cpuMs();
  f();
  const ms = cpuMs() - t0;
  best.set(name, Math.min(best.get(name) ?? Infinity, ms));
}
async function timeAsync(name: string, f: () => Promise<unknown>): Promise<void> {
  const t0 = cpuMs();
  await f();
  const ms = cpuMs() - t0;
  best.set(name, Math.min(best.get(name) ?? Infinity, ms));
}

const size = readFileSync(input).length;
let count = 0;
for (let round = 0; round < rounds; round++) {
  let text: string[] = [];
  let bytes: string[] = [];
  await timeAsync('source, text lines (utf8)', async () => (text = await readAll('utf8')));
  await timeAsync('source, byte lines (latin1)', async () => (bytes = await readAll('latin1')));
  count = text.length;
  // Records are dropped as soon as they are read, as in a run: keeping them all would make this a GC benchmark.
  let sink: unknown;
  time('JSON.parse (text lines)', () => {
    for (const l of text) sink = JSON.parse(l);
  });
  time('parseFlatObject (byte lines)', () => {
    for (const l of bytes) sink = parseFlatObject(l);
  });
  const validator = new RecordValidator(registry);
  time('parseFlatObject + validate', () => {
    for (const l of bytes) sink = validator.validate(parseFlatObject(l));
  });
  if (sink === 0) console.log(sink);
}
console.log(`${grouped(count)} lines, ${(size / 1024 / 1024).toFixed(1)} MiB; CPU ms, best of ${rounds}`);
for (const [name, ms] of best) console.log(`${name.padEnd(32)} ${ms.toFixed(0).padStart(6)} ms  ${((ms * 1e6) / count).toFixed(0).padStart(5)} ns/record`);
