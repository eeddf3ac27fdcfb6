import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { displacedPrefix, RedisFirstSeenStore } from '../../../src/io/first-seen/redis-store.js';
import { type FirstSeenBatch, type Sighting, sightingBefore } from '../../../src/io/first-seen/store.js';
import { connectRedis } from '../../../src/io/redis/client.js';
import { REDIS_URL, requireRedis, uniquePrefix } from './server.js';

let redis: Redis;
const stores: RedisFirstSeenStore[] = [];
const connections: Redis[] = [];

beforeAll(async () => {
  redis = await requireRedis('vigil-test-redis');
});
afterAll(async () => {
  // Cleared through the direct connection: a store made on a proxied one would wait for a proxy that is gone.
  for (const s of stores) await new RedisFirstSeenStore(redis, { prefix: s.prefix, displacedPrefix: s.displacedPrefix }).clear();
  for (const c of connections) c.disconnect();
  await redis?.quit();
});

function store(client: Redis, prefix: string, scriptChunk?: number): RedisFirstSeenStore {
  const s = new RedisFirstSeenStore(client, scriptChunk === undefined ? { prefix } : { prefix, scriptChunk });
  stores.push(s);
  return s;
}

function batchOf(n: number, key: (i: number) => string, ts: (i: number) => number, id: (i: number) => string): FirstSeenBatch {
  return {
    keys: [Array.from({ length: n }, (_, i) => key(i))],
    timestamps: Array.from({ length: n }, (_, i) => ts(i)),
    ids: Array.from({ length: n }, (_, i) => id(i)),
  };
}

/**
 * A TCP proxy in front of Redis that holds every client->server chunk for `delayMs`: a batch that took one round
 * trip costs about one delay, one that took a round trip per record costs one delay per record.
 */
/**
 * A TCP proxy to Redis that delays what the client sends by `delayMs` (a slow network: a round trip costs at least
 * that) and keeps a copy of it, so a test reads the commands this client sent. (Not MONITOR: ioredis can fail with
 * "Command queue state error" when monitor lines arrive while its monitor connection starts or closes.)
 */
async function delayingProxy(delayMs: number): Promise<{ server: Server; port: number; sent: () => string[][] }> {
  const target = new URL(REDIS_URL);
  const chunks: Buffer[] = [];
  const server = createServer((client: Socket) => {
    const upstream = connect({ host: target.hostname, port: Number(target.port || 6379) });
    client.on('data', (chunk) => {
      chunks.push(chunk);
      setTimeout(() => upstream.write(chunk), delayMs);
    });
    upstream.pipe(client);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  return { server, port: address.port, sent: () => respCommands(Buffer.concat(chunks)) };
}

/** The commands in what a client wrote: RESP arrays of bulk strings, as ioredis sends every command. */
function respCommands(bytes: Buffer): string[][] {
  const commands: string[][] = [];
  let i = 0;
  const line = (): string => {
    const end = bytes.indexOf('\r\n', i);
    if (end < 0) throw new Error(`unterminated RESP line at byte ${i}`);
    const text = bytes.toString('latin1', i, end);
    i = end + 2;
    return text;
  };
  while (i < bytes.length) {
    const head = line();
    if (!head.startsWith('*')) throw new Error(`not a RESP array at byte ${i}: ${head}`);
    const args: string[] = [];
    for (let n = Number(head.slice(1)); n > 0; n--) {
      const len = line();
      if (!len.startsWith('$')) throw new Error(`not a RESP bulk string: ${len}`);
      const size = Number(len.slice(1));
      args.push(bytes.toString('utf8', i, i + size));
      i += size + 2;
    }
    commands.push(args);
  }
  return commands;
}

describe('RedisFirstSeenStore', () => {
  it('sends a batch as one pipeline: one round trip, one EVALSHA per chunk of sightings, the script loaded once', async () => {
    const delayMs = 100;
    const proxy = await delayingProxy(delayMs);
    const viaProxy = await connectRedis({ url: `redis://127.0.0.1:${proxy.port}`, connectionName: 'vigil-test-proxied' });
    connections.push(viaProxy);
    try {
      const prefix = uniquePrefix('round-trips');
      const chunk = 64;
      const s = store(viaProxy, prefix, chunk);
      const n = 200;
      const trips: number[] = [];
      const elapsed: number[] = [];
      for (let b = 0; b < 3; b++) {
        const before = s.roundTrips;
        const t0 = performance.now();
        const answers = await s.check(
          batchOf(
            n,
            (i) => `plate-${i % 50}`,
            (i) => 1000 * b + i,
            (i) => `b${b}-${i}`,
          ),
        );
        elapsed.push(performance.now() - t0);
        trips.push(s.roundTrips - before);
        // Within batch 0, each of the 50 keys is first at its first sighting; later batches are later in time.
        expect(answers.filter(Boolean)).toHaveLength(b === 0 ? 50 : 0);
      }
      expect(trips).toEqual([2, 1, 1]); // the first batch also loads the script
      // A round trip per record would take n * delay = 20 s; allow a few round trips of slack for a busy machine.
      expect(elapsed[1]).toBeLessThan(delayMs * 6);
      expect(elapsed[2]).toBeLessThan(delayMs * 6);
      const seen = proxy.sent();
      const commands = seen.map((a) => a[0]?.toLowerCase());
      // 200 sightings in chunks of 64: calls of 64, 64, 64 and 8 sightings, each with two keys (its sighting and its
      // displaced list), then its time and id.
      const calls = seen.filter((a) => a[0]?.toLowerCase() === 'evalsha');
      expect(calls.map((a) => Number(a[2]) / 2)).toEqual([64, 64, 64, 8, 64, 64, 64, 8, 64, 64, 64, 8]);
      expect(
        calls.every((a) => {
          const n = Number(a[2]) / 2;
          const keys = a.slice(3, 3 + 2 * n);
          return a.length === 3 + 4 * n && keys.slice(0, n).every((k) => k.startsWith(prefix)) && keys.slice(n).every((k) => k.startsWith(s.displacedPrefix));
        }),
      ).toBe(true);
      expect(commands.filter((c) => c === 'script')).toHaveLength(1);
    } finally {
      proxy.server.close();
    }
  });

  it('keeps sightings without expiry under its prefix', async () => {
    const prefix = uniquePrefix('ttl');
    const s = store(redis, prefix);
    await s.check(
      batchOf(
        3,
        (i) => `京A${i}`,
        () => 5,
        (i) => `r${i}`,
      ),
    );
    expect(await redis.ttl(`${prefix}京A0`)).toBe(-1);
    expect(await redis.get(`${prefix}京A2`)).toBe('5|r2');
    expect(await s.clear()).toBe(3);
    expect(await redis.exists(`${prefix}京A0`)).toBe(0);
  });

  it('reloads its script when the server forgot it (SCRIPT FLUSH) and answers as before', async () => {
    const s = store(redis, uniquePrefix('noscript'));
    expect(
      await s.check(
        batchOf(
          2,
          () => 'k',
          (i) => 10 - i,
          (i) => `r${i}`,
        ),
      ),
    ).toEqual([true, true]);
    await redis.script('FLUSH');
    expect(
      await s.check(
        batchOf(
          3,
          () => 'k',
          (i) => 10 - i,
          (i) => `r${i}`,
        ),
      ),
    ).toEqual([true, true, true]);
    expect(
      await s.check(
        batchOf(
          1,
          () => 'k',
          () => 11,
          () => 'r9',
        ),
      ),
    ).toEqual([false]);
  });

  it('keeps the stored layout of earlier versions: sightings as `ts|id` under the prefix, displaced ids beside them', async () => {
    const prefix = uniquePrefix('layout');
    const s = store(redis, prefix);
    expect(s.displacedPrefix).toBe(`${prefix.slice(0, -1)}#displaced:`);
    // A store an earlier version wrote: read as it was meant, with nothing displaced.
    await redis.set(`${prefix}京A1`, '1000|r1');
    expect(
      await s.check(
        batchOf(
          3,
          () => '京A1',
          (i) => [2000, 1000, 900][i] as number,
          (i) => ['r2', 'r1', 'r|0'][i] as string,
        ),
      ),
    ).toEqual([false, true, true]);
    expect(await redis.get(`${prefix}京A1`)).toBe('900|r|0');
    // 1000|r1 was displaced: the stored value, by byte length, under the displaced prefix; nothing else was written.
    expect(await redis.get(`${s.displacedPrefix}京A1`)).toBe('7:1000|r1');
    expect(
      await s.check(
        batchOf(
          1,
          () => '京A1',
          () => 800,
          () => 'é',
        ),
      ),
    ).toEqual([true]);
    expect(await redis.get(`${s.displacedPrefix}京A1`)).toBe('7:1000|r17:900|r|0');
    expect((await redis.keys(`${prefix}*`)).length).toBe(1);
    // A previous version's script on the same keys (a process not upgraded yet) reads and writes them as it did.
    const previous = `
      local out = {}
      for i = 1, #KEYS do
        local key, ts_text, id = KEYS[i], ARGV[2 * i - 1], ARGV[2 * i]
        local cur = redis.call('GET', key)
        local write, same = not cur, false
        if cur then
          local sep = string.find(cur, '|', 1, true)
          local ts, cts, cid = tonumber(ts_text), tonumber(string.sub(cur, 1, sep - 1)), string.sub(cur, sep + 1)
          if ts ~= cts then write = ts < cts elseif id == cid then same = true else write = id < cid end
        end
        if write then redis.call('SET', key, ts_text .. '|' .. id) end
        out[i] = (write or same) and '1' or '0'
      end
      return table.concat(out)`;
    expect(await redis.eval(previous, 2, `${prefix}京A1`, `${prefix}京B2`, '850', 'x', '10', 'y')).toBe('01');
    expect(
      await s.check(
        batchOf(
          2,
          (i) => ['京A1', '京B2'][i] as string,
          (i) => [1000, 20][i] as number,
          (i) => ['r1', 'z'][i] as string,
        ),
      ),
    ).toEqual([true, false]);
    expect(await s.earliest(['京A1', '京B2'])).toEqual([
      { timestamp: 800, id: 'é' },
      { timestamp: 10, id: 'y' },
    ]);
    expect(await s.clear()).toBe(2);
    expect(await redis.exists(`${s.displacedPrefix}京A1`)).toBe(0);
  });

  it('derives a displaced prefix that no sighting key can share', () => {
    expect(displacedPrefix('vigil:first_seen:default:')).toBe('vigil:first_seen:default#displaced:');
    expect(displacedPrefix('{vigil}:fs:')).toBe('{vigil}:fs#displaced:');
    expect(displacedPrefix('p#')).toBe('p%displaced:');
    expect(() => displacedPrefix('')).toThrow(/empty/);
    expect(() => new RedisFirstSeenStore(redis, { prefix: 'a:', displacedPrefix: 'a:displaced:' })).toThrow(/overlap/);
  });

  it('two stores on the same keys at once never lose an earlier sighting', async () => {
    const prefix = uniquePrefix('concurrent');
    const other = await connectRedis({ url: REDIS_URL, connectionName: 'vigil-test-second' });
    connections.push(other);
    const stores2 = [store(redis, prefix), store(other, prefix)];
    const keys = 100;
    let seed = 7;
    const rand = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const sightings = stores2.map((_, w) => Array.from({ length: 3000 }, (_, i) => ({ key: `P${rand(keys)}`, timestamp: rand(100_000), id: `w${w}-${i}` })));
    const answers = await Promise.all(
      stores2.map(async (s, w) => {
        const mine = sightings[w] ?? [];
        const out: boolean[] = [];
        for (let from = 0; from < mine.length; from += 100) {
          const part = mine.slice(from, from + 100);
          out.push(...(await s.check({ keys: [part.map((x) => x.key)], timestamps: part.map((x) => x.timestamp), ids: part.map((x) => x.id) })));
        }
        return out;
      }),
    );
    // The stored pair of every key is the earliest of everything either store sent.
    const min = new Map<string, Sighting>();
    for (const x of sightings.flat()) {
      const cur = min.get(x.key);
      if (cur === undefined || sightingBefore(x.timestamp, x.id, cur.timestamp, cur.id)) min.set(x.key, { timestamp: x.timestamp, id: x.id });
    }
    const names = [...min.keys()];
    expect(await stores2[0]?.earliest(names)).toEqual(names.map((k) => min.get(k)));
    sightings.forEach((mine, w) => {
      const lastTrue = new Map<string, Sighting>();
      mine.forEach((x, i) => {
        if (answers[w]?.[i] !== true) return;
        // Each store's "first" answers per key only ever move earlier.
        const prev = lastTrue.get(x.key);
        if (prev !== undefined) expect(sightingBefore(x.timestamp, x.id, prev.timestamp, prev.id)).toBe(true);
        lastTrue.set(x.key, x);
      });
      // The overall earliest sighting was answered true by whichever store saw it.
      mine.forEach((x, i) => {
        const m = min.get(x.key);
        if (m !== undefined && m.id === x.id) expect(answers[w]?.[i]).toBe(true);
      });
    });
  });
});
