import type { BatchLookup } from '../dsl/compile/lookups.js';
import { canonicalJson } from '../dsl/rules/alert.js';
import type { Value } from '../dsl/index.js';
import type { FirstSeenStore } from '../io/first-seen/store.js';


/** Plain values (plate, colour) join with a unit separator; anything else is keyed by its canonical JSON. */
function lookupKey(args: readonly Value[]): string {
  let key = '';
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (typeof a === 'object' && a !== null) return canonicalJson(args);
    key += (i === 0 ? '' : '\u001f') + (a === null ? '\u0000' : String(a));
  }
  return key;
}

/** Binds `first_seen(args...)` to a store: the arguments form the key; a record's id (or its JSON) breaks time ties. */
export function firstSeenLookup(store: FirstSeenStore): BatchLookup {
  return {
    async lookup({ args, timestamps, records }) {
      const keys = args.map(lookupKey);
      const ids = records.map((r) => (typeof r['id'] === 'string' ? (r['id'] as string) : canonicalJson(r as Value)));
      return store.check({ keys, timestamps, ids });
    },
  };
}
