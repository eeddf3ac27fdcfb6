import { join } from 'node:path';
import type { Redis } from 'ioredis';
import {
  MetricRegistry,
  silentLogger,
  systemClock,
  writeSavepoint,
  readSavepoint,
  type Checkpoint,
  type Clock,
  type DeadLetter,
  type LateRecord,
  type Logger,
  type Sink,
  type Task,
} from '../../core/index.js';
import type { Rec } from '../../dsl/compile/scope.js';
import type { Alert } from '../../dsl/rules/alert.js';
import { KafkaClient } from '../../io/kafka/client.js';
import { KafkaSink } from '../../io/kafka/kafka-sink.js';
import { KafkaSource, type AssignmentChange } from '../../io/kafka/kafka-source.js';
import { singleActiveAssigner } from '../../io/kafka/single-active-assigner.js';
import { RedisFirstSeenStore } from '../../io/first-seen/redis-store.js';
import { connectRedis } from '../../io/redis/client.js';
import { UserError } from '../errors.js';
import { createTask } from '../job.js';
import { lookupsFor } from '../lookups.js';
import { trafficCheck } from '../record-parser.js';
import { checkStreamNames, loadTrafficProgram, type ProgramPaths, type TrafficProgram } from '../traffic.js';
import { RedisCheckpointStore, type CheckpointStore } from './checkpoint-store.js';
import type { SavepointInfo, ServiceControl, ServiceState, ServiceStatus } from './control.js';
import { KafkaLines } from './kafka-lines.js';

/** The file of one task's state inside a savepoint folder. */
const SAVEPOINT_TASK_FILE = 'task.json';

export const SERVICE_DEFAULTS = {
  inputTopic: 'traffic.passes',
  group: 'vigil',
  lateTopic: 'vigil.late',
  deadLetterTopic: 'vigil.dead-letter',
  streamTopicPrefix: 'vigil.stream.',
  checkpointIntervalMs: 10_000,
} as const;

export interface ServiceOptions extends ProgramPaths {
  readonly cwd: string;
  /** host:port[,host:port...] */
  readonly kafka: string;
  readonly redis: string;
  readonly inputTopic?: string;
  readonly group?: string;
  readonly checkpointIntervalMs?: number;
  /** Named streams to publish, each to `vigil.stream.NAME`. */
  readonly streams?: readonly string[];
  readonly firstSeenPrefix?: string;
  /** Restore from this savepoint file instead of the group's latest checkpoint (once, at the first assignment). */
  readonly fromSavepoint?: string;
  readonly allowNonRestoredState?: boolean;
  readonly log?: Logger;
  readonly clock?: Clock;
  /** Partitions of the output topics the service creates when they are missing. Default 1. */
  readonly outputPartitions?: number;
  readonly lateTopic?: string;
  readonly deadLetterTopic?: string;
}

/** Stops a sink's close from reaching the shared producer: tasks come and go with assignments, the sinks stay. */
function borrowed<T>(sink: Sink<T>): Sink<T> {
  return { write: (v, t) => sink.write(v, t), flush: () => sink.flush?.() ?? Promise.resolve() };
}

/** Serialises the run loop's steps and the consumer's assignment changes: one at a time, never interleaved. */
class Exclusive {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/**
 * `vigil serve`: the job over a Kafka topic, alerts to each rule's routes, late records and dead letters to
 * topics of their own, first_seen in Redis, checkpoints in Redis.
 *
 * Delivery is at-least-once with stable alert ids. Every `checkpointIntervalMs` the task, between batches,
 * flushes its sinks (acks=all), snapshots every operator with the source offsets, stores the snapshot, and only
 * then commits the offsets to the consumer group. After a crash the group's next owner restores the snapshot and
 * replays from its offsets: what was emitted after it is emitted again with the same ids, and consumers
 * de-duplicate by id.
 *
 * One task runs every partition of the input topic (one process active per group, the others standing by; see
 * singleActiveAssigner), because the shipped rules key by vehicle while cameras partition by checkpoint.
 */
export class VigilService implements ServiceControl {
  readonly metrics = new MetricRegistry();
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly inputTopic: string;
  private readonly group: string;
  private readonly job: string;
  private readonly lateTopic: string;
  private readonly deadLetterTopic: string;
  private readonly program: TrafficProgram;
  private client: KafkaClient | undefined;
  private redis: Redis | undefined;
  private source: KafkaSource | undefined;
  private checkpoints: CheckpointStore | undefined;
  private firstSeen: RedisFirstSeenStore | undefined;
  private task: Task | undefined;
  private readonly sinks = new Map<string, KafkaSink<never>>();
  private readonly exclusive = new Exclusive();
  private savepointPending: string | undefined;
  private lastCheckpoint = 0;
  private lastCheckpointInfo: { id: number; at: number; bytes: number; durationMs: number } | null = null;
  private state: ServiceState = 'starting';
  private stopping = false;
  private loop: Promise<void> | undefined;
  private failure: Error | undefined;
  private readonly checkpointsTaken;
  private lastCheckpointBytes = 0;
  private lastCheckpointMs = 0;

  constructor(private readonly options: ServiceOptions) {
    this.log = options.log ?? silentLogger;
    this.clock = options.clock ?? systemClock;
    this.inputTopic = options.inputTopic ?? SERVICE_DEFAULTS.inputTopic;
    this.group = options.group ?? SERVICE_DEFAULTS.group;
    this.job = `${this.group}:${this.inputTopic}`;
    this.lateTopic = options.lateTopic ?? SERVICE_DEFAULTS.lateTopic;
    this.deadLetterTopic = options.deadLetterTopic ?? SERVICE_DEFAULTS.deadLetterTopic;
    this.program = loadTrafficProgram(options, options.cwd);
    checkStreamNames(this.program.loaded, options.streams ?? []);
    this.savepointPending = options.fromSavepoint;
    this.checkpointsTaken = this.metrics.counter('vigil_checkpoints_total', {});
    this.metrics.gauge('vigil_checkpoint_last_bytes', {}, () => this.lastCheckpointBytes);
    this.metrics.gauge('vigil_checkpoint_last_duration_ms', {}, () => this.lastCheckpointMs);
  }

  /** The output topics: every rule's Kafka routes, late records, dead letters and the published streams. */
  outputTopics(): string[] {
    const topics = new Set<string>([this.lateTopic, this.deadLetterTopic]);
    for (const { rule } of this.program.loaded.rules) for (const r of rule.routes) if (r.kind === 'kafka') topics.add(r.topic);
    for (const name of this.options.streams ?? []) topics.add(SERVICE_DEFAULTS.streamTopicPrefix + name);
    return [...topics].sort();
  }

  /** Connects to Kafka and Redis, creates missing topics, joins the group; processing starts at once. */
  async start(): Promise<void> {
    const { options } = this;
    try {
      this.redis = await connectRedis({ url: options.redis, connectionName: `vigil-serve-${this.group}` });
    } catch (error) {
      throw new UserError((error as Error).message);
    }
    this.firstSeen = new RedisFirstSeenStore(this.redis, { prefix: options.firstSeenPrefix });
    this.checkpoints = new RedisCheckpointStore(this.redis);
    this.client = new KafkaClient({ brokers: options.kafka, clientId: `vigil-${this.group}`, log: this.log });
    try {
      const existing = await this.client.endOffsets(this.inputTopic).catch(() => null);
      if (existing === null) throw new UserError(`input topic '${this.inputTopic}' does not exist at ${options.kafka}: create it with the partitions the camera feed needs`);
      await this.client.ensureTopics(this.outputTopics().map((topic) => ({ topic, partitions: options.outputPartitions ?? 1 })));
    } catch (error) {
      if (error instanceof UserError) throw error;
      throw new UserError((error as Error).message);
    }
    for (const rule of this.program.loaded.rules) {
      for (const r of rule.rule.routes) {
        if (r.kind === 'webhook') this.log.warn(`rule ${rule.rule.id}: webhook route ${r.url} is not served by this version; its alerts go to its Kafka routes only`);
      }
    }
    this.source = new KafkaSource({
      client: this.client,
      topic: this.inputTopic,
      groupId: this.group,
      valueEncoding: 'latin1',
      assigner: singleActiveAssigner(this.clock.now()),
      onAssignment: (change) => this.exclusive.run(() => this.assign(change)),
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 1000,
    });
    this.loop = this.runLoop();
    await this.source.start();
    this.log.info(`vigil serve: group ${this.group} on ${this.inputTopic}, ${this.source.partitions().length} partition(s) assigned`);
  }

  /** The partitions this process runs now (none while it stands by). */
  get partitions(): readonly number[] {
    return this.task === undefined ? [] : (this.source?.partitions() ?? []);
  }

  /** The watermark of the running task, or -Infinity while standing by. */
  get watermark(): number {
    return this.task?.watermark ?? Number.NEGATIVE_INFINITY;
  }

  /** Resolves when the service stops; rejects when it failed. */
  async done(): Promise<void> {
    await this.loop;
    if (this.failure !== undefined) throw this.failure;
  }

  private async assign(change: AssignmentChange): Promise<void> {
    if (this.task !== undefined) {
      // Whatever was processed since the last checkpoint is replayed by the partitions' next owner (or by the new
      // task below): dropping the task without a checkpoint is what keeps input and state consistent.
      await this.task.close();
      this.task = undefined;
    }
    if (change.partitions.length === 0) {
      this.state = 'standby';
      this.log.info('vigil serve: standing by (another member of the group runs the partitions)');
      return;
    }
    const task = this.buildTask();
    const cp = await this.restorePoint();
    if (cp !== null) {
      try {
        await task.restore(cp, { allowNonRestoredState: this.options.allowNonRestoredState === true });
      } catch (error) {
        await task.close();
        throw new UserError(`cannot restore ${this.savepointPending === undefined ? 'the checkpoint' : 'the savepoint'}: ${(error as Error).message} (pass --allow-non-restored-state to drop it)`);
      }
      this.log.info(`vigil serve: restored checkpoint ${cp.id} (watermark ${new Date(cp.watermarks.current).toISOString()}) at offsets ${JSON.stringify(cp.source.positions)}`);
    }
    this.savepointPending = undefined;
    this.task = task;
    this.state = 'running';
    this.lastCheckpoint = this.clock.now();
  }

  private async restorePoint(): Promise<Checkpoint | null> {
    if (this.savepointPending !== undefined) {
      try {
        return await readSavepoint(join(this.savepointPending, SAVEPOINT_TASK_FILE));
      } catch (error) {
        throw new UserError(`--from-savepoint ${this.savepointPending}: ${(error as Error).message}`);
      }
    }
    return (await this.checkpoints?.load(this.job)) ?? null;
  }

  private sink<T>(topic: string, make: () => KafkaSink<T>): Sink<T> {
    let sink = this.sinks.get(topic) as KafkaSink<T> | undefined;
    if (sink === undefined) {
      sink = make();
      this.sinks.set(topic, sink as unknown as KafkaSink<never>);
    }
    return borrowed(sink);
  }

  private alertSink(topic: string): Sink<Alert> {
    return this.sink<Alert>(topic, () => new KafkaSink<Alert>({
      client: this.client as KafkaClient,
      topic,
      key: (a) => a.key,
      headers: (a) => ({ rule: a.rule, severity: a.severity, id: a.id }),
    }));
  }

  private buildTask(): Task {
    const client = this.client as KafkaClient;
    const streams = new Map<string, Sink<Rec>>();
    for (const name of this.options.streams ?? []) {
      const topic = SERVICE_DEFAULTS.streamTopicPrefix + name;
      streams.set(name, this.sink<Rec>(topic, () => new KafkaSink<Rec>({ client, topic, key: () => null })));
    }
    const late = this.sink<LateRecord>(this.lateTopic, () =>
      new KafkaSink<LateRecord>({ client, topic: this.lateTopic, key: (l) => l.operator, headers: (l) => ({ operator: l.operator }) }),
    );
    const dead = this.sink<DeadLetter>(this.deadLetterTopic, () =>
      new KafkaSink<DeadLetter>({
        client,
        topic: this.deadLetterTopic,
        key: () => null,
        // The original bytes as the value (as Kafka Connect's dead-letter queues); where they came from and why
        // they were refused in headers.
        format: (d) => Buffer.from(String(d.raw), 'latin1'),
        headers: (d) => ({ reason: d.reason, topic: this.inputTopic, partition: String(d.partition), offset: String(d.offset) }),
      }),
    );
    return createTask({
      name: this.job,
      program: this.program.loaded.program,
      sources: this.program.loaded.sources,
      rules: this.program.loaded.rules,
      source: new KafkaLines(this.source as KafkaSource),
      check: trafficCheck(this.program.registry),
      lookups: lookupsFor(this.firstSeen as RedisFirstSeenStore),
      outputs: {
        route: (rule, route) => (route.kind === 'kafka' ? this.alertSink(route.topic) : null),
        streams,
        late,
        deadLetters: dead,
      },
      clock: this.clock,
      unbounded: true,
      metrics: this.metrics,
      log: this.log,
      deadLetterRaw: (line) => line,
    });
  }

  private async runLoop(): Promise<void> {
    const interval = this.options.checkpointIntervalMs ?? SERVICE_DEFAULTS.checkpointIntervalMs;
    try {
      while (!this.stopping) {
        const worked = await this.exclusive.run(async () => {
          const task = this.task;
          if (task === undefined) return false;
          const r = await task.step();
          // Sent (acks=all) before the next poll: a slow sink stops the polling, and the consumer pauses its
          // partitions once its buffer is full, instead of the heap growing.
          if (r === 'batch') await task.flush();
          if (this.clock.now() - this.lastCheckpoint >= interval) await this.checkpoint();
          return r === 'batch';
        });
        if (!worked) await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error));
      this.log.warn(`vigil serve: stopped on an error: ${this.failure.message}`);
    }
  }

  /** Flush, snapshot, store, then commit the offsets the snapshot holds. Call inside `exclusive`. */
  private async checkpoint(): Promise<Checkpoint | null> {
    const task = this.task;
    const store = this.checkpoints;
    if (task === undefined || store === undefined) return null;
    const started = Date.now();
    await task.flush();
    const cp = task.snapshot();
    const { bytes } = await store.save(this.job, cp);
    await this.source?.commit(cp.source.positions);
    this.lastCheckpoint = this.clock.now();
    this.checkpointsTaken.value++;
    this.lastCheckpointBytes = bytes;
    this.lastCheckpointMs = Date.now() - started;
    this.lastCheckpointInfo = { id: cp.id, at: cp.takenAt, bytes, durationMs: this.lastCheckpointMs };
    return cp;
  }

  /** A savepoint: a checkpoint of every task, written into `dir` and kept until deleted. Refused while standing by. */
  async savepoint(dir: string): Promise<SavepointInfo> {
    return this.exclusive.run(async () => {
      const cp = await this.checkpoint();
      if (cp === null) throw new UserError("this process stands by: take the savepoint on the group's active member");
      await writeSavepoint(join(dir, `${SAVEPOINT_TASK_FILE}`), cp);
      return { path: dir, takenAt: cp.takenAt, tasks: [this.job] };
    });
  }

  status(): ServiceStatus {
    const task = this.task;
    const tasks = task === undefined ? [] : [{
      id: this.job,
      topic: this.inputTopic,
      partitions: this.source?.partitions() ?? [],
      watermark: Number.isFinite(task.watermark) ? task.watermark : null,
      lastCheckpoint: this.lastCheckpointInfo,
    }];
    return {
      state: this.failure !== undefined ? 'failed' : this.stopping ? (this.loop === undefined ? 'stopped' : 'stopping') : this.state,
      group: this.group,
      inputTopic: this.inputTopic,
      tasks,
      rules: this.program.loaded.rules.map((r) => r.rule.id),
      ...(this.failure === undefined ? {} : { error: this.failure.message }),
    };
  }

  ready(): boolean {
    return this.failure === undefined && !this.stopping && this.state === 'running' && this.task !== undefined;
  }

  /** Graceful stop (SIGTERM): stop consuming, drain, checkpoint, commit, close. */
  async stop(): Promise<void> {
    if (this.stopping) return this.done().catch(() => undefined);
    this.stopping = true;
    await this.loop;
    if (this.failure === undefined) {
      await this.exclusive.run(async () => {
        await this.checkpoint();
      });
    }
    await this.task?.close();
    this.task = undefined;
    await this.source?.close();
    for (const sink of this.sinks.values()) await sink.close();
    this.sinks.clear();
    await this.client?.close();
    if (this.redis !== undefined) await this.redis.quit().catch(() => undefined);
  }
}
