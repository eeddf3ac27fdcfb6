/**
 * Heap keyed state: every state is a table (key -> namespace -> value) scoped by the backend's current key,
 * as Flink's heap backend. Operators set the current key once per record; state handles then read and
 * write that key's slot with no per-access allocation.
 */
export type Key = string | number;
/** Namespaces scope state below the key, e.g. a window (its start) or a fixed slot. */
export type Namespace = string | number;
export const DEFAULT_NAMESPACE: Namespace = 0;

/**
 * One key's slots in one state. Remembers the namespace used last: records of a key mostly hit the same window,
 * and the hit skips the inner map (two dependent memory loads on a cold key) entirely.
 */
class KeyRow<T> {
  lastNs: Namespace | undefined = undefined;
  last: T | undefined = undefined;
  readonly map = new Map<Namespace, T>();

  get(ns: Namespace): T | undefined {
    if (this.lastNs === ns) return this.last;
    const v = this.map.get(ns);
    if (v !== undefined) {
      this.lastNs = ns;
      this.last = v;
    }
    return v;
  }

  set(ns: Namespace, value: T): void {
    this.map.set(ns, value);
    this.lastNs = ns;
    this.last = value;
  }

  delete(ns: Namespace): void {
    this.map.delete(ns);
    if (this.lastNs === ns) {
      this.lastNs = undefined;
      this.last = undefined;
    }
  }
}

type Table<T> = Map<Key, KeyRow<T>>;

/** One row of a state snapshot: [key, namespace, value]. Values must be plain JSON-able data. */
export type StateRow = readonly [Key, Namespace, unknown];
export type KeyedStateSnapshot = Readonly<Record<string, readonly StateRow[]>>;

export class KeyedStateBackend {
  private currentKey: Key | undefined;
  private readonly tables = new Map<string, Table<unknown>>();

  setCurrentKey(key: Key): void {
    this.currentKey = key;
  }

  getCurrentKey(): Key {
    if (this.currentKey === undefined) throw new Error('keyed state accessed with no current key');
    return this.currentKey;
  }

  private table<T>(name: string): Table<T> {
    let t = this.tables.get(name);
    if (t === undefined) {
      t = new Map();
      this.tables.set(name, t);
    }
    return t as Table<T>;
  }

  value<T>(name: string): ValueState<T> {
    return new ValueState<T>(this, this.table<T>(name));
  }

  list<T>(name: string): ListState<T> {
    return new ListState<T>(this, this.table<T[]>(name));
  }

  map<K, V>(name: string): MapState<K, V> {
    return new MapState<K, V>(this, this.table<Map<K, V>>(name));
  }

  /** Keys that hold any state in the named table (for operators that must visit every key, e.g. on restore). */
  keys(name: string): IterableIterator<Key> {
    return this.table(name).keys();
  }

  /** Number of (key, namespace) entries over all tables: a cheap size gauge for metrics. */
  entryCount(): number {
    let n = 0;
    for (const t of this.tables.values()) for (const row of t.values()) n += row.map.size;
    return n;
  }

  snapshot(): KeyedStateSnapshot {
    const out: Record<string, StateRow[]> = {};
    for (const [name, table] of this.tables) {
      const rows: StateRow[] = [];
      for (const [key, row] of table) {
        for (const [ns, value] of row.map) rows.push([key, ns, value instanceof Map ? { $map: [...value] } : value]);
      }
      out[name] = rows;
    }
    return out;
  }

  restore(snapshot: KeyedStateSnapshot): void {
    // State handles hold their table: empty the tables in place rather than replacing them.
    for (const t of this.tables.values()) t.clear();
    for (const name of Object.keys(snapshot)) {
      const table = this.table<unknown>(name);
      for (const [key, ns, value] of snapshot[name] ?? []) {
        let row = table.get(key);
        if (row === undefined) {
          row = new KeyRow();
          table.set(key, row);
        }
        row.set(ns, isEncodedMap(value) ? new Map(value.$map) : value);
      }
    }
  }
}

function isEncodedMap(v: unknown): v is { $map: Array<[unknown, unknown]> } {
  return typeof v === 'object' && v !== null && Array.isArray((v as { $map?: unknown }).$map);
}

abstract class ScopedState<T> {
  constructor(
    protected readonly backend: KeyedStateBackend,
    protected readonly table: Table<T>,
  ) {}

  protected read(ns: Namespace): T | undefined {
    return this.table.get(this.backend.getCurrentKey())?.get(ns);
  }

  protected write(ns: Namespace, value: T): void {
    const key = this.backend.getCurrentKey();
    let row = this.table.get(key);
    if (row === undefined) {
      row = new KeyRow();
      this.table.set(key, row);
    }
    row.set(ns, value);
  }

  /** Removes the current key's value in `ns`; drops the key's row when it becomes empty so memory follows live state. */
  clear(ns: Namespace = DEFAULT_NAMESPACE): void {
    const key = this.backend.getCurrentKey();
    const row = this.table.get(key);
    if (row === undefined) return;
    row.delete(ns);
    if (row.map.size === 0) this.table.delete(key);
  }

  /** Namespaces the current key has state in. */
  namespaces(): IterableIterator<Namespace> {
    const row = this.table.get(this.backend.getCurrentKey());
    return (row === undefined ? EMPTY : row.map).keys();
  }
}

const EMPTY = new Map<Namespace, never>();

export class ValueState<T> extends ScopedState<T> {
  get(ns: Namespace = DEFAULT_NAMESPACE): T | undefined {
    return this.read(ns);
  }
  update(value: T, ns: Namespace = DEFAULT_NAMESPACE): void {
    this.write(ns, value);
  }
}

export class ListState<T> extends ScopedState<T[]> {
  get(ns: Namespace = DEFAULT_NAMESPACE): readonly T[] {
    return this.read(ns) ?? [];
  }
  add(value: T, ns: Namespace = DEFAULT_NAMESPACE): void {
    const list = this.read(ns);
    if (list === undefined) this.write(ns, [value]);
    else list.push(value);
  }
  update(values: T[], ns: Namespace = DEFAULT_NAMESPACE): void {
    if (values.length === 0) this.clear(ns);
    else this.write(ns, values);
  }
}

export class MapState<K, V> extends ScopedState<Map<K, V>> {
  get(mapKey: K, ns: Namespace = DEFAULT_NAMESPACE): V | undefined {
    return this.read(ns)?.get(mapKey);
  }
  put(mapKey: K, value: V, ns: Namespace = DEFAULT_NAMESPACE): void {
    const map = this.read(ns);
    if (map === undefined) this.write(ns, new Map([[mapKey, value]]));
    else map.set(mapKey, value);
  }
  remove(mapKey: K, ns: Namespace = DEFAULT_NAMESPACE): void {
    const map = this.read(ns);
    if (map === undefined) return;
    map.delete(mapKey);
    if (map.size === 0) this.clear(ns);
  }
  entries(ns: Namespace = DEFAULT_NAMESPACE): IterableIterator<[K, V]> {
    return (this.read(ns) ?? new Map<K, V>()).entries();
  }
}
