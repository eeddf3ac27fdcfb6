import { parseArgs } from 'node:util';
import { stderrLogger } from '../../core/index.js';
import { DEFAULT_REDIS_URL } from '../../io/redis/client.js';
import { SERVICE_DEFAULTS, VigilService } from '../../app/service/service.js';
import { type Command, ExitCode, UserError } from '../io.js';
import { HELP, withUsage } from '../flags.js';

const usage = `usage: vigil serve [--kafka host:port,...] [--input-topic ${SERVICE_DEFAULTS.inputTopic}] [--group ${SERVICE_DEFAULTS.group}]
                   [--redis ${DEFAULT_REDIS_URL}] [--patterns dir] [--rules dir] [--checkpoints file]
                   [--stream NAME ...] [--checkpoint-interval 10] [--first-seen-prefix P]
                   [--from-savepoint PATH [--allow-non-restored-state]] [--output-partitions N]
                   [--late-topic ${SERVICE_DEFAULTS.lateTopic}] [--dead-letter-topic ${SERVICE_DEFAULTS.deadLetterTopic}]

The long-running service: consumes the input topic as a member of a consumer group, runs every enabled rule,
and writes alerts to each rule's Kafka routes (keyed by alert key, with rule, severity and id headers), late
records to ${SERVICE_DEFAULTS.lateTopic}, dead letters (the original bytes, with reason, topic, partition and offset
headers) to ${SERVICE_DEFAULTS.deadLetterTopic}, and each --stream NAME to ${SERVICE_DEFAULTS.streamTopicPrefix}NAME.
first_seen lives in Redis. Every --checkpoint-interval seconds the state and the input offsets are stored in
Redis, then the offsets are committed; a restart (or another member of the group, on failover) resumes there.
Delivery is at-least-once with stable alert ids: after a crash, alerts since the last checkpoint are sent
again with the same ids. SIGTERM or SIGINT: stop consuming, drain, checkpoint, commit, exit 0.
One member of a group runs every partition; further members stand by and take over when it leaves.
Each flag can also be set in the environment: VIGIL_KAFKA, VIGIL_INPUT_TOPIC, VIGIL_GROUP, VIGIL_REDIS,
VIGIL_PATTERNS, VIGIL_RULES, VIGIL_CHECKPOINTS, VIGIL_CHECKPOINT_INTERVAL, VIGIL_FIRST_SEEN_PREFIX.
`;

function positiveNumber(flag: string, text: string): number {
  const n = Number(text);
  if (!(n > 0) || !Number.isFinite(n)) throw new UserError(`--${flag} must be a positive number, got '${text}'`);
  return n;
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
        stream: { type: 'string', multiple: true },
        'checkpoint-interval': { type: 'string' },
        'first-seen-prefix': { type: 'string' },
        'from-savepoint': { type: 'string' },
        'allow-non-restored-state': { type: 'boolean' },
        'output-partitions': { type: 'string' },
        'late-topic': { type: 'string' },
        'dead-letter-topic': { type: 'string' },
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
  const service = new VigilService({
    cwd: io.cwd,
    kafka: values.kafka ?? env['VIGIL_KAFKA'] ?? '127.0.0.1:9092',
    redis: values.redis ?? env['VIGIL_REDIS'] ?? DEFAULT_REDIS_URL,
    inputTopic: values['input-topic'] ?? env['VIGIL_INPUT_TOPIC'],
    group: values.group ?? env['VIGIL_GROUP'],
    patterns: values.patterns ?? env['VIGIL_PATTERNS'],
    rules: values.rules ?? env['VIGIL_RULES'],
    checkpoints: values.checkpoints ?? env['VIGIL_CHECKPOINTS'],
    streams: values.stream ?? [],
    checkpointIntervalMs: interval === undefined ? undefined : positiveNumber('checkpoint-interval', interval) * 1000,
    firstSeenPrefix: values['first-seen-prefix'] ?? env['VIGIL_FIRST_SEEN_PREFIX'],
    fromSavepoint: values['from-savepoint'],
    allowNonRestoredState: values['allow-non-restored-state'] === true,
    outputPartitions: partitions === undefined ? undefined : Math.round(positiveNumber('output-partitions', partitions)),
    lateTopic: values['late-topic'],
    deadLetterTopic: values['dead-letter-topic'],
    log,
  });
  const onSignal = (signal: string): void => {
    log.info(`vigil serve: ${signal}: draining, checkpointing and stopping`);
    void service.stop();
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
  try {
    await service.start();
    await service.done();
  } catch (error) {
    await service.stop().catch(() => undefined);
    throw error;
  }
  await service.stop();
  log.info('vigil serve: stopped');
  return ExitCode.ok;
};
