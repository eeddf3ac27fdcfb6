/**
 * Per-record cost of the language's local-time functions (local_hour, local_weekday, local_date) against a direct
 * Intl.DateTimeFormat#formatToParts per record, over a day of timestamps a few hundred ms apart (as a stream's).
 * Prints ns per call; no budget is asserted.
 *
 * Run (no npm script on purpose):
 *   npx tsc -p tsconfig.build.json && node dist/bench/local-time.js [--calls 2000000] [--zone Asia/Shanghai]
 */
import { performance } from 'node:perf_hooks';
import { LocalTime } from '../src/dsl/local-time.js';
import { argNumber } from './util.js';

const calls = argNumber('calls', 2_000_000);
const zi = process.argv.indexOf('--zone');
const zone = zi >= 0 ? (process.argv[zi + 1] as string) : 'Asia/Shanghai';
const start = Date.UTC(2026, 2, 2);
const step = 86_400_000 / calls;

function time(label: string, n: number, f: (ts: number) => unknown): void {
  let sink = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) if (f(start + i * step) !== null) sink++;
  const ns = ((performance.now() - t0) * 1e6) / n;
  console.log(`  ${label.padEnd(34)} ${ns.toFixed(0).padStart(6)} ns per call (${sink === n ? 'all' : sink} non-null)`);
}

console.log(`${zone}: ${calls.toLocaleString('en-US')} timestamps over one day`);
const t = new LocalTime(zone);
time('local_hour', calls, (ts) => t.hour(ts));
time('local_weekday', calls, (ts) => t.weekday(ts));
time('local_date', calls, (ts) => t.date(ts));
const intl = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', hour: 'numeric' });
time('Intl formatToParts (no cache)', Math.min(calls, 200_000), (ts) => intl.formatToParts(ts).length);
