import type { EventCodec } from '../../cep/index.js';
import type { KeySelector, Operator, OperatorContext, PollResult, Source, SourceBatch, SourcePositions } from '../../core/index.js';
import type { KafkaSink } from '../../io/kafka/kafka-sink.js';

/*
 * Records crossing an exchange travel through a repartition topic as JSON envelopes, one message per producer,
 * partition and batch (a message per record would cost more in the Kafka client than the job does per record):
 *   {"f": producer, "b": [{"s": seq, "t": event time, "v": record}, ...]}   records
 *   {"f": producer, "w": watermark}                           the producer's watermark, to every partition
 *   {"f": producer, "i": 1}                                   the producer is idle: leave it out of the minimum
 * A producer is one writer of one task ("stage#partition#writer"). Its sequence numbers rise by one per record
 * and are kept in its task's checkpoints, so a producer restored after a crash replays the same records with the
 * same numbers, and the reader drops what it has seen (its own checkpoint keeps the highest number per producer).
 * The reader's watermark is the minimum over every producer it expects that is not idle, as Flink takes the
 * minimum over its input channels.
 */

/** One message for a repartition topic: its partition, key (none: a message holds many keys) and JSON body. */
export interface ExchangeMessage {
  readonly partition: number;
  readonly key: string | null;
  readonly body: string;
}

/** A record or a watermark handed by a reader to its task. */
export type ExchangeItem = { readonly t: number; readonly v: unknown } | { readonly w: number };

/**
 * Characters of record JSON per message. The broker's limit (1 MB by default) is on a partition's batch in one
 * produce request: at most EXCHANGE_MESSAGES_PER_SEND messages of this size, 3 bytes a char at worst, stay under it.
 */
const MESSAGE_CHARS = 128 * 1024;
export const EXCHANGE_MESSAGES_PER_SEND = 2;

/**
 * A record's JSON through the codec, remembered for the last record: one record reaches every exchange its stage
 * writes into one after the other (the shipped rules: five), and is then serialised once, not five times.
 */
export class RecordJson {
  private last: unknown = undefined;
  private json = '';
  constructor(private readonly codec: EventCodec<unknown>) {}
  of(value: unknown): string {
    if (value !== this.last || this.last === undefined) {
      this.json = JSON.stringify(this.codec.encode(value));
      this.last = value;
    }
    return this.json;
  }
}

/** FNV-1a of the key, modulo the partitions: the same key always lands on the same partition. */
export function partitionOf(key: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}

export function producerId(stage: string, partition: number, writer: number): string {
  return `${stage}#${partition}#${writer}`;
}

/**
 * The operator at a stage's exit: writes each record to the partition of the repartition topic its key belongs
 * to, and the watermark (on `flushWatermark`, once per batch rather than once per record) to every partition.
 */
export class ExchangeWriter implements Operator<unknown, never> {
  private seq = 0;
  /** Per partition, the records of this batch as JSON items, sent as one message by flushWatermark. */
  private readonly pending: string[][];
  private readonly head: string;
  private watermark = Number.NEGATIVE_INFINITY;
  private sentWatermark = Number.NEGATIVE_INFINITY;
  private idle = false;

  constructor(
    readonly uid: string,
    private readonly producer: string,
    private readonly key: KeySelector<unknown>,
    private readonly partitions: number,
    private readonly sink: KafkaSink<ExchangeMessage>,
    private readonly json: RecordJson,
  ) {
    this.pending = Array.from({ length: partitions }, () => []);
    this.head = `{"f":${JSON.stringify(producer)},"b":[`;
  }

  open(_ctx: OperatorContext<never>): void {}

  processElement(value: unknown, timestamp: number): void {
    const k = this.key(value);
    const key = k === null || k === undefined ? '' : String(k);
    this.idle = false;
    (this.pending[partitionOf(key, this.partitions)] as string[]).push(`{"s":${++this.seq},"t":${timestamp},"v":${this.json.of(value)}}`);
  }

  /** This batch's records, one message per partition (cut below the broker's 1 MB message limit). */
  private flushRecords(): void {
    for (let p = 0; p < this.partitions; p++) {
      const items = this.pending[p] as string[];
      if (items.length === 0) continue;
      let from = 0;
      let bytes = 0;
      for (let i = 0; i < items.length; i++) {
        bytes += (items[i] as string).length;
        if (bytes > MESSAGE_CHARS && i > from) {
          this.sink.write({ partition: p, key: null, body: `${this.head}${items.slice(from, i).join(',')}]}` }, -1);
          from = i;
          bytes = (items[i] as string).length;
        }
      }
      this.sink.write({ partition: p, key: null, body: `${this.head}${(from === 0 ? items : items.slice(from)).join(',')}]}` }, -1);
      this.pending[p] = [];
    }
  }

  processWatermark(watermark: number): void {
    if (watermark > this.watermark) this.watermark = watermark;
  }

  /** Sends this batch's records, then the watermark to every partition when it moved. */
  flushWatermark(): void {
    this.flushRecords();
    // An idle spell ends with a record, which readers take as the producer's return: no watermark is re-sent for it.
    if (this.watermark <= this.sentWatermark) return;
    if (this.watermark === Number.NEGATIVE_INFINITY) return;
    this.sentWatermark = this.watermark;
    this.broadcast(JSON.stringify({ f: this.producer, w: this.watermark === Number.POSITIVE_INFINITY ? Number.MAX_SAFE_INTEGER : this.watermark }));
  }

  /** The task has had no input for its source's idle timeout: readers stop waiting for this producer. */
  markIdle(): void {
    if (this.idle) return;
    this.flushRecords();
    this.idle = true;
    this.broadcast(JSON.stringify({ f: this.producer, i: 1 }));
  }

  private broadcast(body: string): void {
    for (let p = 0; p < this.partitions; p++) this.sink.write({ partition: p, key: null, body }, -1);
  }

  snapshotState(): unknown {
    return { seq: this.seq };
  }

  restoreState(state: unknown): void {
    const s = state as { seq?: unknown } | undefined;
    this.seq = typeof s?.seq === 'number' ? s.seq : 0;
  }
}

/**
 * One partition of a topic as a task's source: the service polls the topic's consumer and pushes each batch to
 * the view of its partition, whose task then steps over it. Positions are this partition's only.
 */
export class PartitionFeed<R> implements Source<R> {
  readonly name: string;
  private readonly queue: SourceBatch<R>[] = [];
  private next: number | undefined;

  constructor(
    topic: string,
    readonly partition: number,
    private readonly seekTo: (offset: number) => Promise<void>,
  ) {
    this.name = `kafka:${topic}#${partition}`;
  }

  push(batch: SourceBatch<R>): void {
    this.queue.push(batch);
  }

  get pending(): number {
    return this.queue.length;
  }

  partitions(): readonly number[] {
    return [this.partition];
  }

  async poll(): Promise<PollResult<R>> {
    const b = this.queue.shift();
    if (b === undefined) return 'idle';
    this.next = b.firstOffset + b.records.length;
    return b;
  }

  positions(): SourcePositions {
    return this.next === undefined ? {} : { [this.partition]: this.next };
  }

  async seek(positions: SourcePositions): Promise<void> {
    const offset = positions[this.partition];
    if (offset === undefined) return;
    this.queue.length = 0;
    this.next = offset;
    await this.seekTo(offset);
  }

  async close(): Promise<void> {}
}

interface ProducerState {
  seq: number;
  watermark: number;
  idle: boolean;
}

/**
 * A repartition topic's partition as a task's source of records and watermarks: parses envelopes, drops records a
 * restored producer sends again, and turns producers' watermarks into the minimum over the expected producers.
 * Its bookkeeping rides in the source positions (`s:`, `w:`, `i:` keys), so it is checkpointed with the offset.
 */
export class ExchangeReader implements Source<ExchangeItem> {
  readonly name: string;
  private readonly producers = new Map<string, ProducerState>();
  private emitted = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly feed: PartitionFeed<string>,
    private readonly expected: readonly string[],
    private readonly codec: EventCodec<unknown>,
  ) {
    this.name = feed.name;
    for (const f of expected) this.producers.set(f, { seq: 0, watermark: Number.NEGATIVE_INFINITY, idle: false });
  }

  partitions(): readonly number[] {
    return this.feed.partitions();
  }

  async poll(): Promise<PollResult<ExchangeItem>> {
    const b = await this.feed.poll();
    if (typeof b === 'string') return b;
    const items: ExchangeItem[] = [];
    let moved = false;
    for (const line of b.records) {
      const m = JSON.parse(line) as { f: string; b?: { s: number; t: number; v: unknown }[]; w?: number; i?: number };
      const p = this.producer(m.f);
      if (m.b !== undefined) {
        for (const r of m.b) {
          if (r.s <= p.seq) continue; // sent again by a producer replaying from its checkpoint
          p.seq = r.s;
          items.push({ t: r.t, v: this.codec.decode(r.v) });
        }
        p.idle = false;
      } else if (m.w !== undefined) {
        p.idle = false;
        if (m.w > p.watermark) p.watermark = m.w;
        moved = true;
      } else if (m.i !== undefined) {
        p.idle = true;
        moved = true;
      }
      if (moved) {
        moved = false;
        const wm = this.minimum();
        if (wm > this.emitted) {
          this.emitted = wm;
          items.push({ w: wm });
        }
      }
    }
    // Offsets stay those of the topic: a batch of n messages may hand out fewer items, so items are not offsets.
    return { partition: b.partition, records: items, firstOffset: b.firstOffset, endOfPartition: false };
  }

  private producer(f: string): ProducerState {
    let p = this.producers.get(f);
    if (p === undefined) {
      // A producer the plan does not know (a job changed under an old topic): count it, never wait for it.
      p = { seq: 0, watermark: Number.NEGATIVE_INFINITY, idle: true };
      this.producers.set(f, p);
    }
    return p;
  }

  private minimum(): number {
    let min = Number.POSITIVE_INFINITY;
    let active = 0;
    for (const f of this.expected) {
      const p = this.producers.get(f) as ProducerState;
      if (p.idle) continue;
      active++;
      if (p.watermark < min) min = p.watermark;
    }
    return active === 0 ? Number.NEGATIVE_INFINITY : min;
  }

  positions(): SourcePositions {
    const out: Record<string, number> = { ...this.feed.positions() };
    for (const [f, p] of this.producers) {
      out[`s:${f}`] = p.seq;
      if (p.watermark > Number.NEGATIVE_INFINITY) out[`w:${f}`] = p.watermark;
      if (p.idle) out[`i:${f}`] = 1;
    }
    out['emitted'] = this.emitted;
    return out;
  }

  async seek(positions: SourcePositions): Promise<void> {
    for (const [k, v] of Object.entries(positions)) {
      const colon = k.indexOf(':');
      if (colon < 0) continue;
      const p = this.producer(k.slice(colon + 1));
      const kind = k.slice(0, colon);
      if (kind === 's') p.seq = v;
      else if (kind === 'w') p.watermark = v;
      else if (kind === 'i') p.idle = v === 1;
    }
    for (const f of this.expected) if (!(`i:${f}` in positions) && `s:${f}` in positions) (this.producers.get(f) as ProducerState).idle = false;
    if (typeof positions['emitted'] === 'number') this.emitted = positions['emitted'];
    await this.feed.seek(positions);
  }

  async close(): Promise<void> {}
}
