import { createHash } from 'node:crypto';
import { CHECKPOINT_FORMAT_VERSION, type Checkpoint } from './checkpoint.js';
import { type Clock, systemClock } from './clock.js';
import { EventTimeStage } from './event-time-stage.js';
import { type BatchStage, type GraphNode, type JobGraph, type ParseContext, type SourceSpec, type StreamRef, sequentialStages } from './graph.js';
import { type Logger, silentLogger } from './logger.js';
import { type Counter, MetricRegistry } from './metrics.js';
import { LATE, type Operator, type Output, type OutputTag } from './operator.js';
import { DEAD_LETTER_RAW_LIMIT, type DeadLetter, type LateRecord, type Sink } from './sink.js';
import type { SourceBatch } from './source.js';
import { MAX_WATERMARK, MIN_WATERMARK } from './time.js';
import { UnionOperator } from './union.js';
import { WatermarkTracker } from './watermarks.js';

export interface TaskOptions {
  readonly clock?: Clock;
  readonly metrics?: MetricRegistry;
  readonly log?: Logger;
  /** false: the input is the prefix of an endless stream, so its end does not advance the watermark (--unbounded). */
  readonly finalWatermark?: boolean;
  /** How a dead letter keeps the raw record, when not as it came (a byte line from the source, decoded to text). */
  readonly deadLetterRaw?: (raw: unknown) => unknown;
}

export type StepResult = 'batch' | 'idle' | 'end';

/** Anything downstream of an output: an operator or a sink. */
interface Consumer {
  processElement(value: unknown, timestamp: number): void;
  processWatermark(watermark: number): void;
}

class SinkConsumer implements Consumer {
  constructor(private readonly sink: Sink<unknown>) {}
  processElement(value: unknown, timestamp: number): void {
    this.sink.write(value, timestamp);
  }
  processWatermark(): void {}
}

/** Fans one node's main and side outputs out to its consumers; late records also reach the job's late sinks. */
class RoutingOutput implements Output<unknown> {
  readonly main: Consumer[] = [];
  readonly sides = new Map<string, Consumer[]>();
  /** Main then side consumers, flat: a watermark goes to all of them, after nearly every record. */
  private readonly everyone: Consumer[] = [];

  constructor(
    private readonly uid: string,
    private readonly lateSinks: readonly Sink<LateRecord>[],
  ) {}

  attach(tag: string | null, consumer: Consumer): void {
    if (tag === null) this.main.push(consumer);
    else {
      const list = this.sides.get(tag) ?? [];
      list.push(consumer);
      this.sides.set(tag, list);
    }
    this.everyone.length = 0;
    this.everyone.push(...this.main);
    for (const cs of this.sides.values()) this.everyone.push(...cs);
  }

  collect(value: unknown, timestamp: number): void {
    const m = this.main;
    for (let i = 0; i < m.length; i++) (m[i] as Consumer).processElement(value, timestamp);
  }

  side<S>(tag: OutputTag<S>, value: S, timestamp: number): void {
    const consumers = this.sides.get(tag.id);
    if (consumers !== undefined) for (const c of consumers) c.processElement(value, timestamp);
    if (tag === LATE) {
      for (const s of this.lateSinks) s.write({ operator: this.uid, timestamp, record: value }, timestamp);
    }
  }

  emitWatermark(watermark: number): void {
    const all = this.everyone;
    for (let i = 0; i < all.length; i++) (all[i] as Consumer).processWatermark(watermark);
  }
}

/**
 * Runs one instance of a job graph, single-threaded (a Kafka Streams task): polls the source, parses each record,
 * assigns event time, pushes it through the operators, and advances the watermark after every record.
 * Between batches the task is at a consistent point: snapshot() may be called there.
 */
export class Task {
  readonly metrics: MetricRegistry;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly spec: SourceSpec<unknown, unknown>;
  private readonly sourceUid: string;
  private readonly tracker: WatermarkTracker;
  private readonly operators = new Map<string, Operator<unknown, unknown>>();
  private readonly unions = new Map<number, UnionOperator>();
  private readonly root: RoutingOutput;
  private readonly sinks: Sink<unknown>[] = [];
  private readonly finalWatermark: boolean;
  private readonly deadLetterRaw: ((raw: unknown) => unknown) | undefined;
  private emitted = MIN_WATERMARK;
  private checkpointId = 0;
  private ended = false;
  // The record being parsed: read by the parse context's callbacks, so no object is built per record.
  private partition = 0;
  private offset = 0;
  private raw: unknown = undefined;
  private readonly parseCtx: ParseContext<unknown>;
  /** With a batch stage (enrich): records reach the operators in event-time order as the watermark passes them. */
  private readonly stager: EventTimeStage | null;
  private readonly recordsIn: Counter;
  private readonly deadLettersOut: Counter;
  private readonly watermarkTime: ((record: unknown, timestamp: number) => number) | null;

  constructor(
    readonly graph: JobGraph,
    options: TaskOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.metrics = options.metrics ?? new MetricRegistry();
    this.log = options.log ?? silentLogger;
    this.finalWatermark = options.finalWatermark ?? true;
    this.deadLetterRaw = options.deadLetterRaw;
    const sourceNode = graph.nodes.find((n): n is Extract<GraphNode, { kind: 'source' }> => n.kind === 'source');
    if (sourceNode === undefined) throw new Error(`job '${graph.name}' has no source`);
    this.spec = sourceNode.spec;
    this.sourceUid = sourceNode.uid;
    this.tracker = new WatermarkTracker(this.spec.watermarks, this.clock);
    this.watermarkTime = this.spec.watermarks.watermarkTime ?? null;
    for (const p of this.spec.source.partitions()) this.tracker.addPartition(p);
    this.recordsIn = this.metrics.counter('vigil_records_in_total', { source: this.sourceUid });
    this.deadLettersOut = this.metrics.counter('vigil_dead_letters_total', { source: this.sourceUid });
    this.root = this.wire(sourceNode.id, sourceNode.uid, graph);
    const ties = this.spec.eventTime.compareTies;
    const stage = batchStageOf(graph, this.spec);
    this.stager = stage === null ? null : new EventTimeStage(stage, ties === undefined ? undefined : (a, b) => ties.call(this.spec.eventTime, a, b));
    this.parseCtx =
      this.stager === null
        ? {
            record: (value) => this.onRecord(value),
            watermark: (ts) => this.onWatermark(ts),
            deadLetter: (reason) => this.deadLetter(reason),
          }
        : {
            record: (value) => this.stageRecord(value),
            watermark: (ts) => this.stager?.advance(this.tracker.onExplicitWatermark(this.partition, ts)),
            deadLetter: (reason) => this.deadLetter(reason),
          };
    this.metrics.gauge('vigil_watermark', { source: this.sourceUid }, () => this.emitted);
  }

  /** Instantiates the operators and sinks downstream of `nodeId` and returns the output that feeds them. */
  private wire(nodeId: number, uid: string, graph: JobGraph): RoutingOutput {
    const output = new RoutingOutput(uid, graph.lateSinks);
    this.attachConsumers(output, nodeId, undefined, graph);
    return output;
  }

  /**
   * Attaches what reads `nodeId` to `output`. In one task an exchange is no node at all: what reads it reads the
   * exchange's input directly (under that input's tag, `asTag`), so a change of key costs nothing per record.
   */
  private attachConsumers(output: RoutingOutput, nodeId: number, asTag: string | null | undefined, graph: JobGraph): void {
    const attach = (ref: StreamRef, consumer: Consumer): void => output.attach(asTag === undefined ? ref.tag : asTag, consumer);
    for (const node of graph.nodes) {
      switch (node.kind) {
        case 'source':
          break;
        case 'exchange':
          if (node.input.node === nodeId) this.attachConsumers(output, node.id, asTag === undefined ? node.input.tag : asTag, graph);
          break;
        case 'sink':
          if (node.input.node !== nodeId) break;
          this.sinks.push(node.sink);
          attach(node.input, new SinkConsumer(node.sink));
          break;
        case 'operator': {
          if (node.input.node !== nodeId) break;
          const op = node.create();
          if (op.uid !== node.uid) throw new Error(`operator built for '${node.uid}' reports uid '${op.uid}'`);
          this.operators.set(node.uid, op);
          op.open({ output: this.wire(node.id, node.uid, graph), clock: this.clock, metrics: this.metrics, log: this.log });
          attach(node.input, op);
          break;
        }
        case 'union':
          node.inputs.forEach((ref, i) => {
            if (ref.node !== nodeId) return;
            let union = this.unions.get(node.id);
            if (union === undefined) {
              union = new UnionOperator(node.uid, node.inputs.length);
              this.unions.set(node.id, union);
              this.operators.set(node.uid, union);
              union.open({ output: this.wire(node.id, node.uid, graph), clock: this.clock, metrics: this.metrics, log: this.log });
            }
            attach(ref, union.input(i));
          });
          break;
      }
    }
  }

  /** The watermark as of the last record read (with a batch stage, ahead of the operators until the batch is replayed). */
  get watermark(): number {
    return this.stager === null ? this.emitted : this.stager.watermark;
  }

  /**
   * The operators' watermark dated in event time: the latest event time the source had reached when it was
   * generated (watermark + bound + 1, with the bound in effect now); -Infinity before the first, +Infinity at the end.
   * Alerts dated by it show how long they waited for the watermark, whatever the batch sizes of a replay.
   */
  get watermarkReachedAt(): number {
    const w = this.emitted;
    return w === MIN_WATERMARK || w === MAX_WATERMARK ? w : w + this.tracker.effectiveBound + 1;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Polls and processes one batch. */
  async step(): Promise<StepResult> {
    if (this.ended) return 'end';
    const polled = await this.spec.source.poll();
    const now = this.clock.now();
    for (const op of this.operators.values()) op.processProcessingTime?.(now);
    // Idleness is judged on processing time, whichever partition the poll served.
    await this.advanceSource(this.tracker.checkIdle());
    if (polled === 'idle') return 'idle';
    if (polled === 'end') {
      await this.finish();
      return 'end';
    }
    this.processBatch(polled);
    await this.flushStage();
    return 'batch';
  }

  /** Runs a bounded input to its end (or until `shouldStop` says so between batches). */
  async run(options: { idleWaitMs?: number; afterBatch?: (task: Task) => Promise<void> | void; shouldStop?: () => boolean } = {}): Promise<void> {
    for (;;) {
      if (options.shouldStop?.() === true) return;
      const r = await this.step();
      if (r === 'end') return;
      if (r === 'idle') await new Promise((resolve) => setTimeout(resolve, options.idleWaitMs ?? 50));
      else await options.afterBatch?.(this);
    }
  }

  private processBatch(batch: SourceBatch<unknown>): void {
    this.partition = batch.partition;
    this.tracker.markActive(batch.partition);
    const records = batch.records;
    const deserialize = this.spec.deserialize;
    for (let i = 0; i < records.length; i++) {
      this.offset = batch.firstOffset + i;
      this.raw = records[i];
      deserialize(this.raw, this.parseCtx);
    }
    this.recordsIn.value += records.length;
    this.raw = undefined;
    if (batch.endOfPartition && this.finalWatermark) {
      const wm = this.tracker.onPartitionEnd(batch.partition);
      if (this.stager === null) this.advanceTo(wm);
      else this.stager.advance(wm);
    }
  }

  private onRecord(value: unknown): void {
    const ts = this.spec.eventTime.extract(value);
    if (Number.isNaN(ts)) {
      this.deadLetter(this.spec.eventTime.describe(value));
      return;
    }
    this.emitRecord(value, ts);
  }

  private emitRecord(value: unknown, ts: number): void {
    this.root.collect(value, ts);
    this.advanceTo(this.tracker.onEvent(this.partition, this.watermarkTime === null ? ts : this.watermarkTime(value, ts)));
  }

  private onWatermark(ts: number): void {
    this.advanceTo(this.tracker.onExplicitWatermark(this.partition, ts));
  }

  private stageRecord(value: unknown): void {
    const ts = this.spec.eventTime.extract(value);
    if (Number.isNaN(ts)) {
      this.deadLetter(this.spec.eventTime.describe(value));
      return;
    }
    const stager = this.stager as EventTimeStage;
    stager.add(value, ts);
    stager.advance(this.tracker.onEvent(this.partition, this.watermarkTime === null ? ts : this.watermarkTime(value, ts)));
  }

  /** Moves the source watermark: directly, or through the stage's release plan. */
  private async advanceSource(watermark: number): Promise<void> {
    if (this.stager === null) this.advanceTo(watermark);
    else {
      this.stager.advance(watermark);
      await this.flushStage();
    }
  }

  private async flushStage(): Promise<void> {
    await this.stager?.flush(
      (value, ts) => this.root.collect(value, ts),
      (wm) => this.advanceTo(wm),
    );
  }

  private advanceTo(watermark: number): void {
    if (watermark <= this.emitted) return;
    this.emitted = watermark;
    this.root.emitWatermark(watermark);
  }

  private deadLetter(reason: string): void {
    this.deadLettersOut.value++;
    let raw = this.raw;
    let original: DeadLetter['original'];
    // A byte line (latin1, one char per byte) past the limit is cut before it is decoded: a prefix, its length, a hash.
    if (typeof raw === 'string' && raw.length > DEAD_LETTER_RAW_LIMIT) {
      original = { bytes: raw.length, sha256: createHash('sha256').update(raw, 'latin1').digest('hex') };
      raw = raw.slice(0, DEAD_LETTER_RAW_LIMIT);
    }
    if (this.deadLetterRaw !== undefined) raw = this.deadLetterRaw(raw);
    const letter: DeadLetter =
      original === undefined
        ? { reason, source: this.sourceUid, partition: this.partition, offset: this.offset, raw }
        : { reason, source: this.sourceUid, partition: this.partition, offset: this.offset, raw, original };
    for (const s of this.graph.deadLetterSinks) s.write(letter, this.clock.now());
  }

  private async finish(): Promise<void> {
    if (this.finalWatermark) {
      for (const p of this.spec.source.partitions()) await this.advanceSource(this.tracker.onPartitionEnd(p));
    }
    this.ended = true;
    await this.flush();
  }

  /** Makes everything written so far durable: before a checkpoint is stored and at the end. */
  async flush(): Promise<void> {
    for (const s of this.allSinks()) await s.flush?.();
  }

  private allSinks(): Sink<unknown>[] {
    return [...this.sinks, ...(this.graph.deadLetterSinks as Sink<unknown>[]), ...(this.graph.lateSinks as Sink<unknown>[])];
  }

  /** A consistent snapshot; call between steps. */
  snapshot(): Checkpoint {
    const operators: Record<string, unknown> = {};
    for (const [uid, op] of this.operators) operators[uid] = op.snapshotState();
    return {
      version: CHECKPOINT_FORMAT_VERSION,
      job: this.graph.name,
      id: ++this.checkpointId,
      takenAt: this.clock.now(),
      source: { uid: this.sourceUid, positions: this.spec.source.positions() },
      watermarks: this.tracker.snapshot(),
      operators,
      ...(this.stager === null ? {} : { held: this.stager.snapshot() }),
    };
  }

  /**
   * Loads a checkpoint or savepoint and seeks the source to its positions. Operators without state in it start
   * empty (a rule added since); state for operators that no longer exist is refused unless allowed, as Flink's
   * --allowNonRestoredState. Operators in `skip` start empty whatever the checkpoint holds (a hot reload resets
   * state that does not fit a changed operator). An operator that cannot take its state throws OperatorStateError.
   */
  async restore(cp: Checkpoint, options: { allowNonRestoredState?: boolean; skip?: ReadonlySet<string> } = {}): Promise<RestoreReport> {
    const unknown = Object.keys(cp.operators).filter((uid) => !this.operators.has(uid));
    if (unknown.length > 0 && options.allowNonRestoredState !== true) {
      throw new Error(`checkpoint has state for operators this job does not have: ${unknown.join(', ')}`);
    }
    const restored: string[] = [];
    for (const [uid, op] of this.operators) {
      if (!(uid in cp.operators) || options.skip?.has(uid) === true) continue;
      try {
        op.restoreState(cp.operators[uid]);
      } catch (error) {
        throw new OperatorStateError(uid, error instanceof Error ? error.message : String(error));
      }
      restored.push(uid);
    }
    this.tracker.restore(cp.watermarks);
    this.emitted = cp.watermarks.current;
    this.stager?.restore(cp.held ?? [], cp.watermarks.current);
    this.checkpointId = cp.id;
    await this.spec.source.seek(cp.source.positions);
    return { restored, dropped: unknown };
  }

  async close(): Promise<void> {
    for (const op of this.operators.values()) op.close?.();
    for (const s of this.allSinks()) await s.close?.();
    await this.spec.source.close();
  }
}

/**
 * The batch work of a task: its source's stage and, since exchanges are pass-throughs in one task, the stages of
 * the exchanges it contains (each picks its own records).
 */
function batchStageOf(graph: JobGraph, spec: SourceSpec<unknown, unknown>): BatchStage<unknown> | null {
  return sequentialStages([spec.stage, ...graph.nodes.map((n) => (n.kind === 'exchange' ? n.stage : undefined))]);
}

/** What a restore did: the operators whose state it loaded, and the state it dropped (operators the job lacks). */
export interface RestoreReport {
  readonly restored: readonly string[];
  readonly dropped: readonly string[];
}

/** An operator refused the state a checkpoint holds for it (e.g. a CEP operator whose pattern changed). */
export class OperatorStateError extends Error {
  constructor(
    readonly uid: string,
    reason: string,
  ) {
    super(`cannot restore the state of operator '${uid}': ${reason}`);
  }
}
