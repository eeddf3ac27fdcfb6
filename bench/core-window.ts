/**
 * Core benchmark: key by + 1-minute tumbling count and avg over out-of-order input.
 * 2M records over 10k keys by default (--records N --keys K); prints records/s and heap figures.
 * --sliding: 5-minute windows every minute instead (count and max: panes, as the flow_5m stream).
 * Run: npm run bench:core [-- --sliding]
 */
import {
  ArraySource,
  avg,
  composite,
  count,
  JobGraph,
  max,
  type ParseContext,
  type PollResult,
  type Sink,
  sliding,
  Task,
  tumbling,
} from '../src/core/index.js';
import { argNumber, gc, grouped, HeapPeak, mib, mulberry32 } from './util.js';

interface Pass {
  readonly k: string;
  readonly ts: number;
  readonly speed: number;
}

const records = argNumber('records', 2_000_000);
const keys = argNumber('keys', 10_000);
const bound = 5_000;
const slidingWindows = process.argv.includes('--sliding');
const eventRate = 1_000; // records per second of event time: 2M records span ~33 minutes

const rnd = mulberry32(42);
const keyNames = Array.from({ length: keys }, (_, i) => `CP${String(i).padStart(5, '0')}`);
// The input is kept in typed arrays and each record object is made when its batch is read, as a parser would:
// records are born young and die young, instead of 2M long-lived objects inflating every major GC.
const keyIndex = new Int32Array(records);
const stamps = new Float64Array(records);
const speeds = new Float64Array(records);
const t0 = 1_732_600_000_000;
for (let i = 0; i < records; i++) {
  // Out of order within the bound: each record is late by up to `bound` ms relative to its arrival slot.
  stamps[i] = t0 + Math.floor((i * 1000) / eventRate) - Math.floor(rnd() * bound);
  keyIndex[i] = Math.floor(rnd() * keys);
  speeds[i] = 20 + rnd() * 80;
}

/** An in-memory source that materialises each batch's records on read. */
class GeneratedSource extends ArraySource<Pass> {
  private offset = 0;
  constructor(private readonly batch: number) {
    super('passes', [[]]);
  }
  override async poll(): Promise<PollResult<Pass>> {
    if (this.offset >= records) return 'end';
    const from = this.offset;
    const to = Math.min(records, from + this.batch);
    const out: Pass[] = new Array(to - from);
    for (let i = from; i < to; i++) out[i - from] = { k: keyNames[keyIndex[i] as number] as string, ts: stamps[i] as number, speed: speeds[i] as number };
    this.offset = to;
    return { partition: 0, records: out, firstOffset: from, endOfPartition: to === records };
  }
}

interface RunResult {
  seconds: number;
  windows: number;
  counted: number;
  late: number;
  heapBefore: number;
  heapPeak: number;
}

function buildGraph(onResult: (n: number) => void): JobGraph {
  const sink: Sink<{ n: number; v: number | null }> = { write: (v) => onResult(v.n) };
  const graph = new JobGraph('bench');
  graph
    .source<Pass, Pass>('passes', {
      source: new GeneratedSource(4096),
      deserialize: (raw: Pass, ctx: ParseContext<Pass>) => ctx.record(raw),
      eventTime: { extract: (p) => p.ts, describe: () => 'no ts' },
      watermarks: { outOfOrdernessMs: bound },
    })
    .keyBy((p) => p.k)
    .window('flow', {
      assigner: slidingWindows ? sliding(300_000, 60_000) : tumbling(60_000),
      aggregate: slidingWindows
        ? composite<Pass, { n: number; v: number | null }>({ n: count(), v: max((p: Pass) => p.speed) })
        : composite<Pass, { n: number; v: number | null }>({ n: count(), v: avg((p: Pass) => p.speed) }),
      result: (f) => f.result,
    })
    .to('sink', sink);
  return graph;
}

async function runOnce(): Promise<RunResult> {
  let windows = 0;
  let counted = 0;
  const graph = buildGraph((n) => {
    windows++;
    counted += n;
  });
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const heap = new HeapPeak();
  const task = new Task(graph);
  let batches = 0;
  const start = process.hrtime.bigint();
  await task.run({
    afterBatch: () => {
      if (++batches % 16 === 0) heap.sample();
    },
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  heap.sample();
  return { seconds, windows, counted, late: task.metrics.total('vigil_late_records_total'), heapBefore, heapPeak: heap.peak };
}

const runs = argNumber('runs', 5);
const results: RunResult[] = [];
for (let i = 0; i < runs; i++) results.push(await runOnce());
const bySpeed = [...results].sort((a, b) => a.seconds - b.seconds);
const best = bySpeed[0] as RunResult;
const median = bySpeed[Math.floor(bySpeed.length / 2)] as RunResult;
const rate = (r: RunResult): string => grouped(records / r.seconds);

const what = slidingWindows ? 'sliding 5m every 1m count+max' : 'tumbling 1m count+avg';
console.log(`core-window: ${grouped(records)} records, ${grouped(keys)} keys, ${what}, out-of-order <= ${bound} ms, ${runs} runs`);
console.log(`  throughput    best ${rate(best)} records/s, median ${rate(median)} records/s (${best.seconds.toFixed(2)} s best)`);
console.log(`  windows out   ${grouped(best.windows)} (records counted ${grouped(best.counted)}, late ${best.late})`);
console.log(`  heap          before run ${mib(best.heapBefore)}, peak ${mib(Math.max(...results.map((r) => r.heapPeak)))}`);
if (results.some((r) => r.counted + r.late * (slidingWindows ? 5 : 1) !== records * (slidingWindows ? 5 : 1))) {
  console.error('checksum mismatch: records were lost');
  process.exitCode = 1;
}
