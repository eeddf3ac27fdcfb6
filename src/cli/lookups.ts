import type { BatchLookup } from '../dsl/compile/lookups.js';
import { canonicalJson } from '../dsl/rules/alert.js';
import type { Value } from '../dsl/index.js';
import type { FirstSeenStore } from '../io/first-seen/store.js';


/** Binds `first_seen(args...)` to a store: the arguments form the key; a record's id (or its JSON) breaks time ties. */
export function firstSeenLookup(store: FirstSeenStore): BatchLookup {
  return {
    async lookup({ args, timestamps, records }) {
      const keys = args.map((a) => (a.length === 1 && typeof a[0] === 'string' ? a[0] : canonicalJson(a as Value[])));
      const ids = records.map((r) => (typeof r['id'] === 'string' ? (r['id'] as string) : canonicalJson(r as Value)));
      return store.check({ keys, timestamps, ids });
    },
  };
}
