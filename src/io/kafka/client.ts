import { type Admin, type Consumer, Kafka, type LogEntry, logLevel, type PartitionAssigner, PartitionAssigners, Partitioners, type Producer } from 'kafkajs';
import type { Logger } from '../../core/index.js';

/**
 * The only module that constructs kafkajs objects. kafkajs is in maintenance mode upstream, so everything else in
 * Vigil talks to Kafka through this adapter (and the source and sink built on it): replacing the client library
 * means rewriting this folder, not the service.
 */

export type KafkaLogLevel = 'nothing' | 'error' | 'warn' | 'info';

export interface KafkaClientConfig {
  /** A broker list: 'host:port,host:port' (the --kafka flag / VIGIL_KAFKA) or an array. */
  readonly brokers: string | readonly string[];
  readonly clientId?: string;
  /** kafkajs' own logging, forwarded to `log`. Default 'error': quiet unless something breaks. */
  readonly logLevel?: KafkaLogLevel;
  readonly log?: Logger;
  readonly connectionTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
}

export interface TopicSpec {
  readonly topic: string;
  readonly partitions?: number;
  readonly replicationFactor?: number;
  /** Topic-level configs, e.g. { 'retention.ms': '86400000' }. */
  readonly config?: Readonly<Record<string, string>>;
}

/** 'a:9092, b:9092' -> ['a:9092', 'b:9092']; refuses an empty list or an entry without a port. */
export function parseBrokerList(brokers: string | readonly string[]): string[] {
  const list = (typeof brokers === 'string' ? brokers.split(',') : [...brokers]).map((b) => b.trim()).filter((b) => b.length > 0);
  if (list.length === 0) throw new Error('no Kafka brokers given (expected host:port[,host:port...])');
  for (const b of list) {
    if (!/^[^:\s]+:\d{1,5}$/.test(b) && !/^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(b)) {
      throw new Error(`Kafka broker '${b}' is not host:port`);
    }
  }
  return list;
}

/** How long ensureTopics waits for the partitions it created to be served. */
const TOPIC_READY_MS = 30_000;

const LEVELS: Record<KafkaLogLevel, logLevel> = {
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
};

export class KafkaClient {
  readonly brokers: readonly string[];
  readonly kafka: Kafka;
  private adminClient: Admin | undefined;
  private adminConnecting: Promise<Admin> | undefined;

  constructor(readonly config: KafkaClientConfig) {
    this.brokers = parseBrokerList(config.brokers);
    const log = config.log;
    this.kafka = new Kafka({
      clientId: config.clientId ?? 'vigil',
      brokers: [...this.brokers],
      connectionTimeout: config.connectionTimeoutMs ?? 3000,
      requestTimeout: config.requestTimeoutMs ?? 30_000,
      logLevel: LEVELS[config.logLevel ?? 'error'],
      // kafkajs prints to the console by default; route its entries to our logger or drop them.
      logCreator: () => (entry: LogEntry) => {
        if (log === undefined) return;
        const { message, timestamp: _ts, ...fields } = entry.log;
        const text = `kafka ${entry.namespace}: ${message}`;
        if (entry.level <= logLevel.WARN) log.warn(text, fields);
        else log.info(text, fields);
      },
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 5000 },
    });
  }

  /** A producer with the murmur2 partitioner (the Java client's), so keys land where Java producers put them. */
  producer(options: { transactionalId?: string; idempotent?: boolean } = {}): Producer {
    const transactional = options.transactionalId !== undefined;
    return this.kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: true,
      // Transactions need an idempotent producer with one request in flight (kafkajs enforces both).
      idempotent: transactional || options.idempotent === true,
      maxInFlightRequests: transactional || options.idempotent === true ? 1 : 5,
      ...(transactional ? { transactionalId: options.transactionalId } : {}),
    });
  }

  consumer(options: {
    groupId: string;
    readUncommitted?: boolean;
    sessionTimeoutMs?: number;
    heartbeatIntervalMs?: number;
    maxWaitTimeMs?: number;
    minBytes?: number;
    maxBytesPerPartition?: number;
    assigner?: PartitionAssigner;
  }): Consumer {
    return this.kafka.consumer({
      groupId: options.groupId,
      readUncommitted: options.readUncommitted ?? false,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: options.heartbeatIntervalMs ?? 3000,
      maxWaitTimeInMs: options.maxWaitTimeMs ?? 500,
      minBytes: options.minBytes ?? 1,
      maxBytesPerPartition: options.maxBytesPerPartition ?? 1 << 20,
      allowAutoTopicCreation: false,
      partitionAssigners: [options.assigner ?? PartitionAssigners.roundRobin],
      retry: { retries: 5 },
    });
  }

  /** One shared admin connection, opened on first use. */
  async admin(): Promise<Admin> {
    if (this.adminClient !== undefined) return this.adminClient;
    this.adminConnecting ??= (async () => {
      const admin = this.kafka.admin();
      try {
        await admin.connect();
      } catch (error) {
        this.adminConnecting = undefined;
        throw new Error(`cannot reach Kafka at ${this.brokers.join(',')}: ${(error as Error).message}`);
      }
      this.adminClient = admin;
      return admin;
    })();
    return this.adminConnecting;
  }

  /** Creates the topics that do not exist yet; existing ones are left as they are. Returns the names it created. */
  async ensureTopics(topics: readonly TopicSpec[]): Promise<string[]> {
    const admin = await this.admin();
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length === 0) return [];
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((t) => ({
        topic: t.topic,
        numPartitions: t.partitions ?? 1,
        replicationFactor: t.replicationFactor ?? 1,
        configEntries: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value })),
      })),
    });
    // A leader in the metadata does not mean the broker hosts the partition yet: a consumer or producer that comes
    // at once may get UNKNOWN_TOPIC_OR_PARTITION ("This server does not host this topic-partition") and, past the
    // client's few retries, fail its start. Wait until every new partition answers an offset request.
    const deadline = Date.now() + TOPIC_READY_MS;
    for (const t of missing) {
      for (;;) {
        const ready = await admin
          .fetchTopicOffsets(t.topic)
          .then((offsets) => offsets.length === (t.partitions ?? 1))
          .catch(() => false);
        if (ready) break;
        if (Date.now() > deadline) throw new Error(`Kafka topic '${t.topic}' was created but its partitions are not served after ${TOPIC_READY_MS / 1000} s`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return missing.map((t) => t.topic);
  }

  async deleteTopics(topics: readonly string[]): Promise<void> {
    if (topics.length === 0) return;
    const admin = await this.admin();
    await admin.deleteTopics({ topics: [...topics] });
  }

  /** Per partition: the offset the next produced record will get (the high watermark). */
  async endOffsets(topic: string): Promise<Map<number, number>> {
    const admin = await this.admin();
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, Number(o.high)]));
  }

  /** Per partition: the earliest offset still in the log (low) and the next one to be written (high). */
  async offsetBounds(topic: string): Promise<Map<number, { low: number; high: number }>> {
    const admin = await this.admin();
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, { low: Number(o.low), high: Number(o.high) }]));
  }

  /** The offsets a consumer group has committed for a topic (partitions without a commit are left out). */
  async committedOffsets(groupId: string, topic: string): Promise<Map<number, number>> {
    const admin = await this.admin();
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const out = new Map<number, number>();
    for (const p of entry?.partitions ?? []) if (Number(p.offset) >= 0) out.set(p.partition, Number(p.offset));
    return out;
  }

  async close(): Promise<void> {
    const admin = this.adminClient;
    this.adminClient = undefined;
    this.adminConnecting = undefined;
    await admin?.disconnect();
  }
}
