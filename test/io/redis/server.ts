import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { connectRedis } from '../../../src/io/redis/client.js';
import { unlinkMatching } from '../../../src/io/redis/keys.js';

/** The Redis the integration tests use: VIGIL_TEST_REDIS, else the machine's (or services/redis/start.sh's). */
export const REDIS_URL = process.env['VIGIL_TEST_REDIS'] ?? 'redis://127.0.0.1:6379';

/** Connects or fails (never skips) with what to do. */
export async function requireRedis(name = 'vigil-test'): Promise<Redis> {
  try {
    return await connectRedis({ url: REDIS_URL, connectionName: name });
  } catch (error) {
    throw new Error(`${(error as Error).message}. Start it with: bash services/redis/start.sh`);
  }
}

/** A key prefix no other run or test uses. */
export function uniquePrefix(what: string): string {
  return `vigil:test:${what}:${Date.now().toString(36)}-${randomBytes(3).toString('hex')}:`;
}

/**
 * Deletes the keys of many stores in one pass over the server's keys (SCAN + UNLINK): the keys under any of the
 * prefixes, and under each one's displaced prefix (first_seen). One store's clear() scans every key of the server, so
 * a test that made hundreds of stores would scan it hundreds of times.
 */
export async function unlinkUnder(redis: Redis, prefixes: readonly string[], displaced: (prefix: string) => string): Promise<number> {
  const all = [...prefixes, ...prefixes.map(displaced)];
  if (all.length === 0) return 0;
  // What every prefix shares (they all start with vigil:test:), as the SCAN pattern; the rest is checked here.
  let shared = all[0] as string;
  for (const p of all) while (!p.startsWith(shared)) shared = shared.slice(0, -1);
  const pattern = shared.replace(/[*?[\]\\]/g, '\\$&') + '*';
  return unlinkMatching(redis, pattern, (k) => all.some((p) => k.startsWith(p)));
}
