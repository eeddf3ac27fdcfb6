import type { KeySelector } from './keyed-operator.js';
import { FilterOperator, FlatMapOperator, MapOperator, type Operator, type Output, type OutputTag } from './operator.js';
import type { DeadLetter, LateRecord, Sink } from './sink.js';
import type { Source } from './source.js';
import type { WatermarkStrategy } from './watermarks.js';
import type { AggregateFunction } from './windows/aggregates.js';
import type { WindowAssigner } from './windows/assigners.js';
import { type WindowResultFunction, windowOperator } from './windows/window-operator.js';

/** Turns one raw input record into zero or more typed records, explicit watermarks, or dead letters. */
export interface ParseContext<T> {
  record(value: T): void;
  /** An explicit watermark from the input (`{"$watermark": ms}` control lines). */
  watermark(timestamp: number): void;
  deadLetter(reason: string): void;
}
export type Deserializer<R, T> = (raw: R, ctx: ParseContext<T>) => void;

/** Where a record's event time comes from. `extract` returns NaN when it has none; `describe` says why. */
export interface EventTimeSpec<T> {
  extract(value: T): number;
  describe(value: T): string;
  /**
   * Orders records of equal event time where the source's records are put in event-time order (the batch stage):
   * negative when `a` goes first, 0 for arrival order (the default). A stable key such as the record id makes the
   * order, and so what lookups answer, independent of how records of one millisecond arrived.
   */
  compareTies?(a: T, b: T): number;
}

/**
 * Asynchronous work on each batch's parsed records before they enter the operators, in input order: lookups
 * such as `enrich is_new = first_seen(plate)`, one round trip per batch rather than per record.
 */
export interface BatchStage<T> {
  process(records: T[], timestamps: readonly number[]): Promise<void>;
}

/** Stages run one after the other on each batch; null when there are none. */
export function sequentialStages<T>(stages: readonly (BatchStage<T> | undefined)[]): BatchStage<T> | null {
  const list = stages.filter((s): s is BatchStage<T> => s !== undefined);
  if (list.length <= 1) return list[0] ?? null;
  return {
    async process(records, timestamps) {
      for (const s of list) await s.process(records, timestamps);
    },
  };
}

export interface SourceSpec<R, T> {
  readonly source: Source<R>;
  readonly deserialize: Deserializer<R, T>;
  readonly eventTime: EventTimeSpec<T>;
  readonly watermarks: WatermarkStrategy;
  readonly stage?: BatchStage<T>;
}

/** Where a node reads from: another node's main output or one of its side outputs. */
export interface StreamRef {
  readonly node: number;
  readonly tag: string | null;
}

export type GraphNode =
  | { readonly kind: 'source'; readonly id: number; readonly uid: string; readonly spec: SourceSpec<unknown, unknown> }
  | {
      readonly kind: 'operator';
      readonly id: number;
      readonly uid: string;
      readonly input: StreamRef;
      readonly create: () => Operator<unknown, unknown>;
    }
  | { readonly kind: 'sink'; readonly id: number; readonly uid: string; readonly input: StreamRef; readonly sink: Sink<unknown> }
  /** Several streams of one type merged into one; its watermark is the minimum of its inputs'. */
  | { readonly kind: 'union'; readonly id: number; readonly uid: string; readonly inputs: readonly StreamRef[] }
  /**
   * A change of key (Flink's keyBy edge): in one task a pass-through, when the job is spread over processes the
   * place where records travel to the task that owns their key (a repartition topic). `key` is the downstream
   * operators' key selector; records whose key is null (an unreadable plate) still travel, to one partition.
   * `stage`: lookups keyed by this exchange's key (`first_seen(plate, plate_color)` before a pattern keyed alike),
   * run in event-time order on what the exchange delivers. Spread over processes it runs in the tasks that read the
   * exchange, so each key's lookups happen in one task, in one order; in one task it runs at the source, beside the
   * source's own stage, and must pick the records that reach the exchange itself (enrich's `where` does).
   */
  | {
      readonly kind: 'exchange';
      readonly id: number;
      readonly uid: string;
      readonly input: StreamRef;
      readonly key: KeySelector<unknown>;
      readonly stage?: BatchStage<unknown>;
    };

/**
 * A job's logical plan (Kafka Streams' topology): source -> operators -> sinks, built with a fluent API.
 * A `Task` instantiates it; the graph itself holds no runtime state, so one graph can run many tasks.
 */
export class JobGraph {
  readonly nodes: GraphNode[] = [];
  readonly deadLetterSinks: Sink<DeadLetter>[] = [];
  readonly lateSinks: Sink<LateRecord>[] = [];
  private readonly uids = new Set<string>();
  /** Exchanges by input stream and key selector: operators keyed alike on one stream share one. */
  private readonly exchanges = new Map<string, Map<KeySelector<unknown>, number>>();

  constructor(readonly name = 'vigil') {}

  /** A graph of the given nodes (a stage of a topology): node ids are positions, inputs refer to them. */
  static of(name: string, nodes: readonly GraphNode[], deadLetterSinks: readonly Sink<DeadLetter>[], lateSinks: readonly Sink<LateRecord>[]): JobGraph {
    const g = new JobGraph(name);
    nodes.forEach((n, i) => {
      if (n.id !== i) throw new Error(`node '${n.uid}' has id ${n.id} at position ${i}`);
      g.add(n);
      g.uids.add(n.uid);
    });
    g.deadLetterSinks.push(...deadLetterSinks);
    g.lateSinks.push(...lateSinks);
    return g;
  }

  source<R, T>(uid: string, spec: SourceSpec<R, T>): DataStream<T> {
    if (this.nodes.some((n) => n.kind === 'source')) throw new Error('a job graph reads one source (one task per input)');
    const id = this.add({ kind: 'source', id: this.nodes.length, uid: this.claim(uid), spec: spec as unknown as SourceSpec<unknown, unknown> });
    return new DataStream<T>(this, { node: id, tag: null });
  }

  /** Every record the job could not read goes to these sinks, with its reason. */
  deadLetters(sink: Sink<DeadLetter>): this {
    this.deadLetterSinks.push(sink);
    return this;
  }

  /** Every record any operator refused as late goes to these sinks. */
  lateRecords(sink: Sink<LateRecord>): this {
    this.lateSinks.push(sink);
    return this;
  }

  /** @internal */
  addOperator<IN, OUT>(input: StreamRef, uid: string, create: () => Operator<IN, OUT>): DataStream<OUT> {
    const id = this.add({ kind: 'operator', id: this.nodes.length, uid: this.claim(uid), input, create: create as () => Operator<unknown, unknown> });
    return new DataStream<OUT>(this, { node: id, tag: null });
  }

  /** @internal */
  addUnion<T>(inputs: readonly StreamRef[], uid: string): DataStream<T> {
    const id = this.add({ kind: 'union', id: this.nodes.length, uid: this.claim(uid), inputs });
    return new DataStream<T>(this, { node: id, tag: null });
  }

  /** @internal The exchange that keys `input` by `key`, made once per input and key selector. */
  addExchange<T>(input: StreamRef, key: KeySelector<T>, uid: string, stage?: BatchStage<T>): StreamRef {
    const at = `${input.node}\u0000${input.tag ?? ''}`;
    let byKey = this.exchanges.get(at);
    if (byKey === undefined) {
      byKey = new Map();
      this.exchanges.set(at, byKey);
    }
    let id = byKey.get(key as KeySelector<unknown>);
    const known = id === undefined ? undefined : this.nodes[id];
    if (known?.kind === 'exchange' && stage !== undefined) {
      // Another reader of the same exchange brings lookups by its key: they run where the exchange is read.
      this.nodes[known.id] = { ...known, stage: sequentialStages([known.stage, stage as BatchStage<unknown>]) as BatchStage<unknown> };
    }
    if (id === undefined) {
      id = this.add({
        kind: 'exchange',
        id: this.nodes.length,
        uid: this.claim(uid),
        input,
        key: key as KeySelector<unknown>,
        ...(stage === undefined ? {} : { stage: stage as BatchStage<unknown> }),
      });
      byKey.set(key as KeySelector<unknown>, id);
    }
    return { node: id, tag: null };
  }

  /** @internal */
  addSink<T>(input: StreamRef, uid: string, sink: Sink<T>): void {
    this.add({ kind: 'sink', id: this.nodes.length, uid: this.claim(uid), input, sink: sink as Sink<unknown> });
  }

  private add(node: GraphNode): number {
    this.nodes.push(node);
    return node.id;
  }

  private claim(uid: string): string {
    if (this.uids.has(uid)) throw new Error(`duplicate operator uid '${uid}': uids address state in checkpoints and must be unique`);
    this.uids.add(uid);
    return uid;
  }
}

/** A stream in a job graph under construction. */
export class DataStream<T> {
  constructor(
    readonly graph: JobGraph,
    readonly ref: StreamRef,
  ) {}

  map<OUT>(uid: string, fn: (value: T, timestamp: number) => OUT): DataStream<OUT> {
    return this.graph.addOperator(this.ref, uid, () => new MapOperator(uid, fn));
  }

  filter(uid: string, predicate: (value: T, timestamp: number) => boolean): DataStream<T> {
    return this.graph.addOperator(this.ref, uid, () => new FilterOperator(uid, predicate));
  }

  flatMap<OUT>(uid: string, fn: (value: T, timestamp: number, out: Output<OUT>) => void): DataStream<OUT> {
    return this.graph.addOperator(this.ref, uid, () => new FlatMapOperator(uid, fn));
  }

  /** Plugs in any operator (the CEP operator, say). `create` is called once per task. */
  transform<OUT>(uid: string, create: () => Operator<T, OUT>): DataStream<OUT> {
    return this.graph.addOperator(this.ref, uid, create);
  }

  /** This stream and others of the same type as one stream (Flink's union). */
  union(uid: string, ...others: DataStream<T>[]): DataStream<T> {
    for (const o of others) if (o.graph !== this.graph) throw new Error('union of streams from different job graphs');
    return this.graph.addUnion<T>([this.ref, ...others.map((o) => o.ref)], uid);
  }

  /**
   * Keys the stream for keyed operators. `name` names the exchange (and so its repartition topic and the state of
   * the tasks behind it): give one that stays the same when other rules change; by default the first keyed
   * operator's uid names it.
   */
  keyBy(key: KeySelector<T>, name?: string, stage?: BatchStage<T>): KeyedStream<T> {
    return new KeyedStream(this, key, name, false, stage);
  }

  /**
   * This stream as keyed by `key`, without an exchange (Flink's reinterpretAsKeyedStream): only for a stream the
   * caller knows to be partitioned exactly as `key` would partition it (read from an exchange with the same key).
   */
  reinterpretAsKeyed(key: KeySelector<T>): KeyedStream<T> {
    return new KeyedStream(this, key, undefined, true);
  }

  /** The records an upstream operator sent to a side output. */
  sideOutput<S>(tag: OutputTag<S>): DataStream<S> {
    return new DataStream<S>(this.graph, { node: this.ref.node, tag: tag.id });
  }

  to(uid: string, sink: Sink<T>): void {
    this.graph.addSink(this.ref, uid, sink);
  }
}

export interface WindowSpec<T, ACC, R, OUT> {
  readonly assigner: WindowAssigner;
  readonly aggregate: AggregateFunction<T, ACC, R>;
  readonly result: WindowResultFunction<R, OUT>;
  readonly allowedLateness?: number;
  readonly lateTag?: OutputTag<T>;
}

export class KeyedStream<T> {
  constructor(
    readonly stream: DataStream<T>,
    readonly key: KeySelector<T>,
    readonly name?: string,
    /** The stream is already behind its exchange (a filter after the change of key): no second exchange. */
    private readonly partitioned = false,
    private readonly stage?: BatchStage<T>,
  ) {}

  /** The exchange's output, for per-record operators that keep the partitioning (reinterpretAsKeyed after them). */
  partitionedStream(uid: string): DataStream<T> {
    return this.keyed(uid);
  }

  /** The exchange's output: where keyed operators read. */
  private keyed(uid: string): DataStream<T> {
    if (this.partitioned) return this.stream;
    const graph = this.stream.graph;
    return new DataStream<T>(graph, graph.addExchange(this.stream.ref, this.key, this.name ?? `${uid}:by-key`, this.stage));
  }

  /**
   * Drops records after the change of key; the result stays keyed by the same key. Operators that key one stream
   * alike and filter it differently then share one exchange (spread over processes: one repartition topic).
   */
  filter(uid: string, predicate: (value: T, timestamp: number) => boolean): KeyedStream<T> {
    return new KeyedStream(this.keyed(uid).filter(uid, predicate), this.key, undefined, true);
  }

  window<ACC, R, OUT>(uid: string, spec: WindowSpec<T, ACC, R, OUT>): DataStream<OUT> {
    return this.keyed(uid).transform(uid, () => windowOperator<T, ACC, R, OUT>({ uid, key: this.key, ...spec }));
  }

  /** A keyed operator built with this stream's key selector. */
  transform<OUT>(uid: string, create: (key: KeySelector<T>) => Operator<T, OUT>): DataStream<OUT> {
    return this.keyed(uid).transform(uid, () => create(this.key));
  }
}
