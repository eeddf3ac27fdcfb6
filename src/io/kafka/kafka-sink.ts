import type { Message, Producer, Transaction } from 'kafkajs';
import type { Sink, SourcePositions } from '../../core/index.js';
import type { KafkaClient } from './client.js';

export interface KafkaSinkOptions<T> {
  readonly client: KafkaClient;
  readonly topic: string;
  /** The message key (an alert's key, say): equal keys land in the same partition, in order. null: no key. */
  readonly key: (value: T) => string | null;
  /** The message value: text, or bytes (a dead letter keeps the record's original bytes). Default JSON.stringify. */
  readonly format?: (value: T) => string | Buffer;
  /** The partition to write to; default: the key's (murmur2, as the Java client). */
  readonly partition?: (value: T) => number;
  /** Message headers (an alert's rule and severity, a dead letter's reason), so consumers route without parsing. */
  readonly headers?: (value: T) => Readonly<Record<string, string>>;
  /**
   * Transactions (exactly-once towards read_committed consumers). 'on-flush': every flush is one transaction.
   * 'explicit': flush() sends into an open transaction and the service calls commit() once the checkpoint that
   * covers the records is stored, or abort() to discard them (Flink's two-phase-commit Kafka sink).
   */
  readonly transaction?: { readonly transactionalId: string; readonly commit: 'on-flush' | 'explicit' };
  /** Messages per produce request, so no partition's record batch nears the broker's 1 MB limit. Default 500. */
  readonly maxBatchMessages?: number;
}

/**
 * A core Sink that writes keyed messages to one Kafka topic. `write` only buffers; `flush` sends with acks=all
 * (the task flushes before every checkpoint and at the end). The message timestamp is the record's event time.
 */
export class KafkaSink<T> implements Sink<T> {
  private pending: Message[] = [];
  private producer: Producer | undefined;
  private connecting: Promise<Producer> | undefined;
  private txn: Transaction | undefined;
  private readonly format: (value: T) => string | Buffer;
  private sent = 0;

  constructor(private readonly options: KafkaSinkOptions<T>) {
    this.format = options.format ?? ((v) => JSON.stringify(v));
  }

  write(value: T, timestamp: number): void {
    const message: Message = { key: this.options.key(value), value: this.format(value) };
    if (this.options.headers !== undefined) message.headers = { ...this.options.headers(value) };
    if (this.options.partition !== undefined) message.partition = this.options.partition(value);
    if (Number.isFinite(timestamp) && timestamp >= 0) message.timestamp = String(Math.trunc(timestamp));
    this.pending.push(message);
  }

  /** Messages written and not yet sent. */
  get buffered(): number {
    return this.pending.length;
  }

  /** Messages sent to the broker so far (in explicit transactions: including ones not committed yet). */
  get sentCount(): number {
    return this.sent;
  }

  private async connect(): Promise<Producer> {
    if (this.producer !== undefined) return this.producer;
    this.connecting ??= (async () => {
      const tx = this.options.transaction;
      const producer = this.options.client.producer(tx === undefined ? { idempotent: true } : { transactionalId: tx.transactionalId });
      try {
        await producer.connect();
      } catch (error) {
        // A broker that is down now may be back for the next flush: that one connects afresh.
        this.connecting = undefined;
        throw error;
      }
      this.producer = producer;
      return producer;
    })();
    return this.connecting;
  }

  async flush(): Promise<void> {
    const tx = this.options.transaction;
    if (this.pending.length === 0 && (tx === undefined || tx.commit === 'explicit')) return;
    const producer = await this.connect();
    const messages = this.pending;
    this.pending = [];
    if (tx === undefined) {
      const sent = { count: 0 };
      try {
        await this.sendAll(producer, messages, sent);
      } catch (error) {
        // What the broker did not take is kept for the next flush: a broker outage loses no message (those of the
        // failed request may be sent twice; consumers see at-least-once, as after a restart).
        this.pending = messages.slice(sent.count).concat(this.pending);
        throw error;
      }
      return;
    }
    if (messages.length === 0) return;
    const txn = this.txn ?? (this.txn = await producer.transaction());
    try {
      await this.sendAll(txn, messages);
    } catch (error) {
      await this.abort();
      throw error;
    }
    if (tx.commit === 'on-flush') await this.commit();
  }

  private async sendAll(sender: Pick<Producer, 'send'>, messages: Message[], progress = { count: 0 }): Promise<void> {
    const step = this.options.maxBatchMessages ?? 500;
    for (let from = 0; from < messages.length; from += step) {
      const part = from === 0 && messages.length <= step ? messages : messages.slice(from, from + step);
      await sender.send({ topic: this.options.topic, messages: part, acks: -1 });
      this.sent += part.length;
      progress.count += part.length;
    }
  }

  /**
   * Transactional mode: flushes what is pending and commits the open transaction. With `offsets`, the source
   * positions are committed to the consumer group inside the same transaction, so output and input progress
   * become visible together.
   */
  async commit(offsets?: { readonly groupId: string; readonly topic: string; readonly positions: SourcePositions }): Promise<void> {
    const tx = this.options.transaction;
    if (tx === undefined) throw new Error('KafkaSink.commit() needs transactional mode');
    if (this.pending.length > 0 && tx.commit === 'explicit') await this.flush();
    const producer = await this.connect();
    if (offsets !== undefined) {
      this.txn ??= await producer.transaction();
      await this.txn.sendOffsets({
        consumerGroupId: offsets.groupId,
        topics: [
          {
            topic: offsets.topic,
            partitions: Object.entries(offsets.positions)
              .filter(([p]) => Number.isInteger(Number(p)))
              .map(([p, offset]) => ({ partition: Number(p), offset: String(offset) })),
          },
        ],
      });
    }
    const txn = this.txn;
    this.txn = undefined;
    await txn?.commit();
  }

  /** Transactional mode: discards pending messages and aborts the open transaction (sent messages stay invisible to read_committed readers). */
  async abort(): Promise<void> {
    this.pending = [];
    const txn = this.txn;
    this.txn = undefined;
    if (txn?.isActive()) await txn.abort();
  }

  /** Flushes; an explicit transaction still open is aborted (its checkpoint never completed). */
  async close(): Promise<void> {
    try {
      if (this.options.transaction?.commit === 'explicit') await this.abort();
      else await this.flush();
    } finally {
      const producer = this.producer;
      this.producer = undefined;
      this.connecting = undefined;
      await producer?.disconnect();
    }
  }
}
