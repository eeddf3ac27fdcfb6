/**
 * The heap a pattern with allowed lateness spends per kept event (not a test). The demo fixture's traffic records
 * (parsed from their JSON lines, as the service does) go through a CepOperator keyed by plate and colour, pattern
 * `a followed by b within 30m`, once with no lateness (nothing kept) and once with 4 hours (every event kept); the
 * difference of the heap after gc, over the kept events, is the cost of one. The records themselves are part of it:
 * once past the NFA only the kept events hold them.
 *
 *   node scripts/build.js && node --expose-gc dist/bench/cep-kept.js [--records 200000] [--budget N] [--same-vehicles]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CepOperator } from '../src/cep/cep-operator.js';
import { compile, Pattern } from '../src/cep/index.js';
import { ArraySource, JobGraph, ManualClock, type ParseContext, Task } from '../src/core/index.js';
import { argNumber, gc, grouped, repo } from './util.js';

type Rec = Record<string, unknown>;

const RECORDS = argNumber('records', 200_000);
const BUDGET = argNumber('budget', 0);
/** --same-vehicles: every copy of the fixture has its vehicles (a key keeps some 26 events, not 5). */
const SAME_VEHICLES = process.argv.includes('--same-vehicles');
const HOUR = 3_600_000;
let matches = 0;

/**
 * The fixture's lines (53 minutes, 5,151 vehicles, 5 sightings each in the median), repeated up to RECORDS lines: ts
 * shifted past the previous copy, ids renamed, and plates too (each copy other vehicles) unless --same-vehicles.
 */
function input(): string[] {
  const lines = gunzipSync(readFileSync(join(repo, 'fixtures', 'demo-traffic.ndjson.gz')))
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '');
  const parsed = lines.map((l) => JSON.parse(l) as Rec);
  const first = Math.min(...parsed.map((r) => r.ts as number));
  const span = Math.max(...parsed.map((r) => r.ts as number)) - first + 1000;
  const out: string[] = [];
  for (let copy = 0; out.length < RECORDS; copy++)
    for (const r of parsed) {
      if (out.length >= RECORDS) break;
      const plate = SAME_VEHICLES || copy === 0 ? r.plate : `${r.plate as string}${copy}`;
      out.push(JSON.stringify({ ...r, id: `${r.id as string}.${copy}`, plate, ts: (r.ts as number) + copy * span }));
    }
  return out;
}

function parse(line: string, ctx: ParseContext<Rec>): void {
  ctx.record(JSON.parse(line) as Rec);
}

/** Runs the lines through the operator (no final watermark: what is kept stays) and returns the task, still open. */
async function run(lines: readonly string[], allowedLatenessMs: number): Promise<{ task: Task; op: CepOperator<Rec>; seconds: number }> {
  const nfa = compile(
    Pattern.begin<Rec>('a')
      .where((r) => r.direction === 'in')
      .followedBy('b')
      .where((r) => r.direction === 'out')
      .within(30 * 60_000),
  );
  const graph = new JobGraph('kept');
  let op: CepOperator<Rec> | undefined;
  graph
    .source<string, Rec>('src', {
      source: new ArraySource('src', [lines], 1000),
      deserialize: parse,
      eventTime: { extract: (r) => r.ts as number, describe: () => 'bad ts' },
      // The shipped patterns' bound: few records are late, as in the service.
      watermarks: { outOfOrdernessMs: 300_000 },
    })
    .keyBy((r) => `${r.plate as string}|${r.plate_color as string}`)
    .transform('cep', (key) => {
      op = new CepOperator<Rec>({
        uid: 'cep',
        key,
        nfa,
        ...(allowedLatenessMs === 0 ? {} : { allowedLatenessMs }),
        ...(BUDGET > 0 ? { maxKeptEvents: BUDGET } : {}),
      });
      return op;
    })
    // Matches are counted, not held: the heap difference is the kept events'.
    .to('out', { write: () => matches++ });
  const task = new Task(graph, { clock: new ManualClock(0), finalWatermark: false });
  const started = process.hrtime.bigint();
  await task.run();
  return { task, op: op as CepOperator<Rec>, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

function heap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const lines = input();
const keys = new Set(
  lines.map((l) => {
    const r = JSON.parse(l) as Rec;
    return `${r.plate as string}|${r.plate_color as string}`;
  }),
).size;

const plain = await run(lines, 0);
await plain.task.close();
const plainHeap = heap();
const plainMatches = matches;
matches = 0;
const kept = await run(lines, 4 * HOUR);
const keptHeap = heap();
const n = kept.op.keptEvents;
console.log(`cep kept events: ${grouped(lines.length)} records, a followed by b within 30m, allowed lateness 4h`);
console.log(`  keys               ${grouped(keys)}`);
console.log(`  kept events        ${grouped(n)}${BUDGET > 0 ? ` (budget ${grouped(BUDGET)}, dropped ${grouped(kept.op.keptDropped)})` : ''}`);
console.log(`  heap per kept event ${((keptHeap - plainHeap) / n).toFixed(0)} B (the record included)`);
await kept.task.close();
console.log(`  matches            ${grouped(plainMatches)} without lateness, ${grouped(matches)} with`);
console.log(`  run time           ${plain.seconds.toFixed(2)} s without lateness, ${kept.seconds.toFixed(2)} s with`);
