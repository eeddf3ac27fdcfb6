import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryFirstSeenStore } from '../../../src/io/first-seen/memory-store.js';
import { displacedPrefix, RedisFirstSeenStore } from '../../../src/io/first-seen/redis-store.js';
import { compareIds, type FirstSeenBatch, type FirstSeenStore } from '../../../src/io/first-seen/store.js';
import { requireRedis, uniquePrefix, unlinkUnder } from '../redis/server.js';

type Sight = readonly [key: string, ts: number, id: string];

const batch = (...sights: Sight[]): FirstSeenBatch => ({
  keys: [sights.map((s) => s[0])],
  timestamps: sights.map((s) => s[1]),
  ids: sights.map((s) => s[2]),
});

/**
 * The contract restated as an oracle: a sighting is first iff nothing recorded before it (or with it) is earlier,
 * or the same sighting (key, event time, id) was answered first before (a replay gets the answer it got).
 */
function oracle(batches: readonly (readonly Sight[])[]): boolean[][] {
  const seen: Sight[] = [];
  const answeredTrue = new Set<string>();
  return batches.map((b) =>
    b.map((s) => {
      seen.push(s);
      const earliest = seen.every(([k, ts, id]) => k !== s[0] || ts > s[1] || (ts === s[1] && compareIds(id, s[2]) >= 0));
      const again = answeredTrue.has(JSON.stringify(s));
      if (earliest) answeredTrue.add(JSON.stringify(s));
      return earliest || again;
    }),
  );
}

let redis: Redis;
const redisStores: RedisFirstSeenStore[] = [];
beforeAll(async () => {
  redis = await requireRedis('vigil-test-first-seen');
});
afterAll(async () => {
  await unlinkUnder(
    redis,
    redisStores.map((s) => s.prefix),
    displacedPrefix,
  );
  await redis?.quit();
});

const implementations: ReadonlyArray<readonly [string, () => FirstSeenStore]> = [
  ['memory', () => new MemoryFirstSeenStore()],
  [
    'redis',
    () => {
      const s = new RedisFirstSeenStore(redis, { prefix: uniquePrefix('first-seen') });
      redisStores.push(s);
      return s;
    },
  ],
  [
    // Batches span several script calls: each call's run of sightings must continue where the last one stopped.
    'redis, 3 sightings per script call',
    () => {
      const s = new RedisFirstSeenStore(redis, { prefix: uniquePrefix('first-seen-chunked'), scriptChunk: 3 });
      redisStores.push(s);
      return s;
    },
  ],
];

describe.each(implementations)('FirstSeenStore contract: %s', (_name, make) => {
  it('is true for the first sighting, false later, true again for an earlier sighting arriving late', async () => {
    const s = make();
    expect(await s.check(batch(['京A1', 1000, 'r1'], ['京A1', 2000, 'r2'], ['沪B2', 1500, 'r3']))).toEqual([true, false, true]);
    expect(await s.check(batch(['京A1', 500, 'r0'], ['京A1', 3000, 'r4']))).toEqual([true, false]);
    // r0 is the earliest now; r1 was answered first once, and a replay of it still is; r2 never was.
    expect(await s.check(batch(['京A1', 1000, 'r1'], ['京A1', 2000, 'r2'], ['京A1', 1000, 'r5']))).toEqual([true, false, false]);
    expect(await s.earliest(['京A1', '沪B2', 'never'])).toEqual([{ timestamp: 500, id: 'r0' }, { timestamp: 1500, id: 'r3' }, null]);
  });

  it('answers a replayed record as before', async () => {
    const s = make();
    const b = batch(['k', 10, 'a'], ['k', 20, 'b'], ['j', 5, 'c']);
    const first = await s.check(b);
    expect(await s.check(b)).toEqual(first);
    expect(first).toEqual([true, false, true]);
  });

  it('answers a replayed record as before also when an earlier sighting of its key arrived in between (a backlog)', async () => {
    // A run, a camera's backlog with earlier sightings of the same vehicles, then the run replayed after a crash.
    const s = make();
    const run = batch(['京A1', 1000, 'r1'], ['京A1', 2000, 'r2'], ['沪B2', 1500, 'r3'], ['沪B2', 1600, 'r4']);
    const first = await s.check(run);
    expect(first).toEqual([true, false, true, false]);
    expect(await s.check(batch(['京A1', 900, 'old1'], ['沪B2', 700, 'old2'], ['沪B2', 600, 'old3']))).toEqual([true, true, true]);
    expect(await s.check(run)).toEqual(first);
    // Every record displaced so far still answers as it did; a sighting never answered true stays false, and so does
    // a displaced record's id at another event time (another record).
    expect(await s.check(batch(['沪B2', 700, 'old2'], ['京A1', 950, 'new'], ['京A1', 900, 'old1'], ['沪B2', 1500, 'r4']))).toEqual([true, false, true, false]);
    expect(await s.check(batch(['京A1', 1001, 'r1'], ['沪B2', 1500, 'old2']))).toEqual([false, false]);
    expect(await s.earliest(['京A1', '沪B2'])).toEqual([
      { timestamp: 900, id: 'old1' },
      { timestamp: 600, id: 'old3' },
    ]);
  });

  it('evaluates a batch in order', async () => {
    const s = make();
    expect(await s.check(batch(['k', 5, 'x'], ['k', 3, 'y'], ['k', 4, 'z'], ['k', 5, 'x'], ['k', 3, 'y']))).toEqual([true, true, false, true, true]);
  });

  it('breaks ties on event time by record id in code-point order', async () => {
    const s = make();
    expect(await s.check(batch(['k', 100, 'b'], ['k', 100, 'a'], ['k', 100, 'c'], ['k', 100, 'a']))).toEqual([true, true, false, true]);
    // U+FFFD sorts before U+1F600 by code point (and in UTF-8), although its UTF-16 unit is larger.
    expect(await s.check(batch(['u', 7, '😀'], ['u', 7, '\uFFFD'], ['u', 7, '\uFFFE']))).toEqual([true, true, false]);
    expect(await s.earliest(['u'])).toEqual([{ timestamp: 7, id: '\uFFFD' }]);
    // A prefix sorts first.
    expect(await s.check(batch(['p', 7, 'ab'], ['p', 7, 'a']))).toEqual([true, true]);
  });

  it('remembers displaced ids with any bytes in them, exactly', async () => {
    // Ids holding the separators of the stored formats, a length-like prefix, and a prefix of another id.
    const s = make();
    const ids = ['a|b', '3:abc', ':', '1:', 'é|:', 'x'];
    // Each one earlier than the last: each displaces the one before.
    expect(await s.check(batch(...ids.map((id, i): Sight => ['k', 100 - i, id])))).toEqual(ids.map(() => true));
    expect(await s.check(batch(...ids.map((id, i): Sight => ['k', 100 - i, id])))).toEqual(ids.map(() => true));
    expect(await s.check(batch(['k', 200, 'a'], ['k', 200, '3'], ['k', 200, 'abc'], ['k', 200, '1'], ['k', 200, '3:ab'], ['k', 200, 'é']))).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  it('keeps negative, fractional and far-future timestamps exactly', async () => {
    const s = make();
    expect(await s.check(batch(['t', 1.5, 'a'], ['t', 1.25, 'b'], ['t', -3, 'c'], ['t', 8_640_000_000_000_000, 'd'], ['t', -3, 'c']))).toEqual([
      true,
      true,
      true,
      false,
      true,
    ]);
  });

  it('seeds known keys in bulk: later sightings are not first, earlier ones are', async () => {
    const s = make();
    const n = 2500;
    await s.seed({
      keys: [Array.from({ length: n }, (_, i) => `seed-${i}`)],
      timestamps: Array.from({ length: n }, () => 1000),
      ids: Array.from({ length: n }, (_, i) => `known-${i}`),
    });
    expect(await s.check(batch(['seed-0', 2000, 'x'], ['seed-2499', 999, 'y'], ['fresh', 2000, 'z']))).toEqual([false, true, true]);
  });

  it('refuses misaligned batches and non-finite timestamps', async () => {
    const s = make();
    await expect(s.check({ keys: [['a', 'b']], timestamps: [1], ids: ['x', 'y'] })).rejects.toThrow(/2 keys, 1 timestamps/);
    await expect(s.check(batch(['a', Number.NaN, 'x']))).rejects.toThrow(/not a finite number/);
    await expect(s.check({ keys: [['a'], ['b', 'c']], timestamps: [1], ids: ['x'] })).rejects.toThrow(/1\/2 keys/);
    expect(await s.check(batch())).toEqual([]);
  });

  it('takes keys as columns of parts: the parts joined by U+001F are the key', async () => {
    const s = make();
    const parts = (plates: string[], colors: string[], ts: number[], ids: string[]): FirstSeenBatch => ({ keys: [plates, colors], timestamps: ts, ids });
    expect(await s.check(parts(['京A1', '京A1', '京A1'], ['blue', 'yellow', 'blue'], [10, 20, 30], ['a', 'b', 'c']))).toEqual([true, true, false]);
    // The same keys given whole, as a seed of known vehicles does.
    expect(await s.check(batch(['京A1\u001fblue', 5, 'd'], ['京A1\u001fyellow', 25, 'e'], ['京A1', 1, 'f']))).toEqual([true, false, true]);
    expect(await s.check(parts(['京A1', '京A1', '京A1'], ['blue', 'yellow', 'green'], [5, 20, 40], ['d', 'b', 'g']))).toEqual([true, true, true]);
    // A separator inside a part: still the joined string that counts.
    expect(await s.check({ keys: [['x\u001fy'], ['z']], timestamps: [7], ids: ['h'] })).toEqual([true]);
    expect(await s.check({ keys: [['x'], ['y\u001fz']], timestamps: [8], ids: ['i'] })).toEqual([false]);
    expect(await s.check({ keys: [['x'], ['y'], ['z']], timestamps: [6], ids: ['j'] })).toEqual([true]);
    expect(await s.earliest(['京A1\u001fblue', '京A1\u001fyellow', '京A1\u001fgreen', '京A1', 'x\u001fy\u001fz', 'x'])).toEqual([
      { timestamp: 5, id: 'd' },
      { timestamp: 20, id: 'b' },
      { timestamp: 40, id: 'g' },
      { timestamp: 1, id: 'f' },
      { timestamp: 6, id: 'j' },
      null,
    ]);
  });

  it('agrees with the oracle when keys come split into parts anywhere', async () => {
    // Keys over a tiny alphabet with separators, each batch split into a random number of columns at separators
    // (or given whole): any split of the same joined string is the same key.
    const key = fc.array(fc.constantFrom('a', 'b', '\u001f'), { minLength: 0, maxLength: 4 }).map((cs) => cs.join(''));
    const sight = fc.tuple(key, fc.integer({ min: 0, max: 4 }), fc.constantFrom('r1', 'r2', 'r3'));
    const split = (k: string, columns: number): string[] | null => {
      if (columns === 1) return [k];
      const parts = k.split('\u001f');
      if (parts.length < columns) return null;
      return [...parts.slice(0, columns - 1), parts.slice(columns - 1).join('\u001f')];
    };
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.array(sight, { maxLength: 10 }), fc.integer({ min: 1, max: 3 })), { maxLength: 6 }), async (batches) => {
        const s = make();
        const got: boolean[][] = [];
        for (const [b, columns] of batches) {
          const splits = b.map((x) => split(x[0], columns));
          const ok = splits.every((p) => p !== null);
          const keys = ok ? Array.from({ length: columns }, (_, j) => splits.map((p) => (p as string[])[j] as string)) : [b.map((x) => x[0])];
          got.push(await s.check({ keys, timestamps: b.map((x) => x[1]), ids: b.map((x) => x[2]) }));
        }
        expect(got).toEqual(oracle(batches.map(([b]) => b)));
      }),
      { numRuns: 60 },
    );
  });

  it('agrees with the oracle on random sequences of batches', async () => {
    const sight = fc.tuple(
      fc.constantFrom('A', 'B', 'C', '京A1'),
      fc.integer({ min: 0, max: 6 }).map((t) => t * 1000),
      fc.constantFrom('r1', 'r2', 'r10', 'é', 'z'),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(sight, { maxLength: 12 }), { maxLength: 6 }), async (batches) => {
        const s = make();
        const got: boolean[][] = [];
        for (const b of batches) got.push(await s.check(batch(...b)));
        expect(got).toEqual(oracle(batches));
      }),
      { numRuns: 40 },
    );
  });
});

describe('memory and Redis stores', () => {
  it('give identical answers for the same long sequence', async () => {
    const memory = new MemoryFirstSeenStore();
    const shared = new RedisFirstSeenStore(redis, { prefix: uniquePrefix('first-seen-same') });
    redisStores.push(shared);
    let seed = 42;
    const rand = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let b = 0; b < 20; b++) {
      const sights: Sight[] = Array.from({ length: 250 }, () => [`P${rand(300)}`, rand(50) * 60_000, `id-${rand(1000)}`] as const);
      const [m, r] = [await memory.check(batch(...sights)), await shared.check(batch(...sights))];
      expect(r).toEqual(m);
    }
    const keys = Array.from({ length: 300 }, (_, i) => `P${i}`);
    expect(await shared.earliest(keys)).toEqual(await memory.earliest(keys));
  });
});
