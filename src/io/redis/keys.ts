import type { Redis } from 'ioredis';

/**
 * Unlinks every key matching a SCAN pattern (and `keep`, when given, for a finer check than a glob), a batch of
 * SCAN results at a time: never KEYS, which blocks the server on a large keyspace. Returns how many were removed.
 */
export async function unlinkMatching(redis: Redis, pattern: string, keep: (key: string) => boolean = () => true): Promise<number> {
  let cursor = '0';
  let removed = 0;
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 10_000);
    cursor = next;
    const mine = found.filter(keep);
    if (mine.length > 0) removed += await redis.unlink(...mine);
  } while (cursor !== '0');
  return removed;
}
