import type { Redis } from 'ioredis';
import { firstSeenPrefix, keyAt, validateBatch, type FirstSeenBatch, type FirstSeenStore, type Sighting } from './store.js';

/**
 * Per key one string `<prefix><key>` = `<event time>|<record id>`, the earliest sighting, with no expiry.
 * The script records one sighting atomically and answers 1 when the stored pair is the record's own afterwards.
 * Ids on equal event times compare byte by byte: Lua's `<` on strings follows the server's collation locale.
 */
export const FIRST_SEEN_LUA = `
local cur = redis.call('GET', KEYS[1])
local ts = tonumber(ARGV[1])
local id = ARGV[2]
if not cur then
  redis.call('SET', KEYS[1], ARGV[1] .. '|' .. id)
  return 1
end
local sep = string.find(cur, '|', 1, true)
local cts = tonumber(string.sub(cur, 1, sep - 1))
local cid = string.sub(cur, sep + 1)
local before = ts < cts
if ts == cts then
  if id == cid then return 1 end
  local n = math.min(#id, #cid)
  local decided = false
  for i = 1, n do
    local a, b = string.byte(id, i), string.byte(cid, i)
    if a ~= b then
      before = a < b
      decided = true
      break
    end
  end
  if not decided then before = #id < #cid end
end
if before then
  redis.call('SET', KEYS[1], ARGV[1] .. '|' .. id)
  return 1
end
return 0
`;

export interface RedisFirstSeenStoreOptions {
  /** Key prefix; default `vigil:first_seen:default:` (see firstSeenPrefix). */
  readonly prefix?: string;
  /** seed() sends this many sightings per pipeline. Default 5000. */
  readonly seedChunk?: number;
  /** Close the connection in close() (true when the store opened it). Default false. */
  readonly ownsConnection?: boolean;
}

/**
 * first_seen in Redis, shared by every Vigil process on the same prefix. The script is loaded once (SCRIPT LOAD)
 * and each batch is one pipeline of EVALSHA calls: one network round trip per batch, not per record. Each call is
 * atomic on the server, so concurrent stores on the same keys never lose an earlier sighting.
 */
export class RedisFirstSeenStore implements FirstSeenStore {
  readonly prefix: string;
  private sha: string | undefined;
  private loading: Promise<string> | undefined;
  private trips = 0;
  private readonly seedChunk: number;

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisFirstSeenStoreOptions = {},
  ) {
    this.prefix = options.prefix ?? firstSeenPrefix('default');
    this.seedChunk = options.seedChunk ?? 5000;
  }

  /** Round trips to the server so far (pipelines and script loads): a check is one, plus one load the first time. */
  get roundTrips(): number {
    return this.trips;
  }

  private async scriptSha(reload = false): Promise<string> {
    if (reload) {
      this.sha = undefined;
      this.loading = undefined;
    }
    if (this.sha !== undefined) return this.sha;
    this.loading ??= (async () => {
      this.trips++;
      const sha = (await this.redis.script('LOAD', FIRST_SEEN_LUA)) as string;
      this.sha = sha;
      return sha;
    })();
    return this.loading;
  }

  async check(batch: FirstSeenBatch): Promise<boolean[]> {
    validateBatch(batch);
    const n = batch.timestamps.length;
    if (n === 0) return [];
    let replies = await this.run(batch, 0, n, await this.scriptSha());
    // The server lost its script cache (restart, SCRIPT FLUSH): nothing in the pipeline ran. Load and resend once.
    if (replies.some(([err]) => err !== null && /NOSCRIPT/.test(err.message))) {
      replies = await this.run(batch, 0, n, await this.scriptSha(true));
    }
    const out = new Array<boolean>(replies.length);
    for (let i = 0; i < replies.length; i++) {
      const [err, value] = replies[i] as [Error | null, unknown];
      if (err !== null) throw new Error(`first_seen: Redis refused the sighting of '${keyAt(batch.keys, i)}': ${err.message}`);
      out[i] = value === 1;
    }
    return out;
  }

  private async run(batch: FirstSeenBatch, from: number, to: number, sha: string): Promise<Array<[Error | null, unknown]>> {
    const pipeline = this.redis.pipeline();
    const { keys, timestamps, ids } = batch;
    for (let i = from; i < to; i++) {
      pipeline.evalsha(sha, 1, this.prefix + keyAt(keys, i), String(timestamps[i] as number), ids[i] as string);
    }
    this.trips++;
    const replies = await pipeline.exec();
    if (replies === null) throw new Error('first_seen: the Redis pipeline was discarded');
    return replies;
  }

  async seed(batch: FirstSeenBatch): Promise<void> {
    validateBatch(batch);
    const n = batch.timestamps.length;
    for (let from = 0; from < n; from += this.seedChunk) {
      const to = Math.min(n, from + this.seedChunk);
      const part: FirstSeenBatch = { keys: batch.keys.map((column) => column.slice(from, to)), timestamps: batch.timestamps.slice(from, to), ids: batch.ids.slice(from, to) };
      await this.check(part);
    }
  }

  async earliest(keys: readonly string[]): Promise<(Sighting | null)[]> {
    if (keys.length === 0) return [];
    this.trips++;
    const values = await this.redis.mget(keys.map((k) => this.prefix + k));
    return values.map((v) => {
      if (v === null) return null;
      const sep = v.indexOf('|');
      return { timestamp: Number(v.slice(0, sep)), id: v.slice(sep + 1) };
    });
  }

  /** Deletes every key under this store's prefix (SCAN + UNLINK): for tests and resetting a namespace. */
  async clear(): Promise<number> {
    let cursor = '0';
    let removed = 0;
    const pattern = this.prefix.replace(/[*?[\]\\]/g, '\\$&') + '*';
    do {
      const [next, found] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (found.length > 0) removed += await this.redis.unlink(...found);
    } while (cursor !== '0');
    return removed;
  }

  async close(): Promise<void> {
    if (this.options.ownsConnection === true) await this.redis.quit();
  }
}
