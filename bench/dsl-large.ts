/**
 * Large rule files: how long a pattern file with a long literal watchlist (`plate in [...]`) takes to parse,
 * check, lint and compile, and how much a record's membership test costs against it; also how deeply nested
 * expressions and long `or` chains fare up to the language's limits (docs/language.md, "Limits").
 * Prints ms per phase and the heap in use after compiling; no budget is asserted.
 *
 * Run (no npm script on purpose):
 *   npx tsc -p tsconfig.build.json && node dist/bench/dsl-large.js [--plates 100000] [--runs 5]
 */
import { performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { defaultPaths, functionsFor, loadRegistry, lookupSignatures } from '../src/app/index.js';
import { CollectSink } from '../src/core/index.js';
import { compileCondition } from '../src/dsl/compile/expr.js';
import { buildJob } from '../src/dsl/compile/job.js';
import type { BatchLookup } from '../src/dsl/compile/lookups.js';
import { RecordScope } from '../src/dsl/compile/scope.js';
import { checkProgram, parseProgram } from '../src/dsl/index.js';
import { lintProgram } from '../src/dsl/lint.js';
import { parseNdjsonLine } from '../src/io/ndjson-parse.js';
import { NdjsonSource } from '../src/io/ndjson-source.js';
import { TRAFFIC_RECORD_SCHEMA } from '../src/traffic/index.js';
import { argNumber, grouped } from './util.js';

const plates = argNumber('plates', 100_000);
const runs = argNumber('runs', 5);

const functions = functionsFor(loadRegistry(defaultPaths.checkpoints));
const lookups = lookupSignatures();
const noLookup: BatchLookup = { lookup: async ({ records }) => records.map(() => false) };

function plate(i: number): string {
  return `浙A${String(i).padStart(5, '0')}`;
}

function watchlist(n: number): string {
  const items: string[] = [];
  for (let i = 0; i < n; i++) items.push(`"${plate(i)}"`);
  return [
    'source passes',
    '  event time ts',
    'pattern watched',
    '  from passes',
    '  key by plate',
    `  define a as plate in [${items.join(', ')}]`,
    '  match a',
    '  emit { plate: a.plate }',
    '',
  ].join('\n');
}

interface Phases {
  parse: number;
  check: number;
  lint: number;
  compile: number;
}

function once(text: string): Phases {
  const t0 = performance.now();
  const parsed = parseProgram(text, 'watchlist.pattern');
  const t1 = performance.now();
  if (!parsed.ok) throw new Error(`parse: ${parsed.error.line}:${parsed.error.col} ${parsed.error.message}`);
  const checked = checkProgram(parsed.program, { functions, lookups, schema: TRAFFIC_RECORD_SCHEMA });
  const t2 = performance.now();
  if (checked.program === null)
    throw new Error(
      `check: ${checked.errors
        .slice(0, 3)
        .map((e) => `${e.line}:${e.col} ${e.message}`)
        .join('; ')}`,
    );
  lintProgram(checked.program);
  const t3 = performance.now();
  buildJob({
    program: checked.program,
    patterns: ['watched'],
    source: new NdjsonSource('bench-input.ndjson'),
    parse: parseNdjsonLine,
    lookups: new Map([['first_seen', noLookup]]),
    outputs: { matches: new CollectSink(), late: new CollectSink() },
    clock: { now: () => 0 },
  });
  const t4 = performance.now();
  return { parse: t1 - t0, check: t2 - t1, lint: t3 - t2, compile: t4 - t3 };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] as number;
};
const ms = (x: number): string => `${x.toFixed(1)} ms`;

const text = watchlist(plates);
console.log(`watchlist of ${grouped(plates)} plates: ${grouped(text.length)} characters`);
const all: Phases[] = [];
for (let i = 0; i < runs; i++) all.push(once(text));
const pick = (k: keyof Phases): number => median(all.map((p) => p[k]));
const total = median(all.map((p) => p.parse + p.check + p.lint + p.compile));
console.log(
  `  parse ${ms(pick('parse'))}, check ${ms(pick('check'))}, lint ${ms(pick('lint'))}, compile ${ms(pick('compile'))}; ` +
    `total ${ms(total)} (median of ${runs})`,
);
console.log(`  heap in use after compiling: ${(getHeapStatistics().used_heap_size / 1e6).toFixed(0)} MB`);

// The membership test per record, against the compiled list (half the plates listed, half not).
{
  const parsed = parseProgram(
    `source passes event time ts\nstream s = from passes where plate in [${Array.from({ length: plates }, (_, i) => `"${plate(i)}"`).join(', ')}]\n`,
    'w.pattern',
  );
  if (!parsed.ok) throw new Error(parsed.error.message);
  const checked = checkProgram(parsed.program, { functions, lookups, schema: TRAFFIC_RECORD_SCHEMA });
  const where = checked.program?.streams.get('s')?.decl.where;
  if (checked.program === null || where === null || where === undefined) throw new Error('watchlist stream did not check');
  const test = compileCondition(where, { program: checked.program, params: {} });
  const scope = new RecordScope();
  const records = Array.from({ length: 1000 }, (_, i) => ({ plate: plate(i * 199) }));
  let hits = 0;
  const n = 1_000_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    scope.event = records[i % records.length] as (typeof records)[number];
    if (test(scope)) hits++;
  }
  const t = performance.now() - t0;
  console.log(`  membership test: ${((t * 1e6) / n).toFixed(0)} ns per record (${grouped(n)} records, ${grouped(hits)} listed)`);
}

// Nesting: the deepest accepted `or` chain and call nesting.
for (const [what, make] of [
  ['or chain', (n: number) => Array.from({ length: n }, (_, i) => `speed == ${i}`).join(' or ')],
  ['nested calls', (n: number) => `${'abs('.repeat(n)}speed${')'.repeat(n)} > 1`],
] as const) {
  for (const n of [100, 250, 1000]) {
    const t0 = performance.now();
    const parsed = parseProgram(`source passes event time ts\nstream s = from passes where ${make(n)}\n`, 'deep.pattern');
    const outcome = parsed.ok
      ? (checkProgram(parsed.program, { functions, lookups, schema: TRAFFIC_RECORD_SCHEMA }).errors[0]?.message ?? 'ok')
      : parsed.error.message;
    console.log(`  ${what} of ${n}: ${ms(performance.now() - t0)}: ${outcome}`);
  }
}
