/**
 * `vigil demo`: the embedded service behind the dashboard. A recorded NDJSON file is replayed in accelerated time
 * through every enabled rule (no Kafka, no Redis: first_seen, the alert history and the stream buffers live in
 * memory), and the HTTP server reads it through the same interfaces as `vigil serve` (ServiceControl,
 * AlertHistory, StreamFeed) plus the vehicle lookup.
 */

import { type Counter, type Logger, MetricRegistry, type Sink, type Task } from '../../core/index.js';
import type { Alert, Rec } from '../../dsl/index.js';
import { MemoryFirstSeenStore } from '../../io/first-seen/memory-store.js';
import type { FirstSeenStore } from '../../io/first-seen/store.js';
import { UserError } from '../errors.js';
import { createTask } from '../job.js';
import { lookupsFor, seedKnownVehicles } from '../lookups.js';
import { defaultPaths, inputPath } from '../program.js';
import { noWebhooks, type ServiceControl, type ServiceState, type ServiceStatus } from '../service/control.js';
import { ReloadRefused, RuleBook, type RuleControl } from '../service/rule-control.js';
import { declaredChecks } from '../sources.js';
import { checkStreamNames, loadTrafficProgram, type ProgramPaths, registryGapsText } from '../traffic.js';
import { type TrafficFeed, trafficFeed } from '../traffic-feed.js';
import { type DashboardInfo, dashboardCheckpoints } from './dashboard-info.js';
import { keptStreams } from './dashboard-streams.js';
import { MemoryAlertHistory } from './memory-alert-history.js';
import { PacedSource, readNdjsonLines } from './paced-source.js';
/** The stream the vehicle lookup is fed from: every capture with a readable plate. */
import { DEFAULT_STREAM_BUFFER, StreamRings } from './stream-rings.js';
import { SIGHTINGS_STREAM } from './trajectory.js';
import { VehicleSightings } from './vehicle-sightings.js';

export interface DemoOptions extends ProgramPaths {
  readonly cwd: string;
  readonly input: string;
  /** Seeds first_seen with a generator truth file's known vehicles. */
  readonly knownVehicles?: string;
  readonly pace: number;
  /** Extra streams to keep for /api/streams. */
  readonly streams?: readonly string[];
  readonly streamBuffer?: number;
  readonly alertHistory?: number;
  /** The zone the page shows times in; default the registry's, else the program's --time-zone, else UTC. */
  readonly displayZone?: string;
  readonly log: Logger;
  /** Wall clock of the pacing (tests). */
  readonly now?: () => number;
}

export class DemoService {
  readonly metrics = new MetricRegistry();
  readonly alerts: MemoryAlertHistory;
  readonly streams: StreamRings;
  readonly vehicles = new VehicleSightings();
  readonly info: DashboardInfo;
  private readonly source: PacedSource;
  private readonly task: Task;
  private readonly store: FirstSeenStore = new MemoryFirstSeenStore();
  private readonly knownVehicles: string | undefined;
  private readonly ruleIds: string[];
  private state: ServiceState = 'starting';
  private error: string | undefined;
  private readonly rules: RuleControl;
  private stopRequested = false;
  private running: Promise<void> | undefined;
  /** The last finite watermark: at the end of the input the task's jumps to +Infinity. */
  private watermarkSeen = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: DemoOptions) {
    const { cwd } = options;
    const input = inputPath(options.input, cwd, '--input');
    this.knownVehicles = options.knownVehicles === undefined ? undefined : inputPath(options.knownVehicles, cwd, '--known-vehicles');
    const { registry, loaded } = loadTrafficProgram(options, cwd);
    checkStreamNames(loaded, options.streams ?? []);
    const gaps = registryGapsText(loaded, registry, options.checkpoints ?? defaultPaths.checkpoints, cwd);
    if (gaps !== '') options.log.warn(gaps.trimEnd());
    if (!loaded.program.streams.has(SIGHTINGS_STREAM)) throw new UserError(`the program has no '${SIGHTINGS_STREAM}' stream: the vehicle lookup reads it`);
    this.ruleIds = loaded.rules.map((r) => r.rule.id);
    const book = new RuleBook(loaded, {
      registry,
      paths: { patterns: options.patterns ?? defaultPaths.patterns, rules: options.rules ?? defaultPaths.rules },
      cwd,
      ...(options.timeZone === undefined ? {} : { timeZone: options.timeZone }),
    });
    // The rules API reads and validates; a replay has no hot reload (restart the demo with the new folders).
    this.rules = {
      view: () => book.view(),
      rule: (id) => book.rule(id),
      validate: (text) => book.validate(text),
      reload: async () => {
        throw new ReloadRefused('not_running', 'vigil demo does not reload rules: restart it with the new --rules and --patterns');
      },
      group: async () => null,
    };
    const kept = keptStreams(loaded.program.streams, options.streams ?? []);
    this.streams = new StreamRings(kept, options.streamBuffer ?? DEFAULT_STREAM_BUFFER);
    this.alerts = new MemoryAlertHistory(options.alertHistory);
    this.source = new PacedSource(options.input, readNdjsonLines(input), { pace: options.pace, ...(options.now === undefined ? {} : { now: options.now }) });

    const outputs = new Map<string, Sink<Rec>>(kept.map((name) => [name, this.streams.sink(name)]));
    const ringOfSightings = outputs.get(SIGHTINGS_STREAM);
    outputs.set(SIGHTINGS_STREAM, {
      write: (record, ts) => {
        this.vehicles.write(record);
        ringOfSightings?.write(record, ts);
      },
    });
    const counters = new Map<string, Counter>();
    const alertSink: Sink<Alert> = {
      write: (alert) => {
        const id = `${alert.rule}\u0000${alert.severity}`;
        let c = counters.get(id);
        if (c === undefined) counters.set(id, (c = this.metrics.counter('vigil_alerts_total', { rule: alert.rule, severity: alert.severity })));
        c.value++;
        this.alerts.write(alert);
      },
    };
    let feed: TrafficFeed | undefined;
    this.task = createTask({
      name: 'demo',
      program: loaded.program,
      sources: loaded.sources,
      rules: loaded.rules,
      source: this.source,
      checks: declaredChecks(registry, (validator) => (feed = trafficFeed(registry, { validator })).check),
      watermarkTime: (record, ts) => (feed === undefined ? ts : feed.watermarkTime(record, ts)),
      lookups: lookupsFor(this.store),
      outputs: { alerts: alertSink, streams: outputs },
      metrics: this.metrics,
      log: options.log,
    });
    // Event time the replay has reached minus the watermark: how far results lag the records arriving.
    this.metrics.gauge('vigil_watermark_lag_ms', {}, () => (this.source.replayTime() ?? Number.NaN) - this.lastWatermark());
    this.metrics.gauge('vigil_replay_records_left', {}, () => {
      const p = this.source.progress();
      return p.total - p.released;
    });
    this.info = {
      timeZone: options.displayZone ?? registry.timeZone ?? options.timeZone ?? 'UTC',
      checkpoints: dashboardCheckpoints(registry),
      rules: loaded.rules.map((r) => ({ id: r.rule.id, severity: r.rule.severity, description: r.rule.description ?? '' })),
      streams: kept,
      replay: { input: options.input, pace: options.pace },
      vehicleLookup: true,
      days: false,
    };
  }

  /** Seeds first_seen, then replays the input in the background; `done()` resolves when it ended or was stopped. */
  async start(): Promise<void> {
    if (this.knownVehicles !== undefined) await seedKnownVehicles(this.store, this.knownVehicles);
    this.state = 'running';
    this.running = (async () => {
      try {
        await this.task.run({
          afterBatch: async (t) => {
            this.lastWatermark();
            await t.flush();
            // Batches resolve as microtasks: without a turn of the event loop a fast replay would starve the HTTP server.
            await new Promise<void>((resolve) => setImmediate(resolve));
          },
          shouldStop: () => this.stopRequested,
          idleWaitMs: 25,
        });
        await this.task.flush();
        this.state = 'stopped';
      } catch (error) {
        this.state = 'failed';
        this.error = (error as Error).message;
        throw error;
      } finally {
        await this.task.close();
        await this.store.close();
      }
    })();
  }

  private lastWatermark(): number {
    const w = this.task.watermark;
    if (Number.isFinite(w)) this.watermarkSeen = w;
    return this.watermarkSeen;
  }

  /** Resolves when the replay reached the end of its input (or was stopped). */
  done(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopRequested = true;
    if (this.state === 'running') this.state = 'stopping';
    await this.running?.catch(() => undefined);
  }

  status(): ServiceStatus {
    const watermark = this.lastWatermark();
    return {
      state: this.state,
      group: 'demo',
      inputTopic: this.options.input,
      tasks: [{ id: 'demo', topic: this.options.input, partitions: [0], watermark: Number.isFinite(watermark) ? watermark : null, lastCheckpoint: null }],
      rules: this.ruleIds,
      ...(this.error === undefined ? {} : { error: this.error }),
    };
  }

  /** The replay's progress: records released, in all, and the recording's time reached. */
  replay(): { readonly released: number; readonly total: number; readonly time: number | null } {
    return { ...this.source.progress(), time: this.source.replayTime() };
  }

  control(stop: () => Promise<void>): ServiceControl {
    return {
      metrics: this.metrics,
      status: () => this.status(),
      // Ready while replaying, and after the end: the page still serves what was computed.
      ready: () => this.state === 'running' || this.state === 'stopped',
      savepoint: async () => {
        throw new UserError('vigil demo keeps no savepoints: its state lives for the replay only');
      },
      stop,
      rules: this.rules,
      webhooks: noWebhooks,
    };
  }
}
