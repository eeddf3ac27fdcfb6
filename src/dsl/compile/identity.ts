import type { EventCodec } from '../../cep/snapshot.js';
import { compareCodePoints } from '../../core/strings.js';
import type { Rec } from './scope.js';

/**
 * What a record is, for alert ids and for ordering records of equal event time: never what it measures.
 *
 * - A record with a string `id` field (a traffic record) is that id.
 * - A window result has no id of its own; it is its window: the stream's name, the key and the window's bounds,
 *   set when the window fires (windowIdentity). Its aggregates are not part of it: a float average summed in
 *   another order differs in its last bits, and an alert id must not change with the arrival interleaving.
 * - Anything else (a pattern's match records, a `select` projection) has no identity here: alert ids fall back to
 *   its content, and ties on event time to arrival order.
 *
 * The window identity is a non-enumerable symbol property: the record's fields, its JSON (sinks, `--stream`) and
 * comparisons of records stay what the language says a window record is (the selected fields, window_start and
 * window_end). Filters and `key by` pass the object itself, so it keeps its identity downstream; a `select` makes a
 * new record without it. Snapshots keep it through identityCodec.
 */
const IDENTITY: unique symbol = Symbol('vigil.identity');

type Identified = Rec & { readonly [IDENTITY]?: string };

/** The record's identity: its string `id`, or the window it came from; undefined when it has neither. */
export function identityOf(r: Rec): string | undefined {
  const id = r['id'];
  if (typeof id === 'string') return id;
  return (r as Identified)[IDENTITY];
}

/** The identity a record was given (window results), not counting an `id` field. */
export function assignedIdentity(r: Rec): string | undefined {
  return (r as Identified)[IDENTITY];
}

/** Gives a record an identity (the window it came from), invisible to its fields and JSON. */
export function setIdentity(r: Rec, identity: string): void {
  if ((r as Identified)[IDENTITY] === identity) return;
  Object.defineProperty(r, IDENTITY, { value: identity, enumerable: false, writable: false, configurable: true });
}

/**
 * A window result's identity: stream, key, window start and end. An update of the window (a late record within
 * allowed lateness) is the same window and so has the same identity: an alert it causes that names the same
 * evidence is the same alert.
 */
export function windowIdentity(stream: string, key: unknown, start: number, end: number): string {
  return `${stream}\u001e${typeof key === 'string' ? key : JSON.stringify(key)}\u001e${start}\u001e${end}`;
}

/**
 * Orders records of equal event time by identity (code-point order, as first_seen breaks ties), records with an
 * identity before those without; 0 (arrival order) among records without one. Only ever called on equal event
 * times, so the per-record path does not pay for it.
 */
export function compareTies(a: Rec, b: Rec): number {
  const x = identityOf(a);
  const y = identityOf(b);
  if (x === undefined) return y === undefined ? 0 : 1;
  if (y === undefined) return -1;
  return compareCodePoints(x, y);
}

/**
 * Writes events into CEP snapshots so that a window result's identity survives a checkpoint: such an event is
 * written as [record, identity] (a record is always an object, never an array), any other event as itself, so
 * snapshots taken before identities existed restore unchanged.
 */
export const identityCodec: EventCodec<Rec> = {
  encode(e) {
    const id = assignedIdentity(e);
    return id === undefined ? e : [e, id];
  },
  decode(d) {
    if (!Array.isArray(d)) return d as Rec;
    const [r, id] = d as [Rec, string];
    setIdentity(r, id);
    return r;
  },
};
