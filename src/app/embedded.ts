import { type Clock, type DeadLetter, type LateRecord, type Sink, stderrLogger, type WatermarkState } from '../core/index.js';
import type { Alert, BatchLookup, CheckedProgram, JobOutputs, LinkedRule, MatchRecord, Rec } from '../dsl/index.js';
import { NdjsonSink } from '../io/ndjson-sink.js';
import { NdjsonSource } from '../io/ndjson-source.js';
import type { SourceFile } from './errors.js';
import { type JobSetup, type JobSummary, runJob } from './job.js';
import type { RecordCheck } from './record-parser.js';

/** Where an embedded run prints: results on stdout, messages on stderr (the CLI's io fits). */
export interface Terminal {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

export interface EmbeddedRun {
  readonly program: CheckedProgram;
  /** The program's files: errors found while building the job are reported against them. */
  readonly sources?: readonly SourceFile[];
  readonly rules?: readonly LinkedRule[];
  readonly patterns?: readonly string[];
  /** An NDJSON file, or '-' for stdin; or one per source, by source name. */
  readonly input: string | ReadonlyMap<string, string>;
  readonly check?: RecordCheck;
  readonly watermarkTime?: (record: Record<string, unknown>, timestamp: number) => number;
  readonly watermarkBound?: () => number;
  readonly watermarkState?: WatermarkState;
  readonly checks?: JobSetup['checks'];
  readonly lookups?: ReadonlyMap<string, BatchLookup>;
  /** '-' for stdout. */
  readonly out?: string;
  readonly late?: string;
  readonly deadLetter?: string;
  readonly streams?: readonly string[];
  readonly unbounded?: boolean;
  /** A virtual clock (tests): detected_at becomes deterministic. */
  readonly clock?: Clock;
  /** `detected_at` in event time (see JobSetup.detectedAtInEventTime). */
  readonly detectedAtInEventTime?: boolean;
  /** After every batch: records read so far and, for a file, bytes read of it (progress reports). */
  readonly progress?: (p: { readonly records: number; readonly bytes: number | null }) => void;
  /** Each pattern operator's state budget (see JobSetup). */
  readonly maxCepStateEntries?: number;
  /** Each pattern operator's kept-events budget (see JobSetup). */
  readonly maxCepKeptEvents?: number;
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

export interface EmbeddedSummary extends JobSummary {
  /** Records refused as late by at least one operator (a record late for three operators counts once). */
  readonly late: number;
  /** Late refusals per operator: one record can be refused by several. */
  readonly lateByOperator: ReadonlyMap<string, number>;
  /** Dead letters per reason code (the reason's text before its first ':'). */
  readonly deadLetterReasons: ReadonlyMap<string, number>;
  readonly outputs: number;
  /** Records kept with a note (direction unknown or against the camera, clock ahead), by note. */
  readonly notes?: ReadonlyArray<readonly [string, number]>;
}

/** Counts dead letters by reason code. */
class DeadLetterCounter extends CountingSink<DeadLetter> {
  readonly reasons = new Map<string, number>();
  override write(value: DeadLetter, timestamp: number): void {
    const colon = value.reason.indexOf(':');
    const code = colon < 0 ? value.reason : value.reason.slice(0, colon);
    this.reasons.set(code, (this.reasons.get(code) ?? 0) + 1);
    super.write(value, timestamp);
  }
}

/** Counts late refusals per operator, and the distinct records refused (by id, else by content). */
class LateCounter extends CountingSink<LateRecord> {
  readonly byOperator = new Map<string, number>();
  private readonly records = new Set<string>();
  override write(value: LateRecord, timestamp: number): void {
    this.byOperator.set(value.operator, (this.byOperator.get(value.operator) ?? 0) + 1);
    const r = value.record as { id?: unknown } | null;
    this.records.add(typeof r?.id === 'string' ? `id:${r.id}` : `json:${JSON.stringify(value.record)}`);
    super.write(value, timestamp);
  }
  get distinctRecords(): number {
    return this.records.size;
  }
}

/**
 * Runs a bounded NDJSON input to its end in embedded mode (no Kafka, no Redis): alerts or matches as NDJSON,
 * optional late and dead-letter files, and `--stream` records on stdout as {"stream": NAME, ...record}.
 */
export async function runEmbedded(run: EmbeddedRun, terminal: Terminal): Promise<EmbeddedSummary> {
  const stdoutSink = <T>(format: (v: T) => unknown): NdjsonSink<T> => new NdjsonSink<T>('-', format, terminal.stdout);
  const fileOrStdout = <T>(path: string | undefined, format: (v: T) => unknown = (v) => v): NdjsonSink<T> | null =>
    path === undefined ? null : path === '-' ? stdoutSink(format) : new NdjsonSink<T>(path, format);

  const out = new CountingSink<Alert | MatchRecord>(fileOrStdout(run.out ?? '-'));
  const late = new LateCounter(fileOrStdout<LateRecord>(run.late));
  const dead = new DeadLetterCounter(fileOrStdout<DeadLetter>(run.deadLetter, deadLetterLine));
  const streams = new Map<string, Sink<Rec>>();
  for (const name of run.streams ?? [])
    streams.set(
      name,
      stdoutSink<Rec>((r) => ({ stream: name, ...r })),
    );
  const outputs: JobOutputs = {
    ...(run.patterns !== undefined ? { matches: out as Sink<MatchRecord> } : { alerts: out as Sink<Alert> }),
    streams,
    late,
    deadLetters: dead,
  };
  const source = typeof run.input === 'string' ? ndjson(run.input) : new Map([...run.input].map(([name, path]) => [name, ndjson(path)]));
  const progress = run.progress;
  const summary = await runJob({
    program: run.program,
    sources: run.sources,
    rules: run.rules,
    patterns: run.patterns,
    source,
    ...(progress === undefined
      ? {}
      : {
          onBatch: (records: number) =>
            progress({ records, bytes: typeof run.input !== 'string' || run.input === '-' ? null : ((source as NdjsonSource).positions()[0] ?? null) }),
        }),
    check: run.check,
    checks: run.checks,
    ...(run.watermarkTime === undefined ? {} : { watermarkTime: run.watermarkTime }),
    ...(run.watermarkBound === undefined ? {} : { watermarkBound: run.watermarkBound }),
    ...(run.watermarkState === undefined ? {} : { watermarkState: run.watermarkState }),
    lookups: run.lookups,
    outputs,
    clock: run.clock,
    ...(run.detectedAtInEventTime === true ? { detectedAtInEventTime: true } : {}),
    unbounded: run.unbounded,
    log: stderrLogger(terminal.stderr),
    ...(run.maxCepStateEntries === undefined ? {} : { maxCepStateEntries: run.maxCepStateEntries }),
    ...(run.maxCepKeptEvents === undefined ? {} : { maxCepKeptEvents: run.maxCepKeptEvents }),
  });
  return {
    ...summary,
    deadLetters: dead.count,
    deadLetterReasons: dead.reasons,
    late: late.distinctRecords,
    lateByOperator: late.byOperator,
    outputs: out.count,
  };
}

function ndjson(path: string): NdjsonSource {
  return new NdjsonSource(path, { encoding: 'latin1' });
}

function deadLetterLine(d: DeadLetter): unknown {
  // The raw line is kept as text: it may not be JSON at all.
  const line = { reason: d.reason, source: d.source, line: d.offset + 1, raw: d.raw };
  // A long line keeps a prefix: its original length and hash say which line it was.
  return d.original === undefined ? line : { ...line, raw_truncated: true, raw_bytes: d.original.bytes, raw_sha256: d.original.sha256 };
}
