import type { Value } from '../functions.js';
import type { Rec } from './scope.js';

/**
 * An asynchronous lookup bound to an `enrich` function name (first_seen, ...). One call per batch: the argument
 * values of each record, in input order; returns one result per record, in the same order.
 */
export interface BatchLookup {
  lookup(batch: {
    readonly args: readonly (readonly Value[])[];
    readonly timestamps: readonly number[];
    readonly records: readonly Rec[];
  }): Promise<Value[]>;
}
