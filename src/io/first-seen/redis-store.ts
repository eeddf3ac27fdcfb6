import type { Redis } from 'ioredis';
import { type FirstSeenBatch, type FirstSeenStore, firstSeenPrefix, keyAt, type Sighting, validateBatch } from './store.js';

/**
 * Stored layout. Stored keys outlive the process that wrote them (and the version of Vigil that wrote them), so the
 * layout only ever grows; the decision, kept for whoever changes this next:
 *
 * - Per key one string `<prefix><key>` = `<event time>|<record id>`, the earliest sighting, with no expiry: exactly
 *   as every earlier version wrote and read it. It is neither renamed nor re-encoded, so a store written before
 *   needs no migration, and processes of the previous version sharing the store during a rolling upgrade keep
 *   reading and writing it correctly.
 * - What is new lives beside it: per key whose stored sighting was ever displaced by an earlier one, a string
 *   `<displaced prefix><key>` listing the displaced values verbatim (`<event time>|<record id>`, each was answered
 *   true when it was stored), each as `<byte length>:<value>` (ids may hold any byte, `|` and `:` included). Keys
 *   without one (nearly all) cost nothing more to store, and a store written before this existed reads as one where
 *   nothing was displaced. The displaced prefix is the prefix with its last
 *   character changed (`vigil:first_seen:<ns>:` -> `vigil:first_seen:<ns>#displaced:`, displacedPrefix()): the two
 *   names differ before either key starts, so no key of one family can ever be a key of the other, whatever the keys
 *   hold, while a hash tag in the prefix still puts both on one cluster slot.
 * - A previous-version process answers as it always did (false for a displaced sighting's replay) and does not add
 *   to the lists when it displaces a record: during a rolling upgrade, a replay is exact for the displacements the
 *   new processes recorded, and answers as the previous version did for the few an old process made.
 *
 * One call records a run of n sightings in order, atomically: KEYS[i] is sighting i's key and KEYS[n + i] its
 * displaced list, ARGV[2i-1] and ARGV[2i] its event time (as String(ts) writes it: one text per number) and record
 * id. Both keys are read with one MGET (the list comes with every sighting, but no extra call is made for it). The
 * reply has one character per sighting: '1' when the stored pair is the sighting's own afterwards (it is the earliest
 * so far) or the sighting is in the list (it was answered '1' before), else '0'. Ids on equal event times compare
 * byte by byte: Lua's `<` on strings follows the server's collation locale.
 */
export const FIRST_SEEN_LUA = `
local n = #KEYS / 2
local out = {}
for i = 1, n do
  local key, listkey, ts_text, id = KEYS[i], KEYS[n + i], ARGV[2 * i - 1], ARGV[2 * i]
  local got = redis.call('MGET', key, listkey)
  local cur, list = got[1], got[2]
  -- write: this sighting is earlier than the stored one (or there is none); first: the answer
  local write, first = not cur, not cur
  if cur then
    local sep = string.find(cur, '|', 1, true)
    local ts = tonumber(ts_text)
    local cts = tonumber(string.sub(cur, 1, sep - 1))
    local cid = string.sub(cur, sep + 1)
    if ts ~= cts then
      write = ts < cts
    elseif id ~= cid then
      local m = math.min(#id, #cid)
      local decided = false
      for j = 1, m do
        local a, b = string.byte(id, j), string.byte(cid, j)
        if a ~= b then
          write = a < b
          decided = true
          break
        end
      end
      if not decided then write = #id < #cid end
    end
    if write then
      -- the stored sighting was answered '1' when it was stored: remember it for its replays
      redis.call('APPEND', listkey, #cur .. ':' .. cur)
      first = true
    elseif ts == cts and id == cid then
      first = true
    elseif list then
      local me = ts_text .. '|' .. id
      local p = 1
      while p <= #list do
        local colon = string.find(list, ':', p, true)
        local len = tonumber(string.sub(list, p, colon - 1))
        if len == #me and string.sub(list, colon + 1, colon + len) == me then
          first = true
          break
        end
        p = colon + len + 1
      end
    end
  end
  if write then redis.call('SET', key, ts_text .. '|' .. id) end
  out[i] = first and '1' or '0'
end
return table.concat(out)
`;

/**
 * Where a store keeps the displaced ids of the keys under `prefix` (see FIRST_SEEN_LUA): the prefix with its last
 * character replaced by `#` (`%` when it is `#`), then `displaced:`.
 */
export function displacedPrefix(prefix: string): string {
  if (prefix.length === 0) throw new RangeError('a first_seen prefix must not be empty');
  const last = prefix[prefix.length - 1];
  return `${prefix.slice(0, -1)}${last === '#' ? '%' : '#'}displaced:`;
}

export interface RedisFirstSeenStoreOptions {
  /** Key prefix; default `vigil:first_seen:default:` (see firstSeenPrefix). */
  readonly prefix?: string;
  /**
   * Prefix of the displaced-id lists; default displacedPrefix(prefix). Give one when the prefix ends in a cluster
   * hash tag (`...{tag}`), whose last character the default would change.
   */
  readonly displacedPrefix?: string;
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
  readonly displacedPrefix: string;
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
    this.displacedPrefix = options.displacedPrefix ?? displacedPrefix(this.prefix);
    if (this.displacedPrefix.startsWith(this.prefix) || this.prefix.startsWith(this.displacedPrefix)) {
      throw new RangeError(`first_seen: the displaced prefix '${this.displacedPrefix}' and the prefix '${this.prefix}' overlap: their keys could collide`);
    }
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
      if (err !== null)
        throw new Error(`first_seen: Redis refused the sightings of '${keyAt(batch.keys, from)}' ... '${keyAt(batch.keys, to - 1)}': ${err.message}`);
      if (typeof value !== 'string' || value.length !== to - from)
        throw new Error(`first_seen: unexpected reply from the Redis script: ${String(value).slice(0, 40)}`);
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
      // KEYS: the sightings' keys, then their displaced lists; ARGV: event time and id of each, in the same order.
      const args: string[] = new Array<string>(4 * count);
      for (let k = 0; k < count; k++) {
        const key = keyAt(keys, from + k);
        args[k] = this.prefix + key;
        args[count + k] = this.displacedPrefix + key;
        args[2 * count + 2 * k] = String(timestamps[from + k] as number);
        args[2 * count + 2 * k + 1] = ids[from + k] as string;
      }
      pipeline.evalsha(sha, 2 * count, ...args);
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
      const part: FirstSeenBatch = {
        keys: batch.keys.map((column) => column.slice(from, to)),
        timestamps: batch.timestamps.slice(from, to),
        ids: batch.ids.slice(from, to),
      };
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

  /**
   * Deletes every key under this store's prefix and its displaced lists (SCAN + UNLINK): for tests and resetting a
   * namespace. One scan covers both: it matches what the two prefixes share and keeps the keys of either. Returns
   * the number of sightings' keys removed.
   */
  async clear(): Promise<number> {
    let shared = 0;
    while (shared < this.prefix.length && this.prefix[shared] === this.displacedPrefix[shared]) shared++;
    const pattern = this.prefix.slice(0, shared).replace(/[*?[\]\\]/g, '\\$&') + '*';
    let cursor = '0';
    let removed = 0;
    do {
      const [next, found] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      const sightings = found.filter((k) => k.startsWith(this.prefix));
      const lists = found.filter((k) => k.startsWith(this.displacedPrefix));
      if (sightings.length > 0) removed += await this.redis.unlink(...sightings);
      if (lists.length > 0) await this.redis.unlink(...lists);
    } while (cursor !== '0');
    return removed;
  }

  async close(): Promise<void> {
    if (this.options.ownsConnection === true) await this.redis.quit();
  }
}
