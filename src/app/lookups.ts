import { readFile } from 'node:fs/promises';
import type { BatchLookup } from '../dsl/index.js';
import { canonicalJson, LookupRegistry, type Value } from '../dsl/index.js';
import { MemoryFirstSeenStore } from '../io/first-seen/memory-store.js';
import { RedisFirstSeenStore } from '../io/first-seen/redis-store.js';
import type { FirstSeenBatch, FirstSeenStore } from '../io/first-seen/store.js';
import { connectRedis } from '../io/redis/client.js';
import { UserError } from './errors.js';

/*
 * The store key of a record's arguments: plain values (plate, colour) as parts joined with U+001F (null as U+0000,
 * numbers and booleans as text); an object anywhere makes the key the canonical JSON of all the arguments. Stored
 * keys outlive a process (Redis): never change this.
 */

/** The key parts of a batch, one column per argument; null when some record's arguments hold an object. */
function keyParts(args: readonly (readonly Value[])[], n: number): string[][] | null {
  const columns: string[][] = [];
  for (const values of args) {
    const column = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      const a = values[i] as Value;
      if (typeof a === 'string') column[i] = a;
      else if (a === null) column[i] = '\u0000';
      else if (typeof a === 'object') return null;
      else column[i] = String(a);
    }
    columns.push(column);
  }
  return columns;
}

/** Whole keys, for a batch with an object among its arguments. */
function wholeKeys(args: readonly (readonly Value[])[], n: number): string[] {
  const keys = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const values = args.map((column) => column[i] as Value);
    keys[i] = values.some((a) => typeof a === 'object' && a !== null)
      ? canonicalJson(values)
      : values.map((a) => (a === null ? '\u0000' : String(a))).join('\u001f');
  }
  return keys;
}

/** Binds `first_seen(args...)` to a store: the arguments form the key; a record's id (or its JSON) breaks time ties. */
export function firstSeenLookup(store: FirstSeenStore): BatchLookup {
  return {
    lookup({ args, timestamps, records }) {
      const n = records.length;
      const keys: FirstSeenBatch['keys'] = keyParts(args, n) ?? [wholeKeys(args, n)];
      const ids = new Array<string>(n);
      for (let i = 0; i < n; i++) {
        const r = records[i] as (typeof records)[number];
        const id = r['id'];
        ids[i] = typeof id === 'string' ? id : canonicalJson(r as Value);
      }
      return store.check({ keys, timestamps, ids });
    },
  };
}

/** The first_seen store: in memory for the run (the embedded default), or in Redis, where sightings outlive it. */
export async function openFirstSeenStore(options: {
  readonly redis?: string;
  readonly prefix?: string;
  readonly connectionName?: string;
}): Promise<FirstSeenStore> {
  if (options.redis === undefined) return new MemoryFirstSeenStore();
  let redis;
  try {
    redis = await connectRedis({ url: options.redis, connectionName: options.connectionName ?? 'vigil' });
  } catch (error) {
    throw new UserError((error as Error).message);
  }
  return new RedisFirstSeenStore(redis, { ownsConnection: true, prefix: options.prefix });
}

/**
 * The lookups programs may `enrich` with, for the checker: `first_seen(key, ...)` is true for the earliest sighting
 * of the key (several arguments form one key), kept without expiry.
 */
export function lookupSignatures(): LookupRegistry {
  return new LookupRegistry().register({
    name: 'first_seen',
    params: ['unknown'],
    rest: 'unknown',
    minArgs: 1,
    maxArgs: Infinity,
    returns: 'boolean',
    note: '`first_seen` keeps every key it sees in Redis without expiry, so the store grows with the number of distinct keys; this is by design, size Redis for it',
  });
}

/** The lookups of lookupSignatures(), bound to their stores. */
export function lookupsFor(store: FirstSeenStore): ReadonlyMap<string, BatchLookup> {
  return new Map([['first_seen', firstSeenLookup(store)]]);
}

/**
 * Vehicles known before the run (a generator truth file's `known_vehicles`, [plate, colour] pairs) become
 * sightings at the epoch, so first_seen(plate, plate_color) is false for them. The key is the one the lookup
 * builds for those two arguments (one key column per argument).
 */
export async function seedKnownVehicles(store: FirstSeenStore, path: string): Promise<void> {
  let known: unknown;
  try {
    known = (JSON.parse(await readFile(path, 'utf8')) as { known_vehicles?: unknown }).known_vehicles;
  } catch (error) {
    throw new UserError(`--known-vehicles ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!Array.isArray(known)) throw new UserError(`--known-vehicles ${path}: no known_vehicles list`);
  const plates: string[] = [];
  const colours: string[] = [];
  for (const v of known) {
    if (!Array.isArray(v) || typeof v[0] !== 'string' || typeof v[1] !== 'string')
      throw new UserError(`--known-vehicles ${path}: entries must be [plate, plate_color]`);
    plates.push(v[0]);
    colours.push(v[1]);
  }
  await store.seed({ keys: [plates, colours], timestamps: plates.map(() => 0), ids: plates.map(() => 'known') });
}
