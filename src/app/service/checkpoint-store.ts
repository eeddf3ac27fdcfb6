import type { Redis } from 'ioredis';
import { type Checkpoint, decodeCheckpointBytes, encodeCheckpointBytes } from '../../core/index.js';

/** Where a service keeps its latest checkpoint, shared by every process of its group. */
export interface CheckpointStore {
  load(job: string): Promise<Checkpoint | null>;
  /** Durable when the promise resolves: only then may the offsets it holds be committed to Kafka. */
  save(job: string, cp: Checkpoint): Promise<{ readonly bytes: number }>;
  close(): Promise<void>;
}

/**
 * Checkpoints in Redis, one key per job (consumer group and input topic). Redis rather than a compacted Kafka
 * topic because a checkpoint holds every open partial match and window: tens of megabytes for a city, past
 * Kafka's 1 MB default message limit, while one Redis string takes up to 512 MB in one atomic SET, and the
 * service already needs Redis for first_seen. Durability is the Redis server's: run it with AOF
 * (`appendonly yes`) in production, or a restart of Redis loses the checkpoint and the service starts from the
 * committed offsets with empty state.
 */
export class RedisCheckpointStore implements CheckpointStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'vigil:checkpoint:',
    private readonly ownsConnection = false,
  ) {}

  async load(job: string): Promise<Checkpoint | null> {
    const bytes = await this.redis.getBuffer(this.prefix + job);
    return bytes === null ? null : decodeCheckpointBytes(bytes);
  }

  async save(job: string, cp: Checkpoint): Promise<{ bytes: number }> {
    const bytes = encodeCheckpointBytes(cp);
    await this.redis.set(this.prefix + job, bytes);
    return { bytes: bytes.length };
  }

  async close(): Promise<void> {
    if (this.ownsConnection) await this.redis.quit();
  }
}
