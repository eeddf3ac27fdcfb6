import { ManualClock, MetricRegistry, Task, stderrLogger, systemClock, type Clock, type DeadLetter, type LateRecord, type ParseContext, type Sink } from '../core/index.js';
import { buildJob, type JobOutputs, type MatchRecord } from '../dsl/compile/job.js';
import type { BatchLookup } from '../dsl/compile/lookups.js';
import type { Rec } from '../dsl/compile/scope.js';
import type { CheckedProgram } from '../dsl/index.js';
import type { Alert } from '../dsl/rules/alert.js';
import type { LinkedRule } from '../dsl/rules/link.js';
import { decodeByteLine, parseDecoded, parseFlatObject, parseNdjsonBytes } from '../io/ndjson-bytes.js';
import { NdjsonSink } from '../io/ndjson-sink.js';
import { NdjsonSource } from '../io/ndjson-source.js';
import type { CliIo } from './io.js';
import { ProgramErrors, type SourceFile } from './environment.js';
import { DslError } from '../dsl/errors.js';

/** Domain validation of a parsed record: null to accept (normalised in place), or the reason to dead-letter it. */
export type RecordCheck = (record: Record<string, unknown>, watermark: number) => string | null;

export interface EmbeddedRun {
  readonly program: CheckedProgram;
  /** The program's files: errors found while building the job are reported against them. */
  readonly sources?: readonly SourceFile[];
  readonly rules?: readonly LinkedRule[];
  readonly patterns?: readonly string[];
  readonly input: string;
  readonly check?: RecordCheck;
  readonly lookups?: ReadonlyMap<string, BatchLookup>;
  /** '-' for stdout. */
  readonly out?: string;
  readonly late?: string;
  readonly deadLetter?: string;
  readonly streams?: readonly string[];
  readonly unbounded?: boolean;
  /** A virtual clock (tests): detected_at becomes deterministic. */
  readonly clock?: Clock;
}

export interface EmbeddedSummary {
  readonly records: number;
  readonly deadLetters: number;
  readonly late: number;
  readonly outputs: number;
  readonly seconds: number;
}

class CountingSink<T> implements Sink<T> {
  count = 0;
  constructor(private readonly inner: Sink<T> | null) {}
  write(value: T, timestamp: number): void {
    this.count++;
    this.inner?.write(value, timestamp);
  }
  async flush(): Promise<void> {
    await this.inner?.flush?.();
  }
  async close(): Promise<void> {
    await this.inner?.close?.();
  }
}

/**
 * Runs a bounded NDJSON input to its end in embedded mode (no Kafka, no Redis): alerts or matches as NDJSON,
 * optional late and dead-letter files, and `--stream` records on stdout as {"stream": NAME, ...record}.
 */
export async function runEmbedded(run: EmbeddedRun, io: CliIo): Promise<EmbeddedSummary> {
  const stdoutSink = <T>(format: (v: T) => unknown): NdjsonSink<T> => new NdjsonSink<T>('-', format, io.stdout);
  const fileOrStdout = <T>(path: string | undefined, format: (v: T) => unknown = (v) => v): NdjsonSink<T> | null =>
    path === undefined ? null : path === '-' ? stdoutSink(format) : new NdjsonSink<T>(path, format);

  const out = new CountingSink<Alert | MatchRecord>(fileOrStdout(run.out ?? '-'));
  const late = new CountingSink<LateRecord>(fileOrStdout<LateRecord>(run.late));
  const dead = new CountingSink<DeadLetter>(fileOrStdout<DeadLetter>(run.deadLetter, deadLetterLine));
  const streams = new Map<string, Sink<Rec>>();
  for (const name of run.streams ?? []) streams.set(name, stdoutSink<Rec>((r) => ({ stream: name, ...r })));

  let task: Task | undefined;
  const check = run.check;
  // The validating context wraps the task's parse context; built once, not per record.
  let wrapped: { inner: ParseContext<Record<string, unknown>>; outer: ParseContext<Record<string, unknown>> } | undefined;
  const validating = (ctx: ParseContext<Record<string, unknown>>, check: RecordCheck): ParseContext<Record<string, unknown>> => {
    if (wrapped?.inner !== ctx) {
      wrapped = {
        inner: ctx,
        outer: {
          record: (r) => {
            const reason = check(r, task?.watermark ?? Number.NEGATIVE_INFINITY);
            if (reason === null) ctx.record(r);
            else ctx.deadLetter(reason);
          },
          watermark: (ts) => ctx.watermark(ts),
          deadLetter: (reason) => ctx.deadLetter(reason),
        },
      };
    }
    return wrapped.outer;
  };
  // The source hands on byte lines (no text decoding); dead letters keep them decoded. A flat record, nearly every
  // line, goes straight to the check; anything else takes the general parser.
  const parse = (line: string, ctx: ParseContext<Record<string, unknown>>): void => {
    if (check === undefined) return parseNdjsonBytes(line, ctx);
    const record = parseFlatObject(line);
    if (record === undefined) return parseDecoded(line, validating(ctx, check));
    const reason = check(record, (task as Task).watermark);
    if (reason === null) ctx.record(record);
    else ctx.deadLetter(reason);
  };
  const outputs: JobOutputs = {
    ...(run.patterns !== undefined ? { matches: out as Sink<MatchRecord> } : { alerts: out as Sink<Alert> }),
    streams,
    late,
    deadLetters: dead,
  };
  const clock = run.clock ?? systemClock;
  const graph = buildOrReport(run.sources ?? [], () => buildJob({
    program: run.program,
    ...(run.rules === undefined ? {} : { rules: run.rules }),
    ...(run.patterns === undefined ? {} : { patterns: run.patterns }),
    source: new NdjsonSource(run.input === '-' ? '-' : run.input, { encoding: 'latin1' }),
    parse,
    ...(run.lookups === undefined ? {} : { lookups: run.lookups }),
    outputs,
    clock,
    log: stderrLogger(io.stderr),
  }));
  const metrics = new MetricRegistry();
  task = new Task(graph, {
    metrics,
    clock: clock instanceof ManualClock ? clock : systemClock,
    finalWatermark: run.unbounded !== true,
    deadLetterRaw: (raw) => decodeByteLine(raw as string),
  });
  const started = process.hrtime.bigint();
  // Flush outputs between batches so a long replay streams its results instead of holding them.
  await task.run({ afterBatch: (t) => t.flush() });
  await task.flush();
  await task.close();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    records: metrics.total('vigil_records_in_total'),
    deadLetters: dead.count,
    late: late.count,
    outputs: out.count,
    seconds,
  };
}

/** Errors the compiler finds in the user's files (a late stream nobody produces, say) are the user's: exit 1. */
export function buildOrReport<T>(sources: readonly SourceFile[], build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof DslError) throw new ProgramErrors([error], sources);
    throw error;
  }
}

function deadLetterLine(d: DeadLetter): unknown {
  // The raw line is kept as text: it may not be JSON at all.
  return { reason: d.reason, source: d.source, line: d.offset + 1, raw: d.raw };
}

export function summaryLine(s: EmbeddedSummary, what: string): string {
  const rate = s.seconds > 0 ? thousands(Math.round(s.records / s.seconds)) : '-';
  return `${thousands(s.records)} records (${s.deadLetters} dead letters, ${s.late} late) -> ${thousands(s.outputs)} ${what} in ${s.seconds.toFixed(2)} s (${rate} records/s)\n`;
}

/** 1234567 -> "1,234,567", as toLocaleString('en') for integers, without loading ICU data (tens of ms at exit). */
function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
