import type { Consumer, EachBatchPayload, KafkaMessage, PartitionAssigner } from 'kafkajs';
import type { Deserializer, ParseContext, PollResult, Source, SourceBatch, SourcePositions } from '../../core/index.js';
import type { KafkaClient } from './client.js';

/** One Kafka message as the job sees it. `value` is the message text (NDJSON-compatible JSON for traffic). */
export interface KafkaRecord {
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  /** The message value as UTF-8 text; '' for a null value (a tombstone). */
  readonly value: string;
  /** The message timestamp (producer create time or broker append time), epoch ms. */
  readonly timestamp: number;
}

/** What changed when the group handed this member a new set of partitions. */
export interface AssignmentChange {
  /** The full assignment now. */
  readonly partitions: readonly number[];
  /** Newly assigned partitions: their state must be restored and their positions sought. */
  readonly assigned: readonly number[];
  /** Partitions taken away: their buffered records were dropped; another member reads them now. */
  readonly revoked: readonly number[];
}

export interface KafkaSourceOptions {
  readonly client: KafkaClient;
  readonly topic: string;
  readonly groupId: string;
  /** Where a partition with no committed offset starts. Default true (earliest), as Kafka Streams. */
  readonly fromBeginning?: boolean;
  /** Records buffered before the consumer pauses fetching (backpressure). Default 10 000. */
  readonly maxBuffered?: number;
  /** See `onAssignment`. */
  readonly onAssignment?: (change: AssignmentChange) => Promise<void> | void;
  /** Read records of open and aborted transactions too. Default false (read_committed). */
  readonly readUncommitted?: boolean;
  /** Upper bound of one fetch per partition, so the buffer's overshoot past maxBuffered is bounded. Default 1 MiB. */
  readonly maxBytesPerPartition?: number;
  readonly sessionTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  /** Wait for the first assignment in start(). Default 30 s. */
  readonly startTimeoutMs?: number;
  /**
   * How message values become text. 'utf8' (default) decodes; 'latin1' keeps one char per byte, the byte lines
   * Vigil's record parser reads (decoding is deferred to the fields that need it, and dead letters keep the bytes).
   */
  readonly valueEncoding?: 'utf8' | 'latin1';
  /** How long a fetch waits for data on the broker; lower means less latency per hop, more requests. Default 500. */
  readonly maxWaitTimeMs?: number;
  /**
   * Bytes a fetch waits for (up to maxWaitTimeMs) before the broker answers. Default 1: at once. More makes one
   * request of what would be many small ones on a busy topic, each a round trip in the client and the broker.
   */
  readonly minBytes?: number;
  /** How the group splits partitions among its members. Default kafkajs' round robin. */
  readonly assigner?: PartitionAssigner;
}

interface Chunk {
  readonly partition: number;
  readonly firstOffset: number;
  readonly records: KafkaRecord[];
}

/**
 * A core Source over one Kafka topic, as a member of a consumer group.
 *
 * - kafkajs' `eachBatch` feeds an internal queue of contiguous runs of messages; `poll()` hands them out one run at a
 *   time (one partition per batch), or 'idle' when nothing is buffered. The source never ends ('end' only after
 *   close). When more than `maxBuffered` records wait, the topic is paused and resumed once half has drained.
 * - Offsets are manual: nothing is auto-committed. `positions()` is partition -> next offset after the last batch
 *   poll() returned (what a checkpoint stores); `commit()` commits positions to the group once the checkpoint that
 *   holds them is durable; `seek()` (restore) moves the named partitions and drops what was buffered for them.
 * - A batch never spans an offset gap (transaction markers, compaction), so record i of a batch has offset
 *   firstOffset + i, as the core contract says.
 *
 * Rebalances: kafkajs uses the eager protocol, so a rebalance revokes everything and hands out a new assignment,
 * reported by its GROUP_JOIN event. Then this source
 *   1. drops the buffered records of revoked partitions (their new owner reads them from the committed offset,
 *      so whatever this member processed after its last commit is processed again there: at-least-once, unless
 *      the output is transactional and committed with the checkpoint),
 *   2. keeps retained partitions where they were (it seeks the consumer to the next unfetched offset, because
 *      kafkajs would otherwise restart them from the last commit),
 *   3. calls `onAssignment` with the change and returns 'idle' from poll() until the hook's promise settles, so
 *      the service can restore the state for newly assigned partitions and seek them before any of their records
 *      is handed out. A task's watermark tracker and keyed state were built for the old partition set, so the
 *      service is expected to close its task and build a new one over `partitions()` (one task per partition set).
 *      A hook that throws makes the next poll() throw, once: the caller restores its tasks over `partitions()`.
 */
export class KafkaSource implements Source<KafkaRecord> {
  readonly name: string;
  private readonly client: KafkaClient;
  private readonly topic: string;
  private readonly maxBuffered: number;
  private consumer: Consumer | undefined;
  private assigned: number[] = [];
  private readonly queue: Chunk[] = [];
  private queueHead = 0;
  private buffered = 0;
  private paused = false;
  /** partition -> offset after the last record handed out by poll() (or of the first fetched record, before that). */
  private readonly position = new Map<number, number>();
  /** partition -> offset after the last record received from kafkajs (buffered or handed out). */
  private readonly fetched = new Map<number, number>();
  /** partition -> the broker's high watermark as the last fetch reported it (for lag). */
  private readonly highWatermarks = new Map<number, number>();
  private gate: Promise<void> | undefined;
  /** A consumer kafkajs gave up on is being replaced (see restartLater). */
  private restarting = false;
  /** Crashes since the last group join: the back-off before the next restart grows with them. */
  private crashes = 0;
  /** The assignment hook threw: the next poll() throws it, once (the service restores its tasks and goes on). */
  private hookFailure: Error | undefined;
  private closed = false;
  private firstJoin: (() => void) | undefined;
  private joins = 0;

  /** The consumer group this source reads in. */
  get groupId(): string {
    return this.options.groupId;
  }

  constructor(private readonly options: KafkaSourceOptions) {
    this.client = options.client;
    this.topic = options.topic;
    this.name = `kafka:${options.topic}`;
    this.maxBuffered = options.maxBuffered ?? 10_000;
  }

  /** Joins the group and waits for the first assignment (which may be empty when the group has more members than partitions). */
  async start(): Promise<void> {
    if (this.consumer !== undefined) return;
    const consumer = this.newConsumer();
    this.consumer = consumer;
    const joined = new Promise<void>((resolve) => (this.firstJoin = resolve));
    try {
      await this.run(consumer);
    } catch (error) {
      if (/does not host this topic-partition/.test((error as Error).message)) {
        throw new Error(`Kafka source: topic '${this.topic}' does not exist (create it first: KafkaClient.ensureTopics)`);
      }
      throw new Error(
        `Kafka source ${this.topic}: cannot join group '${this.options.groupId}' at ${this.client.brokers.join(',')}: ${(error as Error).message}`,
      );
    }
    const timeoutMs = this.options.startTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Kafka source ${this.topic}: no partition assignment within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([joined, timeout]);
    } finally {
      clearTimeout(timer);
    }
    if (this.gate !== undefined) await this.gate;
  }

  private newConsumer(): Consumer {
    const consumer = this.client.consumer({
      groupId: this.options.groupId,
      readUncommitted: this.options.readUncommitted ?? false,
      ...(this.options.maxBytesPerPartition !== undefined ? { maxBytesPerPartition: this.options.maxBytesPerPartition } : {}),
      ...(this.options.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: this.options.sessionTimeoutMs } : {}),
      ...(this.options.heartbeatIntervalMs !== undefined ? { heartbeatIntervalMs: this.options.heartbeatIntervalMs } : {}),
      ...(this.options.assigner !== undefined ? { assigner: this.options.assigner } : {}),
      ...(this.options.maxWaitTimeMs !== undefined ? { maxWaitTimeMs: this.options.maxWaitTimeMs } : {}),
      ...(this.options.minBytes !== undefined ? { minBytes: this.options.minBytes } : {}),
    });
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.crashes = 0;
      this.onJoin(e.payload.memberAssignment[this.topic] ?? []);
    });
    consumer.on(consumer.events.CRASH, (e) => {
      if (!e.payload.restart) this.restartLater();
    });
    return consumer;
  }

  private async run(consumer: Consumer): Promise<void> {
    await consumer.connect();
    await consumer.subscribe({ topics: [this.topic], fromBeginning: this.options.fromBeginning ?? true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  /**
   * kafkajs gives up on a consumer after errors it does not retry, some of which a restarting broker answers
   * ("Failed to find group coordinator"): a new consumer joins the group in its place after a back-off (0.5 s
   * doubling to 15 s), and the group hands it the partitions again (retained ones continue where they were).
   */
  private restartLater(): void {
    if (this.closed || this.restarting) return;
    this.restarting = true;
    const delay = Math.min(15_000, 500 * 2 ** Math.min(this.crashes++, 5));
    const timer = setTimeout(() => {
      void this.restart().then((ok) => {
        this.restarting = false;
        if (!ok) this.restartLater();
      });
    }, delay);
    timer.unref();
  }

  private async restart(): Promise<boolean> {
    await this.consumer?.disconnect().catch(() => undefined);
    if (this.closed) return true;
    const consumer = this.newConsumer();
    this.consumer = consumer;
    this.paused = false;
    try {
      await this.run(consumer);
      return true;
    } catch {
      return this.closed;
    }
  }

  /**
   * Records of `partition` behind the end of its log, as of the last fetch: the high watermark it reported less
   * the position poll() reached. NaN before the partition's first fetch.
   */
  lag(partition: number): number {
    const high = this.highWatermarks.get(partition);
    const position = this.position.get(partition) ?? this.fetched.get(partition);
    if (high === undefined || position === undefined) return Number.NaN;
    return Math.max(0, high - position);
  }

  /** The partitions currently assigned to this member, ascending. */
  partitions(): readonly number[] {
    return this.assigned;
  }

  /** How many group joins (assignments) this member has seen: a change means the partition set may have moved. */
  get generation(): number {
    return this.joins;
  }

  private onJoin(partitions: readonly number[]): void {
    const next = [...partitions].sort((a, b) => a - b);
    const prev = new Set(this.assigned);
    const nextSet = new Set(next);
    const revoked = this.assigned.filter((p) => !nextSet.has(p));
    const added = next.filter((p) => !prev.has(p));
    for (const p of revoked) {
      this.dropBuffered(p);
      this.position.delete(p);
      this.fetched.delete(p);
    }
    // kafkajs restarts every partition from its committed offset after a rebalance; continue where we were.
    for (const p of next) {
      const at = this.fetched.get(p);
      if (at !== undefined && prev.has(p)) this.consumer?.seek({ topic: this.topic, partition: p, offset: String(at) });
    }
    this.assigned = next;
    this.joins++;
    const hook = this.options.onAssignment;
    const first = this.firstJoin;
    this.firstJoin = undefined;
    if (hook !== undefined && (added.length > 0 || revoked.length > 0 || first !== undefined)) {
      const change: AssignmentChange = { partitions: next, assigned: added, revoked };
      const gate: Promise<void> = Promise.resolve()
        .then(() => hook(change))
        .catch((error: unknown) => {
          this.hookFailure = error instanceof Error ? error : new Error(String(error));
        })
        .finally(() => {
          if (this.gate === gate) this.gate = undefined;
        });
      this.gate = gate;
    }
    first?.();
  }

  private async onBatch({ batch, isStale, resolveOffset }: EachBatchPayload): Promise<void> {
    if (this.closed || isStale()) return; // a seek is pending: kafkajs refetches from the new offset
    const partition = batch.partition;
    const messages = batch.messages;
    const high = Number(batch.highWatermark);
    if (Number.isFinite(high)) this.highWatermarks.set(partition, high);
    if (messages.length === 0) {
      resolveOffset(batch.lastOffset());
      return;
    }
    const encoding = this.options.valueEncoding ?? 'utf8';
    let expected = this.fetched.get(partition);
    let chunk: Chunk | undefined;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i] as KafkaMessage;
      const offset = Number(m.offset);
      // Already received (a refetch after a rebalance raced our seek): skip, never hand out twice.
      if (expected !== undefined && offset < expected) continue;
      if (chunk === undefined || offset !== chunk.firstOffset + chunk.records.length) {
        if (chunk !== undefined) this.enqueue(chunk);
        chunk = { partition, firstOffset: offset, records: [] };
      }
      chunk.records.push({
        partition,
        offset,
        key: m.key === null ? null : m.key.toString('utf8'),
        value: m.value === null ? '' : m.value.toString(encoding),
        timestamp: Number(m.timestamp),
      });
      expected = offset + 1;
    }
    if (chunk !== undefined) this.enqueue(chunk);
    if (expected !== undefined) this.fetched.set(partition, expected);
    // Resolving the last message also resolves a trailing transaction marker (kafkajs maps it).
    resolveOffset((messages[messages.length - 1] as KafkaMessage).offset);
    if (this.buffered >= this.maxBuffered && !this.paused && this.consumer !== undefined) {
      this.paused = true;
      this.consumer.pause([{ topic: this.topic }]);
    }
  }

  private enqueue(chunk: Chunk): void {
    // Nothing before a partition's first fetched record is ours to read: a checkpoint taken now may say so.
    if (!this.position.has(chunk.partition)) this.position.set(chunk.partition, chunk.firstOffset);
    this.queue.push(chunk);
    this.buffered += chunk.records.length;
  }

  private dropBuffered(partition: number): void {
    let kept = 0;
    const q = this.queue;
    for (let i = this.queueHead; i < q.length; i++) {
      const c = q[i] as Chunk;
      if (c.partition === partition) this.buffered -= c.records.length;
      else q[kept++] = c;
    }
    q.length = kept;
    this.queueHead = 0;
    // Dropping what a seek or a revocation made stale may be what drains a paused buffer: fetching must go on.
    this.resumeIfDrained();
  }

  private resumeIfDrained(): void {
    if (this.paused && this.buffered <= this.maxBuffered >> 1 && this.consumer !== undefined) {
      this.paused = false;
      this.consumer.resume([{ topic: this.topic }]);
    }
  }

  async poll(): Promise<PollResult<KafkaRecord>> {
    const hookFailure = this.hookFailure;
    if (hookFailure !== undefined) {
      this.hookFailure = undefined;
      throw hookFailure;
    }
    if (this.closed) return 'end';
    if (this.consumer === undefined) throw new Error(`Kafka source ${this.topic}: poll() before start()`);
    if (this.gate !== undefined || this.queueHead >= this.queue.length) return 'idle';
    const chunk = this.queue[this.queueHead] as Chunk;
    this.queue[this.queueHead++] = undefined as unknown as Chunk; // let the records go once handed out
    if (this.queueHead === this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
    }
    this.buffered -= chunk.records.length;
    this.position.set(chunk.partition, chunk.firstOffset + chunk.records.length);
    this.resumeIfDrained();
    const batch: SourceBatch<KafkaRecord> = { partition: chunk.partition, records: chunk.records, firstOffset: chunk.firstOffset, endOfPartition: false };
    return batch;
  }

  /** Records received and not yet handed out by poll(). */
  get bufferedRecords(): number {
    return this.buffered;
  }

  positions(): SourcePositions {
    const out: Record<string, number> = {};
    for (const [p, offset] of this.position) out[p] = offset;
    return out;
  }

  /**
   * Moves assigned partitions to the given offsets and drops what was buffered for them. Partitions not assigned
   * to this member are ignored (another member owns them); partitions not named keep their place.
   */
  async seek(positions: SourcePositions): Promise<void> {
    const consumer = this.consumer;
    if (consumer === undefined) throw new Error(`Kafka source ${this.topic}: seek() before start()`);
    const assigned = new Set(this.assigned);
    for (const [key, offset] of Object.entries(positions)) {
      const p = Number(key);
      if (!Number.isInteger(p) || !assigned.has(p)) continue;
      this.dropBuffered(p);
      consumer.seek({ topic: this.topic, partition: p, offset: String(offset) });
      this.position.set(p, offset);
      this.fetched.set(p, offset);
    }
  }

  /**
   * Moves assigned partitions back to where the group starts them: the committed offset, else the earliest
   * (or, without fromBeginning, the latest). For a partition whose state restarts empty after a failure.
   */
  async rewind(partitions: readonly number[]): Promise<void> {
    if (partitions.length === 0) return;
    const committed = await this.client.committedOffsets(this.options.groupId, this.topic);
    const bounds = await this.client.offsetBounds(this.topic);
    const fromBeginning = this.options.fromBeginning ?? true;
    const to: Record<string, number> = {};
    for (const p of partitions) {
      const bound = bounds.get(p);
      const at = committed.get(p) ?? (fromBeginning ? bound?.low : bound?.high);
      if (at !== undefined) to[p] = at;
    }
    await this.seek(to);
  }

  /**
   * Commits positions to the consumer group (default: positions()). Call it once the checkpoint holding them is
   * stored, so a member without that checkpoint still resumes at a consistent point. Only assigned partitions.
   */
  async commit(positions: SourcePositions = this.positions()): Promise<void> {
    const consumer = this.consumer;
    if (consumer === undefined) throw new Error(`Kafka source ${this.topic}: commit() before start()`);
    const assigned = new Set(this.assigned);
    const offsets = Object.entries(positions)
      .filter(([key]) => assigned.has(Number(key)))
      .map(([key, offset]) => ({ topic: this.topic, partition: Number(key), offset: String(offset) }));
    if (offsets.length > 0) await consumer.commitOffsets(offsets);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.queueHead = 0;
    this.buffered = 0;
    await this.consumer?.disconnect();
  }
}

/** Adapts a deserializer of message text (e.g. parseNdjsonLine) to Kafka records. */
export function kafkaValueDeserializer<T>(parseValue: Deserializer<string, T>): Deserializer<KafkaRecord, T> {
  return (record: KafkaRecord, ctx: ParseContext<T>) => parseValue(record.value, ctx);
}
