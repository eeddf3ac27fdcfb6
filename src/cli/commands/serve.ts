import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Redis } from 'ioredis';
import { RedisDayResults } from '../../app/day-results.js';
import { DEFAULT_STREAM_BUFFER } from '../../app/live/stream-rings.js';
import { RedisTrajectories } from '../../app/live/trajectory.js';
import type { ServiceControl } from '../../app/service/control.js';
import { SERVICE_DEFAULTS, VigilService } from '../../app/service/service.js';
import { stderrLogger } from '../../core/index.js';
import { alertHistoryKeys, DEFAULT_ALERT_HISTORY } from '../../io/redis/alert-history.js';
import { RedisAlertHistory } from '../../io/redis/alert-history-reader.js';
import { connectRedis, DEFAULT_REDIS_URL } from '../../io/redis/client.js';
import { DayStore, DEFAULT_TRAJECTORY_LENGTH, dayKeys } from '../../io/redis/day-store.js';
import { buildServer, listen, type VigilServer } from '../../server/index.js';
import { CEP_KEPT_BUDGET_HELP, CEP_STATE_BUDGET_HELP, cepKeptBudget, cepStateBudget, HELP, positiveNumber, withUsage } from '../flags.js';
import { type Command, ExitCode, UserError } from '../io.js';

/** How long a SIGTERM or SIGINT waits for the drain and the final checkpoint. */
const STOP_DEADLINE_MS = 30_000;

export const HTTP_DEFAULTS = { port: 8080, host: '127.0.0.1', savepointDir: './savepoints' } as const;

const usage = `usage: vigil serve [--kafka host:port,...] [--input-topic ${SERVICE_DEFAULTS.inputTopic}] [--group ${SERVICE_DEFAULTS.group}]
                   [--redis ${DEFAULT_REDIS_URL}] [--patterns dir] [--rules dir] [--checkpoints file]
                   [--time-zone ZONE] [--stream NAME ...] [--checkpoint-interval 10] [--first-seen-prefix P]
                   [--from-savepoint PATH [--allow-non-restored-state]] [--output-partitions N]
                   [--repartition-partitions N] [--alert-history ${DEFAULT_ALERT_HISTORY}] [--stream-buffer ${DEFAULT_STREAM_BUFFER}]
                   [--late-topic ${SERVICE_DEFAULTS.lateTopic}] [--dead-letter-topic ${SERVICE_DEFAULTS.deadLetterTopic}]
                   [--day-flow STREAM] [--trajectory-length ${DEFAULT_TRAJECTORY_LENGTH}] [--cep-state-budget N] [--cep-kept-budget N]
                   [--port ${HTTP_DEFAULTS.port}] [--host ${HTTP_DEFAULTS.host}] [--public-read] [--savepoint-dir ${HTTP_DEFAULTS.savepointDir}]

The long-running service: consumes the input topic as a member of a consumer group, runs every enabled rule,
and writes alerts to each rule's Kafka routes (keyed by alert key, with rule, severity and id headers), late
records to ${SERVICE_DEFAULTS.lateTopic}, dead letters (the original bytes, with reason, topic, partition and offset
headers) to ${SERVICE_DEFAULTS.deadLetterTopic}, and each --stream NAME to ${SERVICE_DEFAULTS.streamTopicPrefix}NAME.
first_seen lives in Redis. Every --checkpoint-interval seconds the state and the input offsets are stored in
Redis, then the offsets are committed; a restart (or another member of the group, on failover) resumes there.
Delivery is at-least-once with stable alert ids: after a crash, alerts since the last checkpoint are sent
again with the same ids. SIGTERM or SIGINT: stop consuming, drain, checkpoint, commit, exit 0; with Kafka or
Redis away, after 30 s it exits 0 without the final checkpoint (the next process resumes from the last one).
The job is cut at each change of key (key by) into stages; each stage after the first reads a repartition
topic <group>-<exchange>-repartition (--repartition-partitions, default the input topic's partitions) and runs
one task per partition. Processes in one group split every stage's partitions; when one leaves, the others
take over its partitions and restore their checkpoints.

HTTP on --host:--port (--port 0 picks a free port; the address is logged as 'listening on'): /healthz,
/readyz, /metrics (Prometheus), the OpenAPI document at /openapi.json (UI at /docs), and the API under /api/
(job status and cancel, savepoints into --savepoint-dir: what 'vigil savepoint', 'vigil list' and 'vigil cancel'
call; /api/alerts and the live /api/alerts/stream; /api/status; /api/streams with the recent records of every
--stream and of the dashboard's streams the program has, --stream-buffer records each, and their live SSE), and
the dashboard at /. Every alert is also appended to a capped Redis stream
vigil:alerts:{GROUP} of --alert-history entries (0: none), each alert id once, shared by the group's processes. The API's bearer token comes from VIGIL_TOKEN only: every POST and DELETE wants it, and so do the /api
reads unless --public-read; /healthz, /readyz and /metrics are open. Without VIGIL_TOKEN the API is open and
the server refuses any host but loopback.
Days of the city's calendar (the registry's time_zone or --time-zone): each vehicle's sightings of the day are kept
in Redis per plate, the latest --trajectory-length (0: none), for /api/vehicles/PLATE?day=YYYY-MM-DD and the
dashboard's lookup; --day-flow STREAM (such as flow_1m) records that stream's flow per checkpoint and window per day,
the live figures 'vigil rerun' compares its final ones with; every alert's id is kept per day of its event time
too, however short --alert-history is, so the re-run knows each alert raised live. /api/days/DAY serves a day's results: final once
'vigil rerun' published them, else live. Day data lasts three days after the day.
Each flag can also be set in the environment: VIGIL_KAFKA, VIGIL_INPUT_TOPIC, VIGIL_GROUP, VIGIL_REDIS,
VIGIL_PATTERNS, VIGIL_RULES, VIGIL_CHECKPOINTS, VIGIL_CHECKPOINT_INTERVAL, VIGIL_FIRST_SEEN_PREFIX,
VIGIL_ALERT_HISTORY, VIGIL_PORT, VIGIL_HOST, VIGIL_PUBLIC_READ (1 or true), VIGIL_SAVEPOINT_DIR,
VIGIL_CEP_STATE_BUDGET, VIGIL_CEP_KEPT_BUDGET.
Webhook routes read their signing secrets from the variables their rule files name (secret: env:NAME); one
that is not set stops the service at start.
${CEP_STATE_BUDGET_HELP} In the service the drops are counted in /metrics
(vigil_cep_budget_dropped_partial_matches_total).
${CEP_KEPT_BUDGET_HELP} In the service the drops are counted in /metrics (vigil_cep_kept_dropped_total).
`;

function portNumber(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535 || text.trim() === '') throw new UserError(`--port must be a port number (0 picks a free one), got '${text}'`);
  return n;
}

function envFlag(text: string | undefined): boolean {
  return text !== undefined && /^(1|true|yes)$/i.test(text.trim());
}

/** The service as the HTTP server sees it, with one stop shared by the API's cancel, the signals and the command. */
function controlOf(service: VigilService, stop: () => Promise<void>): ServiceControl {
  return {
    metrics: service.metrics,
    rules: service.rules,
    status: () => service.status(),
    ready: () => service.ready(),
    savepoint: (dir) => service.savepoint(dir),
    stop,
    // Asked of the service at each request: its routes exist once it started.
    webhooks: {
      routes: () => service.webhooks.routes(),
      deadLetters: (route, offset, limit) => service.webhooks.deadLetters(route, offset, limit),
      retry: (route, id) => service.webhooks.retry(route, id),
      retryAll: (route) => service.webhooks.retryAll(route),
    },
  };
}

export const run: Command = async (args, io) => {
  const { values } = withUsage(usage, () =>
    parseArgs({
      args: [...args],
      options: {
        kafka: { type: 'string' },
        'input-topic': { type: 'string' },
        group: { type: 'string' },
        redis: { type: 'string' },
        patterns: { type: 'string' },
        rules: { type: 'string' },
        checkpoints: { type: 'string' },
        'time-zone': { type: 'string' },
        stream: { type: 'string', multiple: true },
        'checkpoint-interval': { type: 'string' },
        'first-seen-prefix': { type: 'string' },
        'from-savepoint': { type: 'string' },
        'allow-non-restored-state': { type: 'boolean' },
        'output-partitions': { type: 'string' },
        'repartition-partitions': { type: 'string' },
        'late-topic': { type: 'string' },
        'dead-letter-topic': { type: 'string' },
        'alert-history': { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'public-read': { type: 'boolean' },
        'savepoint-dir': { type: 'string' },
        'stream-buffer': { type: 'string' },
        'day-flow': { type: 'string' },
        'trajectory-length': { type: 'string' },
        'cep-state-budget': { type: 'string' },
        'cep-kept-budget': { type: 'string' },
        ...HELP,
      },
      allowPositionals: false,
      strict: true,
    }),
  );
  if (values.help === true) {
    io.stdout(usage);
    return ExitCode.ok;
  }
  const env = io.env;
  const interval = values['checkpoint-interval'] ?? env['VIGIL_CHECKPOINT_INTERVAL'];
  const partitions = values['output-partitions'];
  const log = stderrLogger(io.stderr);
  const port = portNumber(values.port ?? env['VIGIL_PORT'] ?? String(HTTP_DEFAULTS.port));
  const host = values.host ?? env['VIGIL_HOST'] ?? HTTP_DEFAULTS.host;
  const historyText = values['alert-history'] ?? env['VIGIL_ALERT_HISTORY'];
  const historyLength = historyText === undefined ? DEFAULT_ALERT_HISTORY : Number(historyText);
  if (!Number.isInteger(historyLength) || historyLength < 0 || historyText?.trim() === '')
    throw new UserError(`--alert-history must be a number of alerts (0 keeps none), got '${historyText}'`);
  const redisUrl = values.redis ?? env['VIGIL_REDIS'] ?? DEFAULT_REDIS_URL;
  const group = values.group ?? env['VIGIL_GROUP'] ?? SERVICE_DEFAULTS.group;
  const trajectoryText = values['trajectory-length'];
  const trajectoryLength = trajectoryText === undefined ? DEFAULT_TRAJECTORY_LENGTH : Number(trajectoryText);
  if (!Number.isInteger(trajectoryLength) || trajectoryLength < 0 || trajectoryText?.trim() === '')
    throw new UserError(`--trajectory-length must be a number of sightings (0 keeps none), got '${trajectoryText}'`);
  const token = env['VIGIL_TOKEN'] === undefined || env['VIGIL_TOKEN'] === '' ? undefined : env['VIGIL_TOKEN'];
  const service = new VigilService({
    cwd: io.cwd,
    kafka: values.kafka ?? env['VIGIL_KAFKA'] ?? '127.0.0.1:9092',
    redis: redisUrl,
    inputTopic: values['input-topic'] ?? env['VIGIL_INPUT_TOPIC'],
    group,
    patterns: values.patterns ?? env['VIGIL_PATTERNS'],
    rules: values.rules ?? env['VIGIL_RULES'],
    checkpoints: values.checkpoints ?? env['VIGIL_CHECKPOINTS'],
    timeZone: values['time-zone'] ?? env['VIGIL_TIME_ZONE'],
    streams: values.stream ?? [],
    ...(values['stream-buffer'] === undefined ? {} : { streamBuffer: Math.round(positiveNumber('stream-buffer', values['stream-buffer'])) }),
    checkpointIntervalMs: interval === undefined ? undefined : positiveNumber('checkpoint-interval', interval) * 1000,
    firstSeenPrefix: values['first-seen-prefix'] ?? env['VIGIL_FIRST_SEEN_PREFIX'],
    fromSavepoint: values['from-savepoint'],
    allowNonRestoredState: values['allow-non-restored-state'] === true,
    outputPartitions: partitions === undefined ? undefined : Math.round(positiveNumber('output-partitions', partitions)),
    repartitionPartitions:
      values['repartition-partitions'] === undefined ? undefined : Math.round(positiveNumber('repartition-partitions', values['repartition-partitions'])),
    lateTopic: values['late-topic'],
    deadLetterTopic: values['dead-letter-topic'],
    alertHistory: historyLength,
    ...(values['day-flow'] === undefined ? {} : { dayFlow: values['day-flow'] }),
    trajectoryLength,
    ...cepStateBudget(values['cep-state-budget'] ?? env['VIGIL_CEP_STATE_BUDGET']),
    ...cepKeptBudget(values['cep-kept-budget'] ?? env['VIGIL_CEP_KEPT_BUDGET']),
    env,
    log,
  });
  // The API reads the history on connections of its own, opened when first asked.
  const history =
    historyLength === 0
      ? undefined
      : new RedisAlertHistory({ connect: () => connectRedis({ url: redisUrl, connectionName: `vigil-api-${group}` }), keys: alertHistoryKeys(group), log });
  // Day results and trajectories: read on a connection of the API's own, opened when first asked.
  let dayConnection: Promise<Redis> | undefined;
  const dayStore = async (): Promise<DayStore> => {
    const pending = (dayConnection ??= connectRedis({ url: redisUrl, connectionName: `vigil-api-days-${group}` }));
    pending.catch(() => {
      if (dayConnection === pending) dayConnection = undefined;
    });
    return new DayStore(await pending, dayKeys(group));
  };
  const dashboard = service.dashboardInfo(values['time-zone'] ?? env['VIGIL_TIME_ZONE']);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= service.stop());
  const onSignal = (signal: string): void => {
    log.info(`vigil serve: ${signal}: draining, checkpointing and stopping`);
    void stop().catch(() => undefined);
    // A broker or Redis that is away can hold the drain for as long as the clients retry: past the deadline the
    // process leaves without its final checkpoint, which loses nothing (the next one replays from the last stored
    // checkpoint with the same alert ids), rather than waiting for an orchestrator's SIGKILL.
    setTimeout(() => {
      log.warn(`vigil serve: not stopped after ${STOP_DEADLINE_MS / 1000} s (Kafka or Redis away?); exiting, a restart resumes from the last checkpoint`);
      process.exit(0);
    }, STOP_DEADLINE_MS).unref();
  };
  // The server comes up before the service joins the group: /healthz answers and /readyz says 503 'starting'
  // while Kafka, Redis and the partition assignment are awaited (a standby member may wait there for long),
  // and a busy port or a host without a token fails at once, before the group is joined.
  const server: VigilServer = await buildServer({
    control: controlOf(service, stop),
    token,
    publicRead: values['public-read'] === true || envFlag(env['VIGIL_PUBLIC_READ']),
    savepointDir: resolve(io.cwd, values['savepoint-dir'] ?? env['VIGIL_SAVEPOINT_DIR'] ?? HTTP_DEFAULTS.savepointDir),
    log,
    ...(history === undefined ? {} : { alerts: history }),
    streams: service.streams,
    days: new RedisDayResults(dayStore, history, service.zone),
    ...(trajectoryLength === 0 ? {} : { vehicles: new RedisTrajectories(dayStore, service.zone) }),
    dashboard: { ...dashboard, vehicleLookup: trajectoryLength > 0, days: true },
  });
  try {
    log.info(`vigil serve: listening on ${await listen(server, { host, port })}`);
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
    try {
      await service.start();
      await service.done();
    } catch (error) {
      await stop().catch(() => undefined);
      throw error;
    }
    await stop();
  } finally {
    await server.close();
    await history?.close();
    if (dayConnection !== undefined) (await dayConnection.catch(() => undefined))?.disconnect();
  }
  log.info('vigil serve: stopped');
  return ExitCode.ok;
};
