import { sightingBefore, validateBatch, type FirstSeenBatch, type FirstSeenStore, type Sighting } from './store.js';

/** The embedded default: the earliest sighting per key in a Map, for the life of the process. */
export class MemoryFirstSeenStore implements FirstSeenStore {
  private readonly earliestByKey = new Map<string, Sighting>();

  async check(batch: FirstSeenBatch): Promise<boolean[]> {
    return this.checkSync(batch);
  }

  /** check() without the promise, for callers already on the per-record path. */
  checkSync(batch: FirstSeenBatch): boolean[] {
    validateBatch(batch);
    const { keys, timestamps, ids } = batch;
    const out = new Array<boolean>(keys.length);
    for (let i = 0; i < keys.length; i++) out[i] = this.record(keys[i] as string, timestamps[i] as number, ids[i] as string);
    return out;
  }

  private record(key: string, ts: number, id: string): boolean {
    const cur = this.earliestByKey.get(key);
    if (cur === undefined || sightingBefore(ts, id, cur.timestamp, cur.id)) {
      this.earliestByKey.set(key, { timestamp: ts, id });
      return true;
    }
    return cur.timestamp === ts && cur.id === id;
  }

  async seed(batch: FirstSeenBatch): Promise<void> {
    this.checkSync(batch);
  }

  async earliest(keys: readonly string[]): Promise<(Sighting | null)[]> {
    return keys.map((k) => this.earliestByKey.get(k) ?? null);
  }

  /** Keys with a sighting. */
  get size(): number {
    return this.earliestByKey.size;
  }

  async close(): Promise<void> {}
}
