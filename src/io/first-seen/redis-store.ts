import type { Redis } from 'ioredis';
import { firstSeenPrefix, keyAt, validateBatch, type FirstSeenBatch, type FirstSeenStore, type Sighting } from './store.js';

/**
 * Per key one string `<prefix><key>` = `<event time>|<record id>`, the earliest sighting, with no expiry.
 * One call records a run of sightings in order, atomically: KEYS[i] is sighting i's key, ARGV[2i-1] and ARGV[2i]
 * its event time and record id. The reply has one character per sighting, '1' when the stored pair is the
 * sighting's own afterwards (it is the earliest so far), else '0'. Ids on equal event times compare byte by byte:
 * Lua's `<` on strings follows the server's collation locale.
 */
export const FIRST_SEEN_LUA = `
local out = {}
for i = 1, #KEYS do
  local key, ts_text, id = KEYS[i], ARGV[2 * i - 1], ARGV[2 * i]
  local cur = redis.call('GET', key)
  -- write: this sighting is earlier than the stored one (or there is none); same: it is the stored one
  local write, same = not cur, false
  if cur then
    local sep = string.find(cur, '|', 1, true)
    local ts = tonumber(ts_text)
    local cts = tonumber(string.sub(cur, 1, sep - 1))
    local cid = string.sub(cur, sep + 1)
    if ts ~= cts then
      write = ts < cts
    elseif id == cid then
      same = true
    else
      local n = math.min(#id, #cid)
      local decided = false
      for j = 1, n do
        local a, b = string.byte(id, j), string.byte(cid, j)
        if a ~= b then
          write = a < b
          decided = true
          break
        end
      end
      if not decided then write = #id < #cid end
    end
  end
  if write then redis.call('SET', key, ts_text .. '|' .. id) end
  out[i] = (write or same) and '1' or '0'
end
return table.concat(out)
`;

export interface RedisFirstSeenStoreOptions {
  /** Key prefix; default `vigil:first_seen:default:` (see firstSeenPrefix). */
  readonly prefix?: string;
  /** seed() sends this many sightings per pipeline. Default 5000. */
  readonly seedChunk?: number;
  /** Sightings per script call (the server runs one call at a time: this bounds how long one blocks it). Default 500. */
  readonly scriptChunk?: number;
  /** Close the connection in close() (true when the store opened it). Default false. */
  readonly ownsConnection?: boolean;
}

/**
 * first_seen in Redis, shared by every Vigil process on the same prefix. The script is loaded once (SCRIPT LOAD)
 * and each batch is one pipeline of EVALSHA calls, each recording up to `scriptChunk` sightings: one network round
 * trip per batch, and one script call per few hundred records, not per record (a call per record capped a batch at
 * ~60,000 sightings/s, the server's per-call overhead). Each call is atomic on the server, so concurrent stores on
 * the same keys never lose an earlier sighting. A call touches many keys: on a Redis Cluster, give the prefix a hash
 * tag (`{vigil:first_seen}:...`) so they share a slot.
 */
export class RedisFirstSeenStore implements FirstSeenStore {
  readonly prefix: string;
  private sha: string | undefined;
  private loading: Promise<string> | undefined;
  private trips = 0;
  private readonly seedChunk: number;
  private readonly scriptChunk: number;

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisFirstSeenStoreOptions = {},
  ) {
    this.prefix = options.prefix ?? firstSeenPrefix('default');
    this.seedChunk = options.seedChunk ?? 5000;
    this.scriptChunk = options.scriptChunk ?? 500;
    if (!Number.isInteger(this.scriptChunk) || this.scriptChunk < 1) throw new RangeError(`scriptChunk must be a positive integer, got ${this.scriptChunk}`);
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
    let replies = await this.run(batch, await this.scriptSha());
    // The server lost its script cache (restart, SCRIPT FLUSH): nothing in the pipeline ran. Load and resend once.
    if (replies.some(([err]) => err !== null && /NOSCRIPT/.test(err.message))) {
      replies = await this.run(batch, await this.scriptSha(true));
    }
    const out = new Array<boolean>(n);
    for (let c = 0; c < replies.length; c++) {
      const from = c * this.scriptChunk;
      const to = Math.min(n, from + this.scriptChunk);
      const [err, value] = replies[c] as [Error | null, unknown];
      if (err !== null) throw new Error(`first_seen: Redis refused the sightings of '${keyAt(batch.keys, from)}' ... '${keyAt(batch.keys, to - 1)}': ${err.message}`);
      if (typeof value !== 'string' || value.length !== to - from) throw new Error(`first_seen: unexpected reply from the Redis script: ${String(value).slice(0, 40)}`);
      for (let i = from; i < to; i++) out[i] = value.charCodeAt(i - from) === 0x31;
    }
    return out;
  }

  /** One pipeline: a script call per chunk of the batch, in order. */
  private async run(batch: FirstSeenBatch, sha: string): Promise<Array<[Error | null, unknown]>> {
    const pipeline = this.redis.pipeline();
    const { keys, timestamps, ids } = batch;
    const n = timestamps.length;
    for (let from = 0; from < n; from += this.scriptChunk) {
      const count = Math.min(n, from + this.scriptChunk) - from;
      // KEYS: the sightings' keys; ARGV: event time and id of each, in the same order.
      const args: string[] = new Array<string>(3 * count);
      for (let k = 0; k < count; k++) {
        args[k] = this.prefix + keyAt(keys, from + k);
        args[count + 2 * k] = String(timestamps[from + k] as number);
        args[count + 2 * k + 1] = ids[from + k] as string;
      }
      pipeline.evalsha(sha, count, ...args);
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
