import type { BatchLookup } from '../dsl/compile/lookups.js';
import { canonicalJson } from '../dsl/rules/alert.js';
import type { Value } from '../dsl/index.js';
import type { FirstSeenBatch, FirstSeenStore } from '../io/first-seen/store.js';

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
