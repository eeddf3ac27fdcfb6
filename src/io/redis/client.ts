import { Redis } from 'ioredis';

/**
 * The one place Vigil builds ioredis connections (the --redis flag / VIGIL_REDIS). Options favour failing loudly
 * over waiting forever: a command against an unreachable server errors after one retry instead of sitting in
 * ioredis' offline queue.
 */
export interface RedisConnectOptions {
  /** redis://[user:pass@]host:port[/db]. Default redis://127.0.0.1:6379. */
  readonly url?: string;
  readonly connectTimeoutMs?: number;
  /** Shows up in CLIENT LIST, which helps when several Vigil processes share one server. */
  readonly connectionName?: string;
}

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export async function connectRedis(options: RedisConnectOptions = {}): Promise<Redis> {
  const url = options.url ?? DEFAULT_REDIS_URL;
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs ?? 3000,
    maxRetriesPerRequest: 1,
    connectionName: options.connectionName ?? 'vigil',
    // Reconnect with a short back-off while running; the first connect below fails fast instead.
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  // Without a listener ioredis prints its own "Unhandled error event" trace before our message; the socket's error
  // (ECONNREFUSED, ...) also says more than the "Connection is closed" that connect() rejects with.
  let socketError: Error | undefined;
  const onError = (error: Error): void => void (socketError ??= error);
  redis.on('error', onError);
  try {
    await redis.connect();
  } catch (error) {
    // The listener stays: the closing socket may still report.
    redis.disconnect();
    throw new Error(`cannot reach Redis at ${redactUrl(url)}: ${(socketError ?? (error as Error)).message}`);
  }
  redis.off('error', onError);
  return redis;
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
