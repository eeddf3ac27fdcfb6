import type { Deserializer } from '../core/index.js';
import { type Clock, type JobGraph, type Logger, MetricRegistry, type Source, systemClock, Task, type WatermarkState } from '../core/index.js';
import type { BatchLookup, CheckedProgram, CheckedSource, LinkedRule } from '../dsl/index.js';
import { buildJob, DslError, type JobOutputs } from '../dsl/index.js';
import { decodeByteLine } from '../io/ndjson-bytes.js';
import { ProgramErrors, type SourceFile } from './errors.js';
import { type RecordCheck, recordParser } from './record-parser.js';
import { feedMapper } from './sources.js';

/**
 * Everything one job needs, whoever runs it (`vigil run`, `match`, `test`, `eval`, `serve`, the benches): the
 * program and what of it runs, a source of byte lines, the record check, lookups, sinks and a clock.
 */
export interface JobSetup {
  readonly name?: string;
  readonly program: CheckedProgram;
  /** The program's files: errors found while building the job are reported against them. */
  readonly sources?: readonly SourceFile[];
  /** Run mode: these rules. */
  readonly rules?: readonly LinkedRule[];
  /** Match mode: these patterns with their defaults, raw matches out. */
  readonly patterns?: readonly string[];
  /**
   * Byte lines (latin1 strings: one char per byte), from a file, stdin, Kafka or memory: for the one source the job
   * reads, or by source name (every source the job reads needs one).
   */
  readonly source: Source<string> | ReadonlyMap<string, Source<string>>;
  /** Validation of every source's records; without it (and without `checks`) every JSON object is a record. */
  readonly check?: RecordCheck;
  /** How far an accepted record may move the watermark (see TrafficFeed); its event time by default. */
  readonly watermarkTime?: (record: Record<string, unknown>, timestamp: number) => number;
  /** The out-of-orderness bound the feed measures, and what it learned (see TrafficFeed). */
  readonly watermarkBound?: () => number;
  readonly watermarkState?: WatermarkState;
  /** Validation per source, as its declaration asks (see declaredChecks); takes precedence over `check`. */
  readonly checks?: (source: CheckedSource) => RecordCheck | undefined;
  /** Non-record lines the runner handles itself (the test harness's `$clock`). */
  readonly control?: { readonly prefix: string; readonly handle: (line: string) => void };
  readonly lookups?: ReadonlyMap<string, BatchLookup>;
  readonly outputs: JobOutputs;
  /** Processing time: `detected_at`, idleness. A ManualClock makes runs deterministic. */
  readonly clock?: Clock;
  /**
   * Date alerts in event time instead (`vigil eval`): `detected_at` is the latest event time the feed had reached
   * when the watermark that released the alert was generated, so `detected_at - event_time` is the wait for the
   * watermark. Ignored when `clock` is given.
   */
  readonly detectedAtInEventTime?: boolean;
  /** The input is the prefix of an endless stream: its end does not advance the watermark. */
  readonly unbounded?: boolean;
  /** Build every stream, read or not (the service's dashboard shows them all). */
  readonly allStreams?: boolean;
  readonly metrics?: MetricRegistry;
  readonly log?: Logger;
  /** Each pattern operator's state budget (partial matches + buffer entries over all keys); the CEP default if unset. */
  readonly maxCepStateEntries?: number;
  /** Each pattern operator's budget of events kept for allowed lateness; the CEP default if unset. */
  readonly maxCepKeptEvents?: number;
  /** Called after every batch with the records read so far (progress reports). */
  readonly onBatch?: (recordsIn: number) => void;
  /** How a dead letter keeps its line. Default: the bytes decoded as UTF-8 text (NDJSON output). */
  readonly deadLetterRaw?: (line: string) => unknown;
}

/** What a job did. */
export interface JobSummary {
  readonly records: number;
  readonly deadLetters: number;
  readonly seconds: number;
  /** Partial matches dropped by a pattern operator's state budget, by operator uid (only those that dropped any). */
  readonly budgetDropped?: ReadonlyMap<string, number>;
  /** Kept events (allowed lateness) dropped by a pattern operator's kept-events budget, by operator uid (only those that dropped any). */
  readonly keptDropped?: ReadonlyMap<string, number>;
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

/**
 * Compiles the job's graph. The source spec's parser reads the watermark through `watermark` (records far ahead of
 * it are refused); a runner with several tasks gives each task a parser of its own (see recordParser).
 */
export function compileJob(setup: JobSetup, watermark: () => number): JobGraph {
  const parseFor = (name: string): Deserializer<string, Record<string, unknown>> => sourceParser(setup, name, watermark);
  const given = setup.source;
  const inputs = isSourceMap(given) ? new Map([...given].map(([name, source]) => [name, { source, parse: parseFor(name) }])) : undefined;
  return buildOrReport(setup.sources ?? [], () =>
    buildJob({
      name: setup.name,
      program: setup.program,
      rules: setup.rules,
      patterns: setup.patterns,
      ...(inputs === undefined ? { source: given as Source<string>, parseFor } : { inputs }),
      ...(setup.watermarkTime === undefined ? {} : { watermarkTime: setup.watermarkTime }),
      ...(setup.watermarkBound === undefined ? {} : { watermarkBound: setup.watermarkBound }),
      ...(setup.watermarkState === undefined ? {} : { watermarkState: setup.watermarkState }),
      lookups: setup.lookups,
      outputs: setup.outputs,
      clock: setup.clock ?? systemClock,
      allStreams: setup.allStreams,
      log: setup.log,
      ...(setup.maxCepStateEntries === undefined ? {} : { maxCepStateEntries: setup.maxCepStateEntries }),
      ...(setup.maxCepKeptEvents === undefined ? {} : { maxCepKeptEvents: setup.maxCepKeptEvents }),
    }),
  );
}

/** The parser of one source's byte lines: its feed mapping, then its check (see JobSetup `checks` and `check`). */
export function sourceParser(
  setup: Pick<JobSetup, 'program' | 'check' | 'checks' | 'control'>,
  name: string,
  watermark: () => number,
): Deserializer<string, Record<string, unknown>> {
  const source = setup.program.sources.get(name);
  const check = source === undefined ? setup.check : (setup.checks?.(source) ?? setup.check);
  const map = source === undefined ? undefined : feedMapper(source);
  return recordParser({ ...(map === undefined ? {} : { map }), check, control: setup.control, watermark });
}

/** The name of the source a compiled job reads (its source node is `source:NAME`, or `source:A+B` for several). */
export function sourceNamesOf(graph: JobGraph): string[] {
  const node = graph.nodes.find((n) => n.kind === 'source');
  return node === undefined ? [] : node.uid.slice('source:'.length).split('+');
}

function isSourceMap(s: JobSetup['source']): s is ReadonlyMap<string, Source<string>> {
  return s instanceof Map;
}

/** Compiles the job and instantiates its one task (the records of every partition the source serves). */
export function createTask(setup: JobSetup): Task {
  let task: Task | undefined;
  const clock: Clock =
    setup.clock ?? (setup.detectedAtInEventTime === true ? { now: () => task?.watermarkReachedAt ?? Number.NEGATIVE_INFINITY } : systemClock);
  const graph = compileJob({ ...setup, clock }, () => task?.watermark ?? Number.NEGATIVE_INFINITY);
  task = new Task(graph, {
    metrics: setup.metrics ?? new MetricRegistry(),
    clock,
    finalWatermark: setup.unbounded !== true,
    deadLetterRaw: (raw) => (setup.deadLetterRaw ?? decodeByteLine)(raw as string),
  });
  return task;
}

/** Runs a bounded source to its end, flushing the sinks between batches so a long replay streams its results. */
export async function runJob(setup: JobSetup): Promise<JobSummary> {
  const task = createTask(setup);
  const started = process.hrtime.bigint();
  try {
    await task.run({
      afterBatch: (t) => {
        setup.onBatch?.(t.metrics.total('vigil_records_in_total'));
        return t.flush();
      },
    });
    await task.flush();
  } finally {
    await task.close();
  }
  const budgetDropped = new Map<string, number>();
  const keptDropped = new Map<string, number>();
  for (const m of task.metrics.samples()) {
    const op = m.labels['operator'];
    if (m.value <= 0 || op === undefined) continue;
    if (m.name === 'vigil_cep_budget_dropped_partial_matches_total') budgetDropped.set(op, (budgetDropped.get(op) ?? 0) + m.value);
    else if (m.name === 'vigil_cep_kept_dropped_total') keptDropped.set(op, (keptDropped.get(op) ?? 0) + m.value);
  }
  return {
    records: task.metrics.total('vigil_records_in_total'),
    deadLetters: task.metrics.total('vigil_dead_letters_total'),
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    ...(budgetDropped.size === 0 ? {} : { budgetDropped }),
    ...(keptDropped.size === 0 ? {} : { keptDropped }),
  };
}
