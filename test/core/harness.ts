import {
  ArraySource,
  CollectSink,
  type DataStream,
  type DeadLetter,
  JobGraph,
  type LateRecord,
  ManualClock,
  type ParseContext,
  Task,
} from '../../src/core/index.js';

/** A test event: key, event time, value. Control lines `{ wm: n }` stand for explicit watermarks. */
export interface Ev {
  readonly k: string;
  readonly ts: number;
  readonly v: number;
}
export type Line = Ev | { readonly wm: number } | { readonly bad: unknown };

export const ev = (k: string, ts: number, v = 1): Ev => ({ k, ts, v });

export function parseLine(raw: Line, ctx: ParseContext<Ev>): void {
  if ('wm' in raw) ctx.watermark(raw.wm);
  else if ('bad' in raw) ctx.deadLetter(`bad line: ${JSON.stringify(raw.bad)}`);
  else ctx.record(raw);
}

export interface JobRun<OUT> {
  readonly out: OUT[];
  readonly outTs: number[];
  readonly late: LateRecord[];
  readonly dead: DeadLetter[];
  readonly task: Task;
}

export interface JobOptions {
  readonly bound?: number;
  readonly idleTimeoutMs?: number;
  readonly batchSize?: number;
  readonly finalWatermark?: boolean;
  readonly clock?: ManualClock;
  readonly watermarkTime?: (record: unknown, timestamp: number) => number;
}

/** Builds a one-source job over in-memory partitions; `build` adds the operators under test. */
export function makeJob<OUT>(
  partitions: ReadonlyArray<readonly Line[]>,
  build: (s: DataStream<Ev>) => DataStream<OUT>,
  options: JobOptions = {},
): { task: Task; out: CollectSink<OUT>; late: CollectSink<LateRecord>; dead: CollectSink<DeadLetter> } {
  const graph = new JobGraph('test');
  const out = new CollectSink<OUT>();
  const late = new CollectSink<LateRecord>();
  const dead = new CollectSink<DeadLetter>();
  const source = graph.source<Line, Ev>('src', {
    source: new ArraySource('src', partitions, options.batchSize ?? 4),
    deserialize: parseLine,
    eventTime: {
      extract: (e) => (typeof e.ts === 'number' && Number.isFinite(e.ts) ? e.ts : Number.NaN),
      describe: (e) => `bad ts ${String(e.ts)}`,
    },
    watermarks: {
      outOfOrdernessMs: options.bound ?? 0,
      ...(options.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: options.idleTimeoutMs }),
      ...(options.watermarkTime === undefined ? {} : { watermarkTime: options.watermarkTime }),
    },
  });
  build(source).to('out', out);
  graph.lateRecords(late).deadLetters(dead);
  const task = new Task(graph, { clock: options.clock ?? new ManualClock(0), finalWatermark: options.finalWatermark ?? true });
  return { task, out, late, dead };
}

export async function runJob<OUT>(
  lines: readonly Line[] | ReadonlyArray<readonly Line[]>,
  build: (s: DataStream<Ev>) => DataStream<OUT>,
  options: JobOptions = {},
): Promise<JobRun<OUT>> {
  const partitions = Array.isArray(lines[0]) ? (lines as ReadonlyArray<readonly Line[]>) : [lines as readonly Line[]];
  const job = makeJob(partitions, build, options);
  await job.task.run();
  return { out: job.out.values, outTs: job.out.timestamps, late: job.late.values, dead: job.dead.values, task: job.task };
}
