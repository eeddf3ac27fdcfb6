import { compareIds, type FirstSeenBatch, type FirstSeenStore, KEY_SEPARATOR, type Sighting, validateBatch } from './store.js';

/**
 * The embedded default: the earliest sighting per key, for the life of the process.
 *
 * A key is found by its head (the text before the first separator: the plate) in one map, then its rest (the
 * colour) is compared with the rest stored for that head; the rare other keys of a head (a plate seen with two
 * colours) live in a second map by their whole string. So the usual lookup is one map probe with the parsed plate
 * string (short JSON strings come interned, hashed already) and builds no key string. Per key a slot in columns
 * (event time, record id): nothing is allocated for a key after its first sighting. The sightings answered true and
 * displaced since by an earlier one (see FirstSeenStore) are kept by slot in a map that stays empty unless that
 * happened: until then a later sighting costs one size test more.
 */
export class MemoryFirstSeenStore implements FirstSeenStore {
  /** Head -> the slot of the first key seen with that head. */
  private readonly byHead = new Map<string, number>();
  /** Whole key -> slot, for keys whose head's slot holds another rest. */
  private readonly others = new Map<string, number>();
  /** Per slot: the key's rest (null: the key has no separator), earliest event time and id. */
  private readonly rests: (string | null)[] = [];
  private readonly times: number[] = [];
  private readonly ids: string[] = [];
  /** Per slot, the sightings once answered true that an earlier one displaced (only slots that have any). */
  private readonly displaced = new Map<number, { readonly times: number[]; readonly ids: string[] }>();

  async check(batch: FirstSeenBatch): Promise<boolean[]> {
    return this.checkSync(batch);
  }

  /** check() without the promise, for callers already on the per-record path. */
  checkSync(batch: FirstSeenBatch): boolean[] {
    validateBatch(batch);
    const { keys, timestamps, ids } = batch;
    const n = timestamps.length;
    const out = new Array<boolean>(n);
    const first = keys[0] as readonly string[];
    const second = keys.length === 2 ? (keys[1] as readonly string[]) : null;
    const simple = keys.length <= 2;
    const byHead = this.byHead;
    const rests = this.rests;
    for (let i = 0; i < n; i++) {
      // The usual case inline: a known head (stored heads never hold a separator, so a first part that does is
      // not found here) with the same rest. Anything else, new keys included, takes slotOf.
      let slot = -1;
      if (simple) {
        const s = byHead.get(first[i] as string);
        if (s !== undefined && rests[s] === (second === null ? null : (second[i] as string))) slot = s;
      }
      if (slot < 0) slot = this.slotOf(keys, i);
      out[i] = slot < 0 ? this.add(-slot - 1, timestamps[i] as number, ids[i] as string) : this.record(slot, timestamps[i] as number, ids[i] as string);
    }
    return out;
  }

  /** The slot of key i, split at its first separator whatever its columns (see slot()). */
  private slotOf(keys: FirstSeenBatch['keys'], i: number): number {
    const a = (keys[0] as readonly string[])[i] as string;
    if (keys.length === 2 && !a.includes(KEY_SEPARATOR)) return this.slot(a, (keys[1] as readonly string[])[i] as string);
    let key = a;
    for (let j = 1; j < keys.length; j++) key += KEY_SEPARATOR + ((keys[j] as readonly string[])[i] as string);
    const sep = key.indexOf(KEY_SEPARATOR);
    return sep < 0 ? this.slot(key, null) : this.slot(key.slice(0, sep), key.slice(sep + 1));
  }

  /** The slot of (head, rest), or -(new slot) - 1 when the key is new (its slot is reserved). */
  private slot(head: string, rest: string | null): number {
    const s = this.byHead.get(head);
    if (s === undefined) {
      const fresh = this.reserve(rest);
      this.byHead.set(head, fresh);
      return -fresh - 1;
    }
    if (this.rests[s] === rest) return s;
    const key = rest === null ? head : head + KEY_SEPARATOR + rest;
    const other = this.others.get(key);
    if (other !== undefined) return other;
    const fresh = this.reserve(rest);
    this.others.set(key, fresh);
    return -fresh - 1;
  }

  private reserve(rest: string | null): number {
    this.rests.push(rest);
    this.times.push(0);
    this.ids.push('');
    return this.rests.length - 1;
  }

  private add(slot: number, ts: number, id: string): boolean {
    this.times[slot] = ts;
    this.ids[slot] = id;
    return true;
  }

  /** Records a sighting of a known key: true when it is (now) the key's earliest, or was answered true before. */
  private record(slot: number, ts: number, id: string): boolean {
    const cts = this.times[slot] as number;
    // The usual answer: a later sighting of a known key is false, unless it was answered true before (a replay).
    if (ts > cts) return this.displaced.size !== 0 && this.wasDisplaced(slot, ts, id);
    const cid = this.ids[slot] as string;
    if (ts < cts || compareIds(id, cid) < 0) {
      this.times[slot] = ts;
      this.ids[slot] = id;
      // (cts, cid) was answered true when it became the earliest: remember it for its replays.
      const list = this.displaced.get(slot);
      if (list === undefined) this.displaced.set(slot, { times: [cts], ids: [cid] });
      else {
        list.times.push(cts);
        list.ids.push(cid);
      }
      return true;
    }
    return id === cid || (this.displaced.size !== 0 && this.wasDisplaced(slot, ts, id));
  }

  /** Whether sighting (ts, id) of the key was its earliest once, before an earlier one displaced it. */
  private wasDisplaced(slot: number, ts: number, id: string): boolean {
    const list = this.displaced.get(slot);
    if (list === undefined) return false;
    for (let i = 0; i < list.ids.length; i++) if (list.times[i] === ts && list.ids[i] === id) return true;
    return false;
  }

  async seed(batch: FirstSeenBatch): Promise<void> {
    this.checkSync(batch);
  }

  async earliest(keys: readonly string[]): Promise<(Sighting | null)[]> {
    return keys.map((key) => {
      const sep = key.indexOf(KEY_SEPARATOR);
      const head = sep < 0 ? key : key.slice(0, sep);
      const rest = sep < 0 ? null : key.slice(sep + 1);
      let slot = this.byHead.get(head);
      if (slot !== undefined && this.rests[slot] !== rest) slot = this.others.get(key);
      return slot === undefined ? null : { timestamp: this.times[slot] as number, id: this.ids[slot] as string };
    });
  }

  /** Keys with a sighting. */
  get size(): number {
    return this.rests.length;
  }

  async close(): Promise<void> {}
}
