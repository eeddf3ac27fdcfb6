import { existsSync, readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { EventCodec } from '../../cep/index.js';
import {
  ArraySource,
  type Checkpoint,
  type Clock,
  type Counter,
  type DeadLetter,
  type LateRecord,
  type Logger,
  MetricRegistry,
  OperatorStateError,
  planTopology,
  readSavepoint,
  type Sink,
  type SourceSpec,
  type Stage,
  silentLogger,
  stageGraph,
  systemClock,
  Task,
  type Topology,
  writeSavepoint,
} from '../../core/index.js';
import type { Alert, Rec, Rule, WebhookRoute } from '../../dsl/index.js';
import { identityCodec } from '../../dsl/index.js';
import { RedisFirstSeenStore } from '../../io/first-seen/redis-store.js';
import { KafkaClient } from '../../io/kafka/client.js';
import { KafkaSink } from '../../io/kafka/kafka-sink.js';
import { type AssignmentChange, KafkaSource } from '../../io/kafka/kafka-source.js';
import { alertHistoryKeys, DEFAULT_ALERT_HISTORY } from '../../io/redis/alert-history.js';
import { AlertHistorySink } from '../../io/redis/alert-history-sink.js';
import { connectRedis } from '../../io/redis/client.js';
import { DayWriter, DEFAULT_DAY_KEEP_MS, DEFAULT_TRAJECTORY_LENGTH, dayKeys } from '../../io/redis/day-store.js';
import { WebhookDelivery } from '../../io/webhook/delivery.js';
import { dayOf, dayRange } from '../days.js';
import { UserError } from '../errors.js';
import { compileJob, sourceNamesOf, sourceParser } from '../job.js';
import { type DashboardInfo, dashboardCheckpoints } from '../live/dashboard-info.js';
import { keptStreams } from '../live/dashboard-streams.js';
import { DEFAULT_STREAM_BUFFER, StreamRings } from '../live/stream-rings.js';
import { SIGHTINGS_STREAM, trajectoryPoint } from '../live/trajectory.js';
import { lookupsFor } from '../lookups.js';
import { defaultPaths, type LoadedProgram } from '../program.js';
import { leafStreams } from '../registry-report.js';
import { declaredChecks } from '../sources.js';
import { checkStreamNames, loadTrafficProgram, type ProgramPaths, registryGapsText, type TrafficProgram } from '../traffic.js';
import { type TrafficFeed, trafficFeed } from '../traffic-feed.js';
import { type CheckpointStore, RedisCheckpointStore } from './checkpoint-store.js';
import {
  type CheckpointFailure,
  noWebhooks,
  type SavepointInfo,
  type ServiceControl,
  type ServiceState,
  type ServiceStatus,
  type TaskStatus,
  type WebhookControl,
} from './control.js';
import { deadLetterReasonLabel } from './dead-letter-reason.js';
import {
  EXCHANGE_MESSAGES_PER_SEND,
  type ExchangeItem,
  type ExchangeMessage,
  ExchangeReader,
  ExchangeWriter,
  PartitionFeed,
  producerId,
  RecordJson,
} from './exchange.js';
import {
  type ReloadOptions,
  ReloadRefused,
  type ReloadResult,
  RuleBook,
  type RuleControl,
  type RuleReload,
  type RuleSetOrigin,
  RuleSetRejected,
} from './rule-control.js';
import { type CarriedRuleSetText, ruleFingerprints, ruleSetVersion } from './rule-set.js';
import { RuleSync } from './rule-sync.js';

/** How often a process checks that it runs its group's stored rule set (announcements do it at once). */
const RULE_SYNC_CHECK_MS = 10_000;
/**
 * A checkpoint is a full snapshot of a task, whose cost grows with its state (hours of allowed lateness keep hours of
 * sightings). The process's tasks share one thread, so a task's next checkpoint waits at least this many times what
 * the last checkpoints of all the process's tasks took together: checkpoints then take at most about a fifth of the
 * processing time however large the state and however many tasks hold it (Flink's minimum pause between
 * checkpoints, scaled to the cost). A pause scaled to the task's own cost alone let twelve large tasks spend more
 * than the whole time checkpointing: measured at 2,000 records/s, the consumer lag grew by 200 records a second.
 */
const CHECKPOINT_PAUSE_FACTOR = 4;
/** Output is sent at most this long after it was written (alerts, repartitioned records, watermarks). */
const FLUSH_LINGER_MS = 20;
/** A process that reported within this is alive: a process starting beside it runs the group's stored set. */
const RULE_SYNC_LIVE_MS = 3 * RULE_SYNC_CHECK_MS;

import { type Environment, type WebhookRoutes, webhookRoutes } from './webhook-routes.js';

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
  /** Named streams to publish, each to `vigil.stream.NAME` (and to keep for /api/streams). */
  readonly streams?: readonly string[];
  /** Records kept per stream for /api/streams and the dashboard (every --stream and the dashboard's the program has). */
  readonly streamBuffer?: number;
  readonly firstSeenPrefix?: string;
  /** Restore every task from this savepoint folder instead of the group's latest checkpoints. */
  readonly fromSavepoint?: string;
  readonly allowNonRestoredState?: boolean;
  readonly log?: Logger;
  readonly clock?: Clock;
  /** Each pattern operator's state budget (partial matches + buffer entries); the CEP default if unset. */
  readonly maxCepStateEntries?: number;
  /** Each pattern operator's budget of events kept for allowed lateness; the CEP default if unset. */
  readonly maxCepKeptEvents?: number;
  /** Partitions of the output topics the service creates when they are missing. Default 1. */
  readonly outputPartitions?: number;
  /** Partitions of the repartition topics. Default: the input topic's. */
  readonly repartitionPartitions?: number;
  readonly lateTopic?: string;
  readonly deadLetterTopic?: string;
  /** Alerts the history stream in Redis keeps (`vigil:alerts:{group}`); 0 keeps none. Default 10 000. */
  readonly alertHistory?: number;
  /** Where webhook routes' `env:NAME` secrets are read. Default process.env. */
  readonly env?: Environment;
  /**
   * A stream of per-checkpoint window results (`checkpoint`, `flow`) whose figures are recorded in Redis per day of
   * the city's calendar: the live flow the next-morning re-run (`vigil rerun`) compares with. Default: none.
   */
  readonly dayFlow?: string;
  /** Sightings kept per vehicle and day in Redis for /api/vehicles/PLATE (its trajectory); 0 keeps none. Default 1000. */
  readonly trajectoryLength?: number;
  /** How long a day's flow and trajectories last in Redis after the day ends. Default 3 days. */
  readonly dayKeepMs?: number;
}

/** The first wait before tasks are restored after a failure; it doubles with each failed attempt, up to the max. */
const RECOVERY_BASE_MS = 500;
const RECOVERY_MAX_MS = 15_000;

/** How long a checkpoint waits for the alert history to take its alerts: Redis slow there must not stop the job. */
const HISTORY_DRAIN_MS = 2000;

/** Stops a sink's close from reaching the shared producer: tasks come and go with assignments, the sinks stay. */
function borrowed<T>(sink: Sink<T>): Sink<T> {
  return { write: (v, t) => sink.write(v, t), flush: () => Promise.resolve() };
}

/** Serialises the run loop's steps and the consumers' assignment changes: one at a time, never interleaved. */
class Exclusive {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/** A topic name part from an exchange uid (Kafka allows letters, digits, '.', '_' and '-'). */
function topicPart(uid: string): string {
  return uid.replace(/[^A-Za-z0-9._-]+/g, '_');
}

/** A rule set compiled into the job the tasks run. */
interface CompiledJob {
  readonly loaded: LoadedProgram;
  readonly topology: Topology;
  readonly sourceSpec: SourceSpec<unknown, unknown>;
  /** The source the input topic feeds (the one the job reads). */
  readonly sourceName: string;
}

/** One stage of the topology in this process: its topic's consumer and the tasks of the partitions it was given. */
interface StageRun {
  /** Replaced by a reload (the same stage of the new job). */
  stage: Stage;
  readonly topic: string;
  readonly partitions: number;
  readonly source: KafkaSource;
  readonly tasks: Map<number, TaskRun>;
  joined: boolean;
}

interface TaskRun {
  readonly id: string;
  readonly stage: StageRun;
  readonly partition: number;
  readonly task: Task;
  /** The partition's batches, pushed by the service. */
  readonly feed: PartitionFeed<string>;
  readonly writers: ExchangeWriter[];
  lastInput: number;
  /** Input since the last checkpoint: a task without any has nothing new to store. */
  dirty: boolean;
  lastCheckpoint: TaskStatus['lastCheckpoint'];
  /** Processing time of its last checkpoint (or of its start): a task's checkpoints are due one interval apart. */
  checkpointedAt: number;
  /** Milliseconds its last snapshot and store took: the pause before its next one grows with it. */
  checkpointCostMs: number;
}

/** The offsets a stage's savepoint-started tasks rewind to, asked of the broker once per assignment, when first needed. */
class RewindOffsets {
  private offsets: Promise<Map<number, number>> | undefined;
  constructor(private readonly ask: () => Promise<Map<number, number>>) {}
  async start(partition: number): Promise<number | undefined> {
    this.offsets ??= this.ask();
    return (await this.offsets).get(partition);
  }
}

/**
 * `vigil serve`: the job over a Kafka topic, spread over every process of its consumer group.
 *
 * The compiled job is cut at its changes of key into stages (planTopology). Each stage after the first reads a
 * repartition topic (`<group>-<exchange>-repartition`) that the stages before it write, keyed by its key, with
 * watermarks as control records to every partition; it has a consumer in a group of its own and one task per
 * partition it is given. A task owns its partition's keys and their state, so processes added to the group split
 * every keyed stage's partitions, and one that leaves hands its partitions, with their checkpoints, to the others.
 *
 * The source stage (parse, validate, route) runs one task per input partition too: it holds no state but its
 * watermark, so a replay from a checkpoint sends the same records in the same order. Lookups such as first_seen
 * run behind an exchange by their arguments (see EnrichPlan): the task that owns a vehicle puts its records in
 * event-time order as the watermark passes them (ties by record id) and asks the store then, so what a lookup
 * answers does not depend on how the partitions' records interleave.
 *
 * Delivery is at-least-once with stable alert ids. Every `checkpointIntervalMs`, between batches, every sink is
 * flushed (acks=all), each task's snapshot with its offsets is stored in Redis, and only then are its offsets
 * committed. After a crash a partition's next owner restores its snapshot and replays from its offsets: alerts
 * since are sent again with the same ids, and records sent again into a repartition topic carry the sequence
 * numbers they had, so the reader drops them.
 */
export class VigilService implements ServiceControl {
  readonly metrics = new MetricRegistry();
  /** The recent records of the kept streams (/api/streams, the dashboard). */
  readonly streams: StreamRings;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly inputTopic: string;
  private readonly group: string;
  private readonly lateTopic: string;
  private readonly deadLetterTopic: string;
  private readonly program: TrafficProgram;
  private readonly codec = identityCodec as EventCodec<unknown>;
  /** One thread runs every task: one memo of the last record's JSON serves every exchange writer. */
  private readonly recordJson = new RecordJson(this.codec);
  private client: KafkaClient | undefined;
  /** Tasks (by key) this process stored a checkpoint of: from then on they restore from checkpoints, not --from-savepoint. */
  private readonly checkpointedHere = new Set<string>();
  private redis: Redis | undefined;
  private checkpoints: CheckpointStore | undefined;
  private firstSeen: RedisFirstSeenStore | undefined;
  private historyRedis: Redis | undefined;
  private history: AlertHistorySink | undefined;
  private daysRedis: Redis | undefined;
  /** The day flow and the trajectories in Redis; undefined when neither is kept. */
  private days: DayWriter | undefined;
  /** The job every task runs a stage of; a reload replaces it. */
  private job: CompiledJob | undefined;
  private readonly book: RuleBook;
  readonly rules: RuleControl;
  private reloading = false;
  /**
   * A hot reload ran here. Checkpoints of partitions this process takes over later may have been written by the
   * previous set (by a process not yet following): they restore as the reload did, dropping and resetting what no
   * longer fits, instead of failing the service.
   */
  private reloaded = false;
  /** The group's rule set in Redis and its announcements (see RuleSync). */
  private sync: RuleSync | undefined;
  private following: Promise<void> = Promise.resolve();
  private syncTimer: NodeJS.Timeout | undefined;
  private readonly reloads: Record<'done' | 'rejected' | 'refused', { value: number }>;
  private lastReloadMs = 0;
  private inputPartitions = 0;
  private repartitions = 0;
  private readonly stages: StageRun[] = [];
  /** Every sink of this process by topic (webhook routes by `webhook:<route>`): flushed together before each checkpoint. */
  private readonly sinks = new Map<string, Sink<never>>();
  private readonly exclusive = new Exclusive();
  private lastTick = 0;
  private state: ServiceState = 'starting';
  private stopping = false;
  private loop: Promise<void> | undefined;
  private failure: Error | undefined;
  /** The failure this process's tasks are being restored after (see runLoop), until they are. */
  private recovering: Error | undefined;
  private readonly recoveries: Counter;
  private readonly checkpointsTaken;
  private lastCheckpointBytes = 0;
  private lastFlush = 0;
  private lastCheckpointMs = 0;
  private readonly checkpointFailures;
  /** Set while checkpoints cannot be stored: since when, the last error, how many saves failed. */
  private checkpointFailure: CheckpointFailure | undefined;
  private readonly webhookRoutes: WebhookRoutes;
  private webhookDelivery: WebhookDelivery | undefined;

  constructor(private readonly options: ServiceOptions) {
    this.log = options.log ?? silentLogger;
    this.clock = options.clock ?? systemClock;
    this.inputTopic = options.inputTopic ?? SERVICE_DEFAULTS.inputTopic;
    this.group = options.group ?? SERVICE_DEFAULTS.group;
    this.lateTopic = options.lateTopic ?? SERVICE_DEFAULTS.lateTopic;
    this.deadLetterTopic = options.deadLetterTopic ?? SERVICE_DEFAULTS.deadLetterTopic;
    this.program = loadTrafficProgram(options, options.cwd);
    checkStreamNames(this.program.loaded, options.streams ?? []);
    // Before anything connects: a webhook secret missing from the environment is a startup error.
    this.webhookRoutes = webhookRoutes(
      this.program.loaded.rules.map((r) => r.rule),
      options.env ?? process.env,
    );
    // The streams nothing else reads are what users read by name. Each would cost the service a stage of its own (a
    // repartition topic and a task per partition), so it runs one only when asked (--stream NAME); the dashboard
    // also shows those of its streams that the rules compute anyway.
    const read = leafStreams(this.program.loaded.program);
    const leaves = new Set(read);
    const computed = new Set([...this.program.loaded.program.streams.keys()].filter((name) => !leaves.has(name)));
    if (options.dayFlow !== undefined) checkStreamNames(this.program.loaded, [options.dayFlow], '--day-flow');
    // The day-flow stream runs (and is kept) whatever else reads it; it is published to Kafka only if --stream asks.
    const asked = [...(options.streams ?? []), ...(options.dayFlow === undefined ? [] : [options.dayFlow])];
    this.streams = new StreamRings(keptStreams(computed, asked), options.streamBuffer ?? DEFAULT_STREAM_BUFFER);
    const gaps = registryGapsText(this.program.loaded, this.program.registry, options.checkpoints ?? defaultPaths.checkpoints, options.cwd, read);
    for (const line of gaps.split('\n')) if (line !== '') this.log.warn(line);
    this.book = new RuleBook(this.program.loaded, {
      registry: this.program.registry,
      paths: { patterns: options.patterns ?? defaultPaths.patterns, rules: options.rules ?? defaultPaths.rules },
      cwd: options.cwd,
      ...(options.timeZone === undefined ? {} : { timeZone: options.timeZone }),
    });
    this.rules = {
      view: () => this.book.view(),
      rule: (id) => this.book.rule(id),
      validate: (text) => this.book.validate(text),
      reload: (text, o) => this.reload(text, o, text === null ? 'disk' : 'api'),
      group: async () => {
        const sync = this.sync;
        if (sync === undefined) return null;
        return { stored: await sync.storedVersion(), members: await sync.members() };
      },
    };
    this.reloads = {
      done: this.metrics.counter('vigil_rule_reloads_total', { outcome: 'done' }),
      rejected: this.metrics.counter('vigil_rule_reloads_total', { outcome: 'rejected' }),
      refused: this.metrics.counter('vigil_rule_reloads_total', { outcome: 'refused' }),
    };
    this.metrics.gauge('vigil_rule_reload_last_duration_ms', {}, () => this.lastReloadMs);
    this.checkpointsTaken = this.metrics.counter('vigil_task_checkpoints_total', {});
    this.recoveries = this.metrics.counter('vigil_task_recoveries_total', {});
    this.metrics.gauge('vigil_checkpoint_last_bytes', {}, () => this.lastCheckpointBytes);
    this.metrics.gauge('vigil_checkpoint_last_duration_ms', {}, () => this.lastCheckpointMs);
    this.checkpointFailures = this.metrics.counter('vigil_checkpoint_failures_total', {});
    this.metrics.gauge('vigil_checkpoint_failing', {}, () => (this.checkpointFailure === undefined ? 0 : 1));
  }

  /** What the dashboard draws besides the streams; times shown in `zone` (default the registry's, else the program's). */
  dashboardInfo(zone?: string): DashboardInfo {
    const { registry, loaded } = this.program;
    return {
      timeZone: zone ?? registry.timeZone ?? this.options.timeZone ?? 'UTC',
      checkpoints: dashboardCheckpoints(registry),
      rules: loaded.rules.map((r) => ({ id: r.rule.id, severity: r.rule.severity, description: r.rule.description ?? '' })),
      streams: this.streams.names(),
      replay: null,
      vehicleLookup: false,
      days: false,
    };
  }

  /** The output topics: every rule's Kafka routes, late records, dead letters and the published streams. */
  outputTopics(): string[] {
    const topics = new Set<string>([this.lateTopic, this.deadLetterTopic]);
    for (const { rule } of this.book.loaded.rules) for (const r of rule.routes) if (r.kind === 'kafka') topics.add(r.topic);
    for (const name of this.options.streams ?? []) topics.add(SERVICE_DEFAULTS.streamTopicPrefix + name);
    return [...topics].sort();
  }

  private repartitionTopic(exchange: string): string {
    return `${this.group}-${topicPart(exchange)}-repartition`;
  }

  /** Connects to Kafka and Redis, creates missing topics, joins every stage's group; processing starts at once. */
  async start(): Promise<void> {
    const { options } = this;
    try {
      this.redis = await connectRedis({ url: options.redis, connectionName: `vigil-serve-${this.group}` });
    } catch (error) {
      throw new UserError((error as Error).message);
    }
    this.firstSeen = new RedisFirstSeenStore(this.redis, { prefix: options.firstSeenPrefix });
    const historyLength = options.alertHistory ?? DEFAULT_ALERT_HISTORY;
    if (historyLength > 0) {
      // A connection of its own: a batch of alerts must not queue in front of the first_seen lookups.
      this.historyRedis = await connectRedis({ url: options.redis, connectionName: `vigil-history-${this.group}` });
      this.history = new AlertHistorySink({
        redis: this.historyRedis,
        keys: alertHistoryKeys(this.group),
        maxLen: historyLength,
        metrics: this.metrics,
        log: this.log,
      });
    }
    // Always: the day index of alerts is what the next-morning re-run compares with, whatever the history keeps.
    this.daysRedis = await connectRedis({ url: options.redis, connectionName: `vigil-days-${this.group}` });
    this.days = new DayWriter({
      redis: this.daysRedis,
      keys: dayKeys(this.group),
      maxPerVehicle: options.trajectoryLength ?? DEFAULT_TRAJECTORY_LENGTH,
      metrics: this.metrics,
      log: this.log,
    });
    this.sync = new RuleSync(this.redis, `${this.group}:${this.inputTopic}`, `${hostname()}#${process.pid}`, this.log);
    await this.adoptGroupRules(this.sync);
    await this.sync.report(this.book.currentVersion, this.clock.now());
    await this.sync.subscribe((version) => this.announced(version));
    // Announcements missed (a dropped connection, a reload refused while busy) are caught up by a periodic check.
    this.syncTimer = setInterval(() => void this.checkGroupRules(), RULE_SYNC_CHECK_MS);
    this.syncTimer.unref();
    this.checkpoints = new RedisCheckpointStore(this.redis);
    if (this.webhookRoutes.specs.length > 0) {
      // A queue per route on this Redis, and a worker per route in every process of the group: bullmq gives each
      // job to one of them. The alert path only enqueues.
      this.webhookDelivery = new WebhookDelivery({
        redis: this.redis,
        routes: this.webhookRoutes.specs,
        prefix: `vigil-webhooks.${topicPart(this.group)}`,
        metrics: this.metrics,
        log: this.log,
      });
      await this.webhookDelivery.start();
    }
    const client = new KafkaClient({ brokers: options.kafka, clientId: `vigil-${this.group}`, log: this.log });
    this.client = client;
    const input = await client.endOffsets(this.inputTopic).catch(() => null);
    if (input === null || input.size === 0) {
      throw new UserError(`input topic '${this.inputTopic}' does not exist at ${options.kafka}: create it with the partitions the camera feed needs`);
    }
    this.inputPartitions = input.size;
    this.repartitions = options.repartitionPartitions ?? input.size;
    this.job = this.compile(this.book.loaded);
    const topology = this.job.topology;
    try {
      await client.ensureTopics([
        ...this.outputTopics().map((topic) => ({ topic, partitions: options.outputPartitions ?? 1 })),
        ...topology.stages.slice(1).map((s) => ({ topic: this.repartitionTopic(s.name), partitions: this.repartitions })),
      ]);
    } catch (error) {
      throw new UserError((error as Error).message);
    }
    await this.refuseUnknownState();
    for (const stage of topology.stages) {
      const first = stage.name === 'source';
      const topic = first ? this.inputTopic : this.repartitionTopic(stage.name);
      const run: StageRun = {
        stage,
        topic,
        partitions: first ? this.inputPartitions : this.repartitions,
        tasks: new Map(),
        joined: false,
        source: new KafkaSource({
          client,
          topic,
          groupId: first ? this.group : `${this.group}-${topicPart(stage.name)}`,
          // Input lines keep their bytes (a dead letter carries them as they came).
          valueEncoding: first ? 'latin1' : 'utf8',
          onAssignment: (change) => this.exclusive.run(() => this.assign(run, change)),
          sessionTimeoutMs: 10_000,
          heartbeatIntervalMs: 1000,
          // The broker answers a fetch once 16 KiB are there or after 200 ms: on a busy topic one request carries
          // what a fetch per flush carried (a consumer per stage made thousands of small requests a second, a sixth
          // of the process's CPU in socket writes); an idle consumer asks five times a second. The wait adds at most
          // 200 ms per stage to an alert, and only when the topic is quiet.
          maxWaitTimeMs: 200,
          minBytes: 16 * 1024,
        }),
      };
      this.stages.push(run);
    }
    this.loop = this.runLoop();
    await Promise.all(this.stages.map((s) => s.source.start()));
    this.state = 'running';
    const tasks = this.stages.reduce((n, s) => n + s.tasks.size, 0);
    this.log.info(
      `vigil serve: group ${this.group} on ${this.inputTopic}: ${this.stages.length} stage(s), ${tasks} task(s) here, ` +
        `${this.stages[0]?.tasks.size ?? 0} input partition(s) assigned`,
    );
  }

  /** Compiles the job of a rule set; every task runs a stage of it. */
  private compile(loaded: LoadedProgram): CompiledJob {
    const client = this.client as KafkaClient;
    // Every kept stream to its ring (what this process computes of it); the --stream ones also to their topic.
    const streams = new Map<string, Sink<Rec>>(this.streams.names().map((name) => [name, this.streams.sink(name)]));
    for (const name of this.options.streams ?? []) {
      const topic = SERVICE_DEFAULTS.streamTopicPrefix + name;
      const kafka = this.sink<Rec>(topic, () => new KafkaSink<Rec>({ client, topic, key: () => null }));
      const ring = this.streams.sink(name);
      streams.set(name, {
        write: (record, t) => {
          ring.write(record, t);
          kafka.write(record, t);
        },
        flush: async () => kafka.flush?.(),
        close: async () => kafka.close?.(),
      });
    }
    this.recordDays(streams, loaded);
    const late = this.sink<LateRecord>(
      this.lateTopic,
      () => new KafkaSink<LateRecord>({ client, topic: this.lateTopic, key: (l) => l.operator, headers: (l) => ({ operator: l.operator }) }),
    );
    const deadOut = this.sink<DeadLetter>(
      this.deadLetterTopic,
      () =>
        new KafkaSink<DeadLetter>({
          client,
          topic: this.deadLetterTopic,
          key: () => null,
          // The original bytes as the value (as Kafka Connect's dead-letter queues); where they came from and why
          // they were refused in headers.
          format: (d) => Buffer.from(String(d.raw), 'latin1'),
          headers: (d) => {
            const h: Record<string, string> = { reason: d.reason, topic: this.inputTopic, partition: String(d.partition), offset: String(d.offset) };
            // A value cut to its first 64 KiB says so, with the original's length and hash.
            if (d.original !== undefined) Object.assign(h, { raw_truncated: 'true', raw_bytes: String(d.original.bytes), raw_sha256: d.original.sha256 });
            return h;
          },
        }),
    );
    const reasons = new Map<string, Counter>();
    const dead: Sink<DeadLetter> = {
      write: (letter, t) => {
        const label = deadLetterReasonLabel(letter.reason);
        let c = reasons.get(label);
        if (c === undefined) reasons.set(label, (c = this.metrics.counter('vigil_dead_letters_by_reason_total', { reason: label })));
        c.value++;
        deadOut.write(letter, t);
      },
    };
    const graph = compileJob(
      {
        name: `${this.group}:${this.inputTopic}`,
        program: loaded.program,
        sources: loaded.sources,
        rules: loaded.rules,
        source: new ArraySource<string>(this.inputTopic, [[]]),
        checks: declaredChecks(this.program.registry),
        lookups: lookupsFor(this.firstSeen as RedisFirstSeenStore),
        outputs: {
          alerts: this.everyAlert(),
          route: (rule, route) => (route.kind === 'kafka' ? this.alertSink(route.topic) : this.webhookSink(rule, route)),
          streams,
          late,
          deadLetters: dead,
        },
        clock: this.clock,
        log: this.log,
        ...(this.options.maxCepStateEntries === undefined ? {} : { maxCepStateEntries: this.options.maxCepStateEntries }),
        ...(this.options.maxCepKeptEvents === undefined ? {} : { maxCepKeptEvents: this.options.maxCepKeptEvents }),
      },
      () => Number.NEGATIVE_INFINITY,
    );
    const sourceName = sourceNamesOf(graph)[0] ?? '';
    let topology: Topology;
    try {
      topology = planTopology(graph);
    } catch (error) {
      throw new UserError(`the job cannot be spread over processes: ${(error as Error).message}`);
    }
    const source = graph.nodes.find((n) => n.kind === 'source');
    if (source?.kind !== 'source') throw new Error('internal: compiled job without a source');
    if (source.spec.stage !== undefined) {
      // Lookups at the source would see records in the order partitions interleave, which differs between runs.
      throw new UserError(
        'the job cannot be spread over processes: a stream looks things up by different keys (give each `enrich` stream lookups that take the same arguments, one stream per key)',
      );
    }
    return { loaded, topology, sourceSpec: source.spec, sourceName };
  }

  /** The city's zone, in which a day runs from midnight to midnight (the rules' local_date's). */
  get zone(): string {
    return this.options.timeZone ?? this.program.registry.timeZone ?? 'UTC';
  }

  /**
   * Wraps the day-flow stream's sink and the `trajectory_steps` stream's (taken whether kept or not) so their records
   * also go to the day store: each window's flow under the day its window starts in, each sighting (with the gap
   * the stream computed) under its own day.
   */
  private recordDays(streams: Map<string, Sink<Rec>>, loaded: LoadedProgram): void {
    const days = this.days;
    if (days === undefined) return;
    const zone = this.zone;
    const expiry = this.dayExpiry();
    const flowName = this.options.dayFlow;
    const flowSink = flowName === undefined ? undefined : streams.get(flowName);
    if (flowName !== undefined && flowSink !== undefined) {
      streams.set(flowName, {
        write: (record, t) => {
          flowSink.write(record, t);
          const { checkpoint, flow, window_start: start } = record;
          if (typeof checkpoint !== 'string' || typeof flow !== 'number' || typeof start !== 'number') return;
          const day = dayOf(start, zone);
          days.flow(day, checkpoint, start, flow, expiry(day));
        },
        ...(flowSink.flush === undefined ? {} : { flush: () => flowSink.flush?.() ?? Promise.resolve() }),
        ...(flowSink.close === undefined ? {} : { close: () => flowSink.close?.() ?? Promise.resolve() }),
      });
    }
    if ((this.options.trajectoryLength ?? DEFAULT_TRAJECTORY_LENGTH) > 0 && loaded.program.streams.has(SIGHTINGS_STREAM)) {
      const ring = streams.get(SIGHTINGS_STREAM);
      streams.set(SIGHTINGS_STREAM, {
        write: (record, t) => {
          ring?.write(record, t);
          const point = trajectoryPoint(record);
          if (point === null) return;
          const day = dayOf(point.ts, zone);
          days.sighting(day, point.plate, point, expiry(day));
        },
      });
    }
  }

  /**
   * When a day's keys expire: `dayKeepMs` (3 days by default) past the day's end, or past now when the day ended long ago (a replay of
   * old traffic): a key whose expiry is in the past would vanish as it is written.
   */
  private dayExpiry(): (day: string) => number {
    const zone = this.zone;
    const keep = this.options.dayKeepMs ?? DEFAULT_DAY_KEEP_MS;
    let memo = { day: '', at: Number.NEGATIVE_INFINITY, expireAt: 0 };
    return (day) => {
      const now = this.clock.now();
      // Worked out once a minute per day, not per record.
      if (day !== memo.day || now - memo.at > 60_000) memo = { day, at: now, expireAt: Math.max(dayRange(day, zone).to, now) + keep };
      return memo.expireAt;
    };
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
    return this.sink<Alert>(
      topic,
      () =>
        new KafkaSink<Alert>({
          client: this.client as KafkaClient,
          topic,
          key: (a) => a.key,
          headers: (a) => ({ rule: a.rule, severity: a.severity, id: a.id }),
        }),
    );
  }

  /** Every alert of every rule: counted by rule and severity, appended to the history and to its day's index. */
  private everyAlert(): Sink<Alert> {
    const counters = new Map<string, Counter>();
    const zone = this.zone;
    const expiry = this.dayExpiry();
    return {
      write: (alert) => {
        const id = `${alert.rule}\u0000${alert.severity}`;
        let c = counters.get(id);
        if (c === undefined) counters.set(id, (c = this.metrics.counter('vigil_alerts_total', { rule: alert.rule, severity: alert.severity })));
        c.value++;
        this.history?.write(alert);
        const days = this.days;
        if (days === undefined) return;
        // dayOf is cheap: the zone's offsets are cached per quarter hour (as the flow and sighting writers rely on).
        const day = dayOf(alert.event_time, zone);
        days.alert(day, alert, expiry(day));
      },
    };
  }

  /** A webhook route's sink: it enqueues when the service flushes its sinks (after each batch, so before every checkpoint). */
  private webhookSink(rule: Rule, route: WebhookRoute): Sink<Alert> | null {
    const id = this.webhookRoutes.idOf(rule, route);
    const delivery = this.webhookDelivery;
    if (id === undefined || delivery === undefined) {
      // A route a hot reload added (or moved): its secret is read at start, so it waits for a restart.
      this.log.warn(`rule ${rule.id}: webhook route ${route.url} is not one the service started with; its alerts go to its other routes until a restart`);
      return null;
    }
    const key = `webhook:${id}`;
    let sink = this.sinks.get(key);
    if (sink === undefined) {
      sink = delivery.sink<Alert>(id) as Sink<never>;
      this.sinks.set(key, sink);
    }
    return borrowed(sink as Sink<Alert>);
  }

  /** The webhook routes, for the API (none until the service started them). */
  get webhooks(): WebhookControl {
    const delivery = this.webhookDelivery;
    if (delivery === undefined) return noWebhooks;
    return {
      routes: () => delivery.status(),
      deadLetters: (route, offset, limit) => delivery.deadLetters(route, offset, limit),
      retry: (route, id) => delivery.retry(route, id),
      retryAll: (route) => delivery.retryAll(route),
    };
  }

  private exchangeSink(exchange: string): KafkaSink<ExchangeMessage> {
    const topic = this.repartitionTopic(exchange);
    let sink = this.sinks.get(topic) as KafkaSink<ExchangeMessage> | undefined;
    if (sink === undefined) {
      sink = new KafkaSink<ExchangeMessage>({
        client: this.client as KafkaClient,
        topic,
        key: (m) => m.key,
        format: (m) => m.body,
        partition: (m) => m.partition,
        maxBatchMessages: EXCHANGE_MESSAGES_PER_SEND,
      });
      this.sinks.set(topic, sink as unknown as KafkaSink<never>);
    }
    return sink;
  }

  /** Every writer of every task that feeds `exchange`: the producers its readers wait for. */
  private expectedProducers(exchange: string): string[] {
    const out: string[] = [];
    for (const { stage, writers } of this.job?.topology.producers.get(exchange) ?? []) {
      const partitions = stage === 'source' ? this.inputPartitions : this.repartitions;
      for (let p = 0; p < partitions; p++) for (let w = 0; w < writers; w++) out.push(producerId(stage, p, w));
    }
    return out;
  }

  private taskKey(stage: string, partition: number): string {
    return `${this.group}:${this.inputTopic}:${stage}#${partition}`;
  }

  private savepointFile(stage: string, partition: number): string {
    return `${topicPart(stage)}#${partition}.json`;
  }

  /**
   * State kept for a stage this job no longer has (a removed rule's exchange) would be dropped silently: refuse,
   * as Flink does, unless --allow-non-restored-state.
   */
  private async refuseUnknownState(): Promise<void> {
    if (this.options.allowNonRestoredState === true) return;
    const known = new Set((this.job as CompiledJob).topology.stages.map((s) => topicPart(s.name)));
    const dir = this.options.fromSavepoint;
    if (dir !== undefined) {
      if (!existsSync(dir)) throw new UserError(`--from-savepoint ${dir}: no such savepoint folder`);
      const stray = readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .map((f) => f.slice(0, f.lastIndexOf('#')))
        .filter((s) => !known.has(s));
      if (stray.length > 0) {
        throw new UserError(
          `--from-savepoint ${dir}: state for stages this job does not have (${[...new Set(stray)].join(', ')}); pass --allow-non-restored-state to drop it`,
        );
      }
    }
  }

  private async assign(run: StageRun, change: AssignmentChange): Promise<void> {
    for (const p of change.revoked) {
      // Whatever was processed since the last checkpoint is replayed by the partition's next owner: dropping the
      // task without a checkpoint is what keeps input and state consistent.
      const t = run.tasks.get(p);
      run.tasks.delete(p);
      if (t !== undefined) this.metrics.removeGauges({ task: t.id });
      await t?.task.close();
    }
    const rewind = new RewindOffsets(() => this.offsetsToRewind(run));
    for (const p of change.assigned) {
      if (run.tasks.has(p)) continue;
      run.tasks.set(p, await this.startedTask(run, p, rewind));
    }
    run.joined = true;
  }

  /**
   * A partition's task restored (restoredTask) and its partition where the restored state needs it. A task from a
   * savepoint saved before it read anything holds nothing read from the topic, so it reads the topic from the start;
   * left to the consumer it would begin at the group's committed offset, which the group's run after the savepoint
   * moved on, and the records between would be skipped.
   */
  private async startedTask(run: StageRun, partition: number, rewind: RewindOffsets): Promise<TaskRun> {
    const fromSavepoint = this.fromSavepoint(run.stage.name, partition);
    const t = await this.restoredTask(run, partition);
    if (fromSavepoint && t.feed.positions()[partition] === undefined) {
      const offset = await rewind.start(partition);
      if (offset !== undefined) await t.feed.seek({ [partition]: offset });
    }
    return t;
  }

  /** Whether a task starts from the savepoint: until this process stores a checkpoint of it, as Flink recovers a job started from a savepoint from that savepoint until its first checkpoint. */
  private fromSavepoint(stage: string, partition: number): boolean {
    return this.options.fromSavepoint !== undefined && !this.checkpointedHere.has(this.taskKey(stage, partition));
  }

  /** The start of each partition of a stage's topic where the group has committed an offset (elsewhere the consumer starts there). */
  private async offsetsToRewind(run: StageRun): Promise<Map<number, number>> {
    const client = this.client as KafkaClient;
    const committed = await client.committedOffsets(run.source.groupId, run.topic);
    if (committed.size === 0) return committed;
    const bounds = await client.offsetBounds(run.topic);
    const out = new Map<number, number>();
    for (const p of committed.keys()) out.set(p, bounds.get(p)?.low ?? 0);
    return out;
  }

  /**
   * A partition's task, restored from its checkpoint (or the savepoint). With --allow-non-restored-state, state for
   * operators the job lacks is dropped and state a changed operator cannot take (a pattern whose steps changed)
   * is reset: the task is built again with that operator left empty, as a hot reload does.
   */
  private async restoredTask(run: StageRun, partition: number): Promise<TaskRun> {
    const cp = await this.restorePoint(run.stage.name, partition);
    const allow = this.options.allowNonRestoredState === true || this.reloaded;
    const reset = new Set<string>();
    for (;;) {
      const t = this.buildTask(run, partition);
      if (cp === null) return t;
      try {
        await t.task.restore(cp, { allowNonRestoredState: allow, skip: reset });
      } catch (error) {
        await t.task.close();
        if (allow && error instanceof OperatorStateError && !reset.has(error.uid)) {
          this.log.warn(`vigil serve: ${t.id}: ${error.message}; it starts empty (--allow-non-restored-state)`);
          reset.add(error.uid);
          continue;
        }
        throw new UserError(`cannot restore ${t.id}: ${(error as Error).message} (pass --allow-non-restored-state to drop it)`);
      }
      this.log.info(
        `vigil serve: restored checkpoint ${cp.id} of ${t.id} (watermark ${Number.isFinite(cp.watermarks.current) ? new Date(cp.watermarks.current).toISOString() : cp.watermarks.current})`,
      );
      return t;
    }
  }

  /** A task's savepoint state until this process stores a checkpoint of it (see fromSavepoint), then its latest checkpoint. */
  private async restorePoint(stage: string, partition: number): Promise<Checkpoint | null> {
    const dir = this.options.fromSavepoint;
    const key = this.taskKey(stage, partition);
    if (dir !== undefined && this.fromSavepoint(stage, partition)) {
      const file = join(dir, this.savepointFile(stage, partition));
      if (!existsSync(file)) return null;
      try {
        return await readSavepoint(file);
      } catch (error) {
        throw new UserError(`--from-savepoint ${file}: ${(error as Error).message}`);
      }
    }
    return (await this.checkpoints?.load(key)) ?? null;
  }

  /** A task of `job`'s stage of `run` over one partition (a reload builds the new job's tasks beside the running ones). */
  private buildTask(run: StageRun, partition: number, job: CompiledJob = this.job as CompiledJob): TaskRun {
    const stage = job.topology.stages.find((s) => s.name === run.stage.name) as Stage;
    const id = `${stage.name}#${partition}`;
    const source = run.source;
    const feed = new PartitionFeed<string>(run.topic, partition, async (offset) => source.seek({ [partition]: offset }));
    const base = job.sourceSpec;
    let task: Task | undefined;
    let spec: SourceSpec<unknown, unknown>;
    if (stage.name === 'source') {
      // The input topic feeds the one source the job reads, mapped and validated as that source declares. Live, a
      // traffic record's time is judged against its arrival, so one camera's wrong clock moves no watermark.
      let traffic: TrafficFeed | undefined;
      const checks = declaredChecks(
        this.program.registry,
        (validator) => (traffic = trafficFeed(this.program.registry, { metrics: this.metrics, arrival: this.clock, validator })).check,
      );
      const parse = sourceParser({ program: job.loaded.program, checks }, job.sourceName, () => task?.watermark ?? Number.NEGATIVE_INFINITY);
      const guard = traffic as TrafficFeed | undefined;
      spec = {
        source: feed,
        deserialize: parse as SourceSpec<unknown, unknown>['deserialize'],
        eventTime: base.eventTime,
        watermarks:
          guard === undefined
            ? base.watermarks
            : {
                ...base.watermarks,
                watermarkTime: guard.watermarkTime as (record: unknown, timestamp: number) => number,
                // `correct_clocks`: the hold the corrected feed needs, and the learned clocks in the checkpoints.
                ...(guard.bound === undefined ? {} : { currentBound: guard.bound }),
                ...(guard.state === undefined ? {} : { state: guard.state }),
              },
      };
    } else {
      const reader: ExchangeReader = new ExchangeReader(feed, this.expectedProducers(stage.name), this.codec);
      const exchange = job.topology.graph.nodes[stage.root];
      const lookups = exchange?.kind === 'exchange' ? exchange.stage : undefined;
      let at = 0;
      spec = {
        source: reader,
        deserialize: ((item: ExchangeItem, ctx) => {
          if ('w' in item) ctx.watermark(item.w);
          else {
            at = item.t;
            ctx.record(item.v);
          }
        }) as SourceSpec<unknown, unknown>['deserialize'],
        // Event time travels with each record; only the producers' watermarks move the watermark. Records of one
        // millisecond reach lookups in the source's tie order (record ids), whatever order they arrived in.
        eventTime: {
          extract: () => at,
          describe: () => 'a repartitioned record without event time',
          ...(base.eventTime.compareTies === undefined ? {} : { compareTies: base.eventTime.compareTies }),
        },
        watermarks: { outOfOrdernessMs: Number.POSITIVE_INFINITY },
        ...(lookups === undefined ? {} : { stage: lookups }),
      };
    }
    const writers: ExchangeWriter[] = [];
    const graph = stageGraph(job.topology, stage, { uid: id, spec }, (e, uid) => {
      const w = new ExchangeWriter(uid, producerId(stage.name, partition, e.ordinal), e.key, this.repartitions, this.exchangeSink(e.exchange), this.recordJson);
      writers.push(w);
      return w;
    });
    const metrics = this.metrics.scoped({ task: id });
    const labels = { topic: run.topic, partition: String(partition) };
    metrics.gauge('vigil_consumer_lag_records', labels, () => source.lag(partition));
    // How far event time trails the wall clock: +Inf until the first watermark (which is -Inf).
    metrics.gauge('vigil_watermark_lag_ms', labels, () => this.clock.now() - (task?.watermark ?? Number.NEGATIVE_INFINITY));
    task = new Task(graph, { metrics, clock: this.clock, log: this.log, finalWatermark: false, deadLetterRaw: (raw) => raw });
    return {
      id,
      stage: run,
      partition,
      task,
      feed,
      writers,
      lastInput: this.clock.now(),
      dirty: true,
      lastCheckpoint: null,
      checkpointedAt: this.clock.now(),
      checkpointCostMs: 0,
    };
  }

  private *allTasks(): Generator<TaskRun> {
    for (const s of this.stages) yield* s.tasks.values();
  }

  /** Polls each stage's consumer once and runs the batch through its partition's task. True when any work was done. */
  private async pass(): Promise<boolean> {
    let worked = false;
    for (const run of this.stages) {
      const polled = await run.source.poll();
      if (typeof polled === 'string') continue;
      const t = run.tasks.get(polled.partition);
      if (t === undefined) continue; // revoked while buffered: its next owner reads it
      const records = polled.records;
      const lines = new Array<string>(records.length);
      for (let i = 0; i < records.length; i++) lines[i] = (records[i] as (typeof records)[number]).value;
      t.feed.push({ partition: polled.partition, records: lines, firstOffset: polled.firstOffset, endOfPartition: false });
      t.lastInput = this.clock.now();
      t.dirty = true;
      await t.task.step();
      worked = true;
    }
    const now = this.clock.now();
    if (now - this.lastTick >= 100) {
      // Processing-time work of tasks without input: timers, idleness.
      this.lastTick = now;
      const idleAfter = this.job?.sourceSpec.watermarks.idleTimeoutMs;
      for (const t of this.allTasks()) {
        if (t.feed.pending === 0) await t.task.step();
        if (idleAfter !== undefined && now - t.lastInput >= idleAfter) for (const w of t.writers) w.markIdle();
      }
    }
    return worked;
  }

  /** Watermarks into the repartition topics, then every sink sent (acks=all). */
  private async flush(): Promise<void> {
    for (const t of this.allTasks()) for (const w of t.writers) w.flushWatermark();
    await Promise.all([...this.sinks.values()].map((s) => s.flush?.()));
    // Started, not awaited: the history catches up in the background (and before each checkpoint).
    void this.history?.flush();
    this.days?.flush();
  }

  /**
   * Runs batches until stopped. A failure (the broker or Redis away, say) does not end the service: as Flink's
   * restart strategy does, this process's tasks are restored from their last checkpoints after a back-off that
   * doubles up to RECOVERY_MAX_MS, and processing resumes from the checkpoints' offsets, so what the failure cut
   * short is processed again and its alerts sent again with the same ids. Only errors no retry can mend (a user
   * error such as state that does not restore) stop the service.
   */
  private async runLoop(): Promise<void> {
    const interval = this.options.checkpointIntervalMs ?? SERVICE_DEFAULTS.checkpointIntervalMs;
    let attempt = 0;
    while (!this.stopping) {
      try {
        if (this.recovering !== undefined) {
          attempt++;
          const delay = Math.min(RECOVERY_MAX_MS, RECOVERY_BASE_MS * 2 ** Math.min(attempt - 1, 16));
          this.log.warn(
            `vigil serve: ${this.recovering.message}; restoring this process's tasks from their last checkpoints in ${delay} ms (attempt ${attempt})`,
          );
          await this.pause(delay);
          if (this.stopping) break;
          await this.exclusive.run(() => this.recover());
          this.recovering = undefined;
          this.recoveries.value++;
          this.log.info(`vigil serve: tasks restored after the failure (attempt ${attempt}); processing resumes`);
        }
        const worked = await this.exclusive.run(async () => {
          const w = await this.pass();
          // Sent before the next poll once FLUSH_LINGER_MS have passed (or when idle): a slow sink stops the polling,
          // and each consumer pauses its partitions once its buffer is full, instead of the heap growing. Lingering
          // makes one produce request of what several batches wrote, not one per batch per sink.
          const now = Date.now();
          if (!w || now - this.lastFlush >= FLUSH_LINGER_MS) {
            this.lastFlush = now;
            await this.flush();
          }
          if (await this.checkpointDue(interval)) attempt = 0;
          return w;
        });
        if (!worked) await new Promise((resolve) => setTimeout(resolve, 10));
      } catch (error) {
        const failure = error instanceof Error ? error : new Error(String(error));
        if (error instanceof UserError) {
          this.failure = failure;
          this.state = 'failed';
          this.log.warn(`vigil serve: stopped on an error: ${failure.message}`);
          return;
        }
        this.recovering = failure;
      }
    }
  }

  /** Waits `ms`, or less when the service is asked to stop. */
  private async pause(ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (!this.stopping && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, Math.min(100, end - Date.now())));
  }

  /**
   * After a failure, inside `exclusive`: every task of this process built again over its stage's current
   * assignment and restored from its last checkpoint, its partition moved back to the checkpoint's offset (or, with
   * no checkpoint, to where the group starts it). The new tasks are all built before any old one is dropped, so a
   * recovery that fails (Redis still away) leaves things as they were for the next attempt.
   */
  private async recover(): Promise<void> {
    const built: { run: StageRun; tasks: Map<number, TaskRun> }[] = [];
    try {
      for (const run of this.stages) {
        const partitions = run.source.partitions();
        // Partitions without a checkpointed offset start where the group would start them; the others are moved
        // to their checkpoint's offset by the restore below.
        await run.source.rewind(partitions);
        const tasks = new Map<number, TaskRun>();
        built.push({ run, tasks });
        const rewind = new RewindOffsets(() => this.offsetsToRewind(run));
        for (const p of partitions) tasks.set(p, await this.startedTask(run, p, rewind));
      }
    } catch (error) {
      for (const b of built) for (const t of b.tasks.values()) await t.task.close().catch(() => undefined);
      throw error;
    }
    for (const { run, tasks } of built) {
      for (const t of run.tasks.values()) {
        this.metrics.removeGauges({ task: t.id });
        await t.task.close().catch(() => undefined);
      }
      run.tasks.clear();
      for (const [p, t] of tasks) run.tasks.set(p, t);
      run.joined = true;
    }
  }

  /**
   * Checkpoints the task whose checkpoint is most overdue, if any: one task per pass, so the pause a snapshot
   * makes is one task's, not the whole process's (a checkpoint is a full snapshot of the task's state).
   */
  private async checkpointDue(interval: number): Promise<boolean> {
    const now = this.clock.now();
    let allCosts = 0;
    for (const t of this.allTasks()) allCosts += t.checkpointCostMs;
    const pause = Math.max(interval, CHECKPOINT_PAUSE_FACTOR * allCosts);
    let due: TaskRun | undefined;
    for (const t of this.allTasks()) {
      if (!t.dirty || now - t.checkpointedAt < pause) continue;
      if (due === undefined || t.checkpointedAt < due.checkpointedAt) due = t;
    }
    if (due === undefined) return false;
    await this.checkpoint([due]);
    return true;
  }

  /**
   * Flush, snapshot the tasks (default: every task with input since its last checkpoint), store, then commit the
   * offsets each snapshot holds. Call inside `exclusive`.
   */
  private async checkpoint(tasks: readonly TaskRun[] = [...this.allTasks()].filter((t) => t.dirty)): Promise<Map<TaskRun, Checkpoint>> {
    const store = this.checkpoints;
    const taken = new Map<TaskRun, Checkpoint>();
    if (store === undefined) return taken;
    const started = Date.now();
    await this.flush();
    if (this.history !== undefined && !(await this.history.drain(HISTORY_DRAIN_MS)))
      this.log.info(`vigil serve: ${this.history.buffered} alert(s) not in the Redis history yet; they stay buffered`);
    if (this.days !== undefined && !(await this.days.drain(HISTORY_DRAIN_MS)))
      this.log.info(`vigil serve: ${this.days.buffered} day data write(s) (alert index, flow, trajectories) not in Redis yet; they stay buffered`);
    let bytes = 0;
    let failed: Error | undefined;
    await Promise.all(
      tasks.map(async (t) => {
        t.checkpointedAt = this.clock.now();
        const began = Date.now();
        const cp = t.task.snapshot();
        let saved: { readonly bytes: number };
        try {
          saved = await store.save(this.taskKey(t.stage.stage.name, t.partition), cp);
        } catch (error) {
          // Not durable, so its offsets are not committed: a restart replays from the last stored checkpoint. The
          // task keeps running and tries again an interval later.
          failed ??= error instanceof Error ? error : new Error(String(error));
          return;
        }
        t.dirty = false;
        t.checkpointCostMs = Date.now() - began;
        this.checkpointedHere.add(this.taskKey(t.stage.stage.name, t.partition));
        bytes += saved.bytes;
        const offsets = { [t.partition]: cp.source.positions[t.partition] as number };
        // A commit refused during a rebalance is harmless: the partition's next owner seeks to the stored
        // checkpoint's offsets, and the next checkpoint commits them.
        if (Object.values(offsets).some((o) => o !== undefined)) {
          await t.stage.source
            .commit(offsets)
            .catch((error: unknown) => this.log.info(`vigil serve: offsets of ${t.id} not committed this time: ${(error as Error).message}`));
        }
        t.lastCheckpoint = { id: cp.id, at: cp.takenAt, bytes: saved.bytes, durationMs: Date.now() - started };
        taken.set(t, cp);
      }),
    );
    this.checkpointsTaken.value += taken.size;
    if (taken.size > 0) {
      this.lastCheckpointBytes = bytes;
      this.lastCheckpointMs = Date.now() - started;
    }
    this.checkpointOutcome(taken.size, tasks.length - taken.size, failed);
    return taken;
  }

  /**
   * Checkpoint storage that refuses writes (Redis out of memory or disk, a read-only replica, an ACL) must not stop
   * the job: it runs on without committing offsets, says so on /readyz, in /api/job and in the log (once when it
   * starts failing, once when it stores again), and counts the failed saves.
   */
  private checkpointOutcome(stored: number, failures: number, error: Error | undefined): void {
    if (error !== undefined) {
      this.checkpointFailures.value += failures;
      if (this.checkpointFailure === undefined) {
        this.checkpointFailure = { since: this.clock.now(), error: error.message, failures };
        this.log.warn(
          `vigil serve: checkpoint not stored (${error.message}): processing goes on, offsets stay committed at the last stored ` +
            'checkpoint (a restart replays from there), and /readyz answers 503 until a checkpoint is stored again',
        );
      } else {
        this.checkpointFailure = { ...this.checkpointFailure, error: error.message, failures: this.checkpointFailure.failures + failures };
      }
    } else if (this.checkpointFailure !== undefined && failures === 0 && stored > 0) {
      const { since, failures: before } = this.checkpointFailure;
      this.checkpointFailure = undefined;
      this.log.info(
        `vigil serve: checkpoints stored again after ${before} failed save(s) over ${((this.clock.now() - since) / 1000).toFixed(0)} s; offsets committed`,
      );
    }
  }

  /** A savepoint: a checkpoint of every task of this process, one file per task in `dir`, kept until deleted. */
  async savepoint(dir: string): Promise<SavepointInfo> {
    return this.exclusive.run(async () => {
      // Tasks a failure stopped mid-batch hold no consistent state until they are restored.
      if (this.recovering !== undefined) throw new UserError(`the service is recovering from a failure (${this.recovering.message}): try again shortly`);
      const all = [...this.allTasks()];
      const taken = await this.checkpoint(all);
      if (taken.size < all.length && this.checkpointFailure !== undefined) {
        // A savepoint holds offsets past the committed ones only if its checkpoints are stored as well.
        throw new UserError(`no savepoint: checkpoints cannot be stored (${this.checkpointFailure.error})`);
      }
      if (taken.size === 0) throw new UserError('this process runs no task yet: nothing to save');
      let takenAt = 0;
      for (const [t, cp] of taken) {
        await writeSavepoint(join(dir, this.savepointFile(t.stage.stage.name, t.partition)), cp);
        takenAt = Math.max(takenAt, cp.takenAt);
      }
      return { path: dir, takenAt, tasks: [...taken.keys()].map((t) => t.id).sort() };
    });
  }

  /**
   * Hot reload. The new set is compiled and its job built once before anything is touched; a set with errors is
   * rejected (RuleSetRejected) and one this process cannot swap in is refused (ReloadRefused), leaving the running
   * job as it was. Otherwise, at a batch boundary: every task of this process snapshots its state in memory, the
   * new job's tasks are built beside the running ones and restored from those snapshots by operator uid, as a
   * savepoint restores into a changed rule set; only when every one restored are they swapped in, the old ones
   * closed, and the new ones checkpointed at once (a restart or the partition's next owner resumes the new job).
   */
  private async reload(text: CarriedRuleSetText | null, options: ReloadOptions, origin: RuleSetOrigin): Promise<ReloadResult> {
    const started = performance.now();
    if (this.reloading) throw this.refused(new ReloadRefused('reload_in_progress', 'a reload is under way: try again when it is done'));
    this.reloading = true;
    try {
      let loaded: LoadedProgram;
      try {
        loaded = await this.book.prepare(text);
      } catch (error) {
        if (error instanceof RuleSetRejected) {
          this.reloads.rejected.value++;
          this.log.warn(`vigil serve: rule set from ${origin} rejected (${error.diagnostics.length} error(s)); still running ${this.book.currentVersion}`);
        }
        throw error;
      }
      const from = this.book.currentVersion;
      const version = ruleSetVersion(loaded);
      if (this.state !== 'running' || this.job === undefined || this.client === undefined) {
        throw this.refused(new ReloadRefused('not_running', `the service is ${this.state}: rules are reloaded while it runs`));
      }
      if (version === from) {
        const durationMs = performance.now() - started;
        const phasesMs = { compile: durationMs, wait: 0, swap: 0, checkpoint: 0 };
        return { from, version, origin, durationMs, phasesMs, tasks: 0, rules: [], operators: { reset: [], dropped: [] }, unchanged: true };
      }
      try {
        checkStreamNames(loaded, this.options.streams ?? []);
      } catch (error) {
        throw this.refused(new ReloadRefused('topology_changed', (error as Error).message));
      }
      let next: CompiledJob;
      try {
        next = this.compile(loaded);
      } catch (error) {
        throw this.refused(new ReloadRefused('topology_changed', (error as Error).message));
      }
      const change = topologyChange(this.job, next);
      if (change !== null) throw this.refused(new ReloadRefused('topology_changed', change));
      // Alert topics of new routes, created as at start (the job's sinks only connect on their first send).
      const routeTopics = new Set<string>();
      for (const { rule } of loaded.rules) for (const r of rule.routes) if (r.kind === 'kafka') routeTopics.add(r.topic);
      await this.client.ensureTopics([...routeTopics].map((topic) => ({ topic, partitions: this.options.outputPartitions ?? 1 })));
      const compiled = performance.now();
      const result = await this.exclusive.run(() => this.swapIn(loaded, next, origin, options, compiled));
      result.phasesMs.compile = compiled - started;
      // The group follows: the set stored, announced, and run by every process that hears of it.
      this.reloaded = true;
      try {
        if (origin !== 'group') await this.sync?.publish(loaded, version);
        await this.sync?.report(version, this.clock.now());
      } catch (error) {
        // Redis is unreachable: the reload stands here, but the group's stored set is still the old one, and once
        // Redis answers again the periodic check brings this process back to it. Say so rather than fail a swap done.
        this.log.warn(
          `vigil serve: rules reloaded here, but the group's set could not be stored (${(error as Error).message}); ` +
            'this process goes back to the stored set when Redis answers: reload again then',
        );
      }
      const durationMs = performance.now() - started;
      this.lastReloadMs = durationMs;
      this.reloads.done.value++;
      const by = (o: string): string =>
        result.rules
          .filter((r) => r.outcome === o)
          .map((r) => r.id)
          .join(', ') || '-';
      this.log.info(
        `vigil serve: rules reloaded from ${origin}: ${from} -> ${version} in ${durationMs.toFixed(0)} ms, ${result.tasks} task(s) ` +
          `(${Object.entries(result.phasesMs)
            .map(([k, v]) => `${k} ${v.toFixed(0)}`)
            .join(', ')} ms); ` +
          `kept ${by('kept')}; reset ${by('reset')}; dropped ${by('dropped')}; added ${by('added')}`,
      );
      return { from, version, origin, durationMs, ...result, unchanged: false };
    } finally {
      this.reloading = false;
    }
  }

  /**
   * At start. Joining a live group (another process reported within RULE_SYNC_LIVE_MS), this process runs the
   * group's stored set, whatever its folders hold: the group's processes must run one set, and the checkpoints it
   * will restore were written by that set. Otherwise (the first process, a whole group restarted, or a start
   * from a savepoint, which says which rules to run) the folders win, and their set is stored and announced.
   * A stored set that does not load here leaves this process on its folders, with a warning.
   */
  private async adoptGroupRules(sync: RuleSync): Promise<void> {
    const mine = this.book.currentVersion;
    const stored = await sync.stored();
    const now = this.clock.now();
    const live = (await sync.members()).filter((m) => m.member !== sync.member && now - m.at < RULE_SYNC_LIVE_MS);
    if (stored === null || stored.version === mine || live.length === 0 || this.options.fromSavepoint !== undefined) {
      if (stored?.version !== mine) await sync.publish(this.book.loaded, mine);
      return;
    }
    try {
      const loaded = await this.book.prepare({ rules: stored.rules, patterns: stored.patterns, tables: stored.tables ?? [] });
      checkStreamNames(loaded, this.options.streams ?? []);
      this.book.accept(loaded, 'group');
      this.log.info(
        `vigil serve: running the group's rule set ${stored.version} (stored by ${stored.by} at ${new Date(stored.storedAt).toISOString()}), ` +
          `not the folders' ${mine}: POST /api/rules/reload runs the folders' set on every process`,
      );
    } catch (error) {
      this.log.warn(`vigil serve: the group's rule set ${stored.version} does not load here (${(error as Error).message}); running the folders' ${mine}`);
    }
  }

  private announced(version: string): void {
    if (version === this.book.currentVersion) return;
    this.following = this.following.then(() => this.followGroup());
  }

  private async checkGroupRules(): Promise<void> {
    const sync = this.sync;
    if (sync === undefined || this.stopping) return;
    try {
      // Also the heartbeat that tells a starting process the group is live.
      await sync.report(this.book.currentVersion, this.clock.now());
      const version = await sync.storedVersion();
      if (version !== null && this.state === 'running') this.announced(version);
    } catch (error) {
      this.log.warn(`vigil serve: cannot check the group's rule set: ${(error as Error).message}`);
    }
  }

  /** Reloads the group's stored set when it is not the one this process runs (consent was the announcer's to give). */
  private async followGroup(): Promise<void> {
    const sync = this.sync;
    if (sync === undefined || this.state !== 'running' || this.stopping) return;
    try {
      const stored = await sync.stored();
      if (stored === null || stored.version === this.book.currentVersion) return;
      await this.reload({ rules: stored.rules, patterns: stored.patterns, tables: stored.tables ?? [] }, { allowNonRestoredState: true }, 'group');
    } catch (error) {
      this.log.warn(`vigil serve: cannot follow the group's rule set: ${(error as Error).message}`);
    }
  }

  private refused(error: ReloadRefused): ReloadRefused {
    this.reloads.refused.value++;
    this.log.warn(`vigil serve: rule reload refused (${error.reason}): ${error.message}`);
    return error;
  }

  /** The batch-boundary part of a reload: call inside `exclusive`. */
  private async swapIn(
    loaded: LoadedProgram,
    next: CompiledJob,
    origin: RuleSetOrigin,
    options: ReloadOptions,
    compiled: number,
  ): Promise<Pick<ReloadResult, 'tasks' | 'rules' | 'operators'> & { phasesMs: { compile: number; wait: number; swap: number; checkpoint: number } }> {
    const boundary = performance.now();
    if (this.state !== 'running' || this.stopping) throw this.refused(new ReloadRefused('not_running', `the service is ${this.state}`));
    await this.flush();
    const running = [...this.allTasks()];
    const reset = new Set<string>();
    const built: { old: TaskRun; next: TaskRun; dropped: readonly string[] }[] = [];
    const abandon = async (): Promise<void> => {
      for (const b of built) await b.next.task.close();
    };
    try {
      for (const t of running) {
        const cp = t.task.snapshot();
        for (;;) {
          const n = this.buildTask(t.stage, t.partition, next);
          try {
            const report = await n.task.restore(cp, { allowNonRestoredState: true, skip: reset });
            built.push({ old: t, next: n, dropped: report.dropped });
            break;
          } catch (error) {
            await n.task.close();
            // State that does not fit its changed operator: that operator starts empty (in every task, for one cut).
            if (!(error instanceof OperatorStateError) || reset.has(error.uid)) throw error;
            reset.add(error.uid);
          }
        }
      }
    } catch (error) {
      await abandon();
      throw error;
    }
    const dropped = new Set(built.flatMap((b) => b.dropped));
    const rules = ruleOutcomes(this.book.loaded, loaded, reset);
    const operators = { reset: [...reset].sort(), dropped: [...dropped].sort() };
    if (options.allowNonRestoredState !== true && (reset.size > 0 || dropped.size > 0)) {
      await abandon();
      const lost = [...operators.reset.map((u) => `${u} (reset)`), ...operators.dropped.map((u) => `${u} (dropped)`)];
      throw this.refused(
        new ReloadRefused(
          'state_not_restored',
          `the new rule set would lose state: ${lost.join(', ')}; send it again with allowNonRestoredState=true to drop or reset it`,
          rules,
        ),
      );
    }
    for (const b of built) {
      b.old.stage.tasks.set(b.old.partition, b.next);
      await b.old.task.close();
    }
    for (const run of this.stages) run.stage = next.topology.stages.find((s) => s.name === run.stage.name) as Stage;
    this.job = next;
    this.book.accept(loaded, origin);
    const swapped = performance.now();
    await this.checkpoint(built.map((b) => b.next));
    const phasesMs = { compile: 0, wait: boundary - compiled, swap: swapped - boundary, checkpoint: performance.now() - swapped };
    return { tasks: built.length, rules, operators, phasesMs };
  }

  status(): ServiceStatus {
    const tasks: TaskStatus[] = [...this.allTasks()].map((t) => ({
      id: t.id,
      topic: t.stage.topic,
      partitions: [t.partition],
      watermark: Number.isFinite(t.task.watermark) ? t.task.watermark : null,
      lastCheckpoint: t.lastCheckpoint,
    }));
    return {
      state: this.state,
      group: this.group,
      inputTopic: this.inputTopic,
      tasks,
      rules: this.book.loaded.rules.map((r) => r.rule.id),
      rulesVersion: this.book.currentVersion,
      ...(this.failure === undefined ? {} : { error: this.failure.message }),
      ...(this.checkpointFailure === undefined ? {} : { checkpointFailure: this.checkpointFailure }),
    };
  }

  /** Every stage's consumer joined its group and the tasks it was given are restored. */
  ready(): boolean {
    return (
      this.failure === undefined &&
      this.recovering === undefined &&
      this.checkpointFailure === undefined &&
      !this.stopping &&
      this.state === 'running' &&
      this.stages.every((s) => s.joined)
    );
  }

  /** Resolves when the service stops; rejects when it failed. */
  async done(): Promise<void> {
    await this.loop;
    if (this.failure !== undefined) throw this.failure;
  }

  /** Graceful stop (SIGTERM): stop consuming, drain, checkpoint, commit, close. */
  async stop(): Promise<void> {
    if (this.stopping) return this.done().catch(() => undefined);
    this.stopping = true;
    this.state = 'stopping';
    if (this.syncTimer !== undefined) clearInterval(this.syncTimer);
    await this.loop;
    await this.following;
    await this.sync?.close();
    // Not after a failure, nor while recovering from one: the tasks' state may be half a batch.
    if (this.failure === undefined && this.recovering === undefined) {
      await this.exclusive
        .run(async () => void (await this.checkpoint()))
        .catch((error: unknown) => {
          this.log.warn(`vigil serve: no final checkpoint (${(error as Error).message}); a restart resumes from the last one`);
        });
    }
    // Each part closes on its own: a broker or Redis that is away fails its part with a warning, not the stop (what
    // was not sent or committed is replayed from the last checkpoint by the next process).
    const quietly = async (what: string, close: () => Promise<unknown> | undefined): Promise<void> => {
      try {
        await close();
      } catch (error) {
        this.log.warn(`vigil serve: ${what} not closed cleanly (${(error as Error).message}); a restart resumes from the last checkpoint`);
      }
    };
    for (const t of this.allTasks()) await quietly(`task ${t.id}`, () => t.task.close());
    for (const s of this.stages) await quietly(`the consumer of ${s.stage.name}`, () => s.source.close());
    for (const [name, sink] of this.sinks) await quietly(`sink ${name}`, () => sink.close?.());
    this.sinks.clear();
    await quietly('the alert history', () => this.history?.close());
    if (this.historyRedis !== undefined) await this.historyRedis.quit().catch(() => undefined);
    await quietly('the day writer', () => this.days?.drain(5000));
    if (this.daysRedis !== undefined) await this.daysRedis.quit().catch(() => undefined);
    // Deliveries under way finish; what waits stays in Redis for the next process.
    await quietly('webhook delivery', () => this.webhookDelivery?.close());
    await quietly('the Kafka client', () => this.client?.close());
    if (this.redis !== undefined) await this.redis.quit().catch(() => undefined);
    this.state = 'stopped';
  }
}

/** Why a new job cannot replace the running one in place (other stages or producers: other repartition topics), or null. */
function topologyChange(running: CompiledJob, next: CompiledJob): string | null {
  if (running.sourceName !== next.sourceName) return `the job would read source '${next.sourceName}' instead of '${running.sourceName}'`;
  const shape = (j: CompiledJob): string[] => j.topology.stages.map((s) => `${s.name} <- ${JSON.stringify(j.topology.producers.get(s.name) ?? [])}`).sort();
  const before = shape(running);
  const after = shape(next);
  const added = after.filter((s) => !before.includes(s)).map((s) => s.split(' <- ')[0]);
  const removed = before.filter((s) => !after.includes(s)).map((s) => s.split(' <- ')[0]);
  if (added.length === 0 && removed.length === 0) return null;
  return (
    `the new rule set changes the job's repartition stages (${[...added.map((s) => `+${s}`), ...removed.map((s) => `-${s}`)].join(', ')}), ` +
    'which a hot reload does not do: take a savepoint and restart with --from-savepoint'
  );
}

/** Per rule of either set: kept, reset, dropped or added, and whether its files changed. */
function ruleOutcomes(before: LoadedProgram, after: LoadedProgram, reset: ReadonlySet<string>): RuleReload[] {
  const was = new Set(before.rules.map((r) => r.rule.id));
  const is = new Set(after.rules.map((r) => r.rule.id));
  const oldPrints = ruleFingerprints(before);
  const newPrints = ruleFingerprints(after);
  return [...new Set([...was, ...is])].sort().map((id) => {
    const changed = oldPrints.get(id) !== newPrints.get(id);
    if (!was.has(id)) return { id, outcome: 'added', changed };
    if (!is.has(id)) return { id, outcome: 'dropped', changed };
    const own = [...reset].some((uid) => uid.startsWith(`rule:${id}:`));
    return { id, outcome: own ? 'reset' : 'kept', changed };
  });
}
