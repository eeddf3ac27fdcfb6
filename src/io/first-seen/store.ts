import { compareCodePoints } from '../../core/strings.js';

/** Joins the parts of a key (the lookup's arguments: plate, colour). */
export const KEY_SEPARATOR = '\u001f';

/**
 * `first_seen(key)` from the DSL: true for the record that is the earliest sighting of `key` by event time ever
 * seen, kept without expiry. Per key a store keeps the earliest (event time, record id) pair; a record is "first"
 * iff, after recording it, the stored pair is its own. Ties on event time go to the smaller record id (compared by
 * Unicode code point, the same as UTF-8 bytes), so every store gives the same answer for the same sequence.
 *
 * A sighting once answered true stays true: the service replays its input after a crash, and downstream
 * de-duplicates alerts by id, so a replayed record must get the answer it got the first time, also when an earlier
 * sighting of its key (a camera's backlog, another process) reached the store in between. So per key a store also
 * remembers the sightings it answered true that an earlier one has since displaced (each was the stored pair once),
 * and answers true again for exactly those (event time, record id) pairs, as for the stored pair itself; every other
 * sighting after the earliest is false, as before. A replay brings a record's event time and id unchanged. The list
 * grows by one only when a sighting earlier than every one before it arrives, which a city's feed does rarely (a
 * backlog flush).
 */
export interface FirstSeenBatch {
  /**
   * The keys, as columns of parts: key i is `keys[0][i]`, `keys[1][i]`, ... joined by KEY_SEPARATOR, so ['a', 'b']
   * and 'a\u001fb' are one key. A caller with whole keys passes one column; parts let a store find a key without
   * building its string.
   */
  readonly keys: readonly (readonly string[])[];
  /** Event times, epoch ms (finite). */
  readonly timestamps: readonly number[];
  /** Record ids (the traffic record's `id`): the tie-break on equal event times. */
  readonly ids: readonly string[];
}

/** A batch of whole keys (one column). */
export function sightings(keys: readonly string[], timestamps: readonly number[], ids: readonly string[]): FirstSeenBatch {
  return { keys: [keys], timestamps, ids };
}

/** Key i of a batch, joined. */
export function keyAt(keys: FirstSeenBatch['keys'], i: number): string {
  let key = (keys[0] as readonly string[])[i] as string;
  for (let j = 1; j < keys.length; j++) key += KEY_SEPARATOR + ((keys[j] as readonly string[])[i] as string);
  return key;
}

export interface Sighting {
  readonly timestamp: number;
  readonly id: string;
}

export interface FirstSeenStore {
  /** Records every sighting of the batch, in batch order, and answers for each whether it is the key's first. */
  check(batch: FirstSeenBatch): Promise<boolean[]>;
  /** Bulk warm-up, e.g. plates known from before Vigil ran: the same as check() without the answers. */
  seed(batch: FirstSeenBatch): Promise<void>;
  /** The stored earliest sighting of each key (null when never seen), without recording anything. */
  earliest(keys: readonly string[]): Promise<(Sighting | null)[]>;
  close(): Promise<void>;
}

/** Throws unless the key columns, timestamps and ids line up and every timestamp is a finite number. */
export function validateBatch(batch: FirstSeenBatch): void {
  const n = batch.timestamps.length;
  let aligned = batch.ids.length === n && (batch.keys.length > 0 || n === 0);
  for (let j = 0; j < batch.keys.length; j++) if ((batch.keys[j] as readonly string[]).length !== n) aligned = false;
  if (!aligned) {
    const keys = batch.keys.map((column) => column.length).join('/');
    throw new RangeError(`first_seen batch: ${keys || 'no'} keys, ${n} timestamps, ${batch.ids.length} ids`);
  }
  for (let i = 0; i < n; i++) {
    const ts = batch.timestamps[i] as number;
    if (!Number.isFinite(ts)) throw new RangeError(`first_seen batch: timestamp ${ts} of key '${keyAt(batch.keys, i)}' is not a finite number`);
  }
}

/**
 * Code-point order of two strings (equal to the byte order of their UTF-8 encodings, which the Redis script uses;
 * also the order in which a job puts records of one event time before they are looked up).
 */
export const compareIds: (a: string, b: string) => number = compareCodePoints;

/** True when sighting (ts, id) comes strictly before (cts, cid). */
export function sightingBefore(ts: number, id: string, cts: number, cid: string): boolean {
  return ts < cts || (ts === cts && compareIds(id, cid) < 0);
}

/** `vigil:first_seen:<namespace>:`: the default Redis key prefix of a namespace (one per rule set or city). */
export function firstSeenPrefix(namespace: string): string {
  return `vigil:first_seen:${namespace}:`;
}
