import type { Value } from '../functions.js';
import type { Rec } from './scope.js';

/**
 * The calls of one `enrich` lookup on one batch, as columns: `args[j][i]` is argument j of record i, so a batch
 * costs a few arrays, not one per record. Every column has one entry per record, in input order.
 */
export interface LookupBatch {
  readonly args: readonly (readonly Value[])[];
  readonly timestamps: readonly number[];
  readonly records: readonly Rec[];
}

/**
 * An asynchronous lookup bound to an `enrich` function name (first_seen, ...). One call per batch; returns one
 * result per record, in the same order.
 */
export interface BatchLookup {
  lookup(batch: LookupBatch): Promise<ArrayLike<Value>>;
}
