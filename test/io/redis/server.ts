import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { connectRedis } from '../../../src/io/redis/client.js';

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
