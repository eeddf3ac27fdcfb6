/**
 * The per-key shared buffer of partial matches (after Flink's SharedBuffer). A partial match is a chain of
 * BufferNodes from its last taken event back to its first; branches share their common prefix, so branching never
 * copies event lists. An event taken by several branches is one object that their nodes point at (a reference,
 * not a copy: Flink stores events once because its state is serialized; on the JS heap sharing is free, so no
 * separate per-event record with its own count is kept).
 *
 * Reference counts: a node is held by every computation state (or held-back finished match) that points at it and
 * by every node whose `prev` it is. Releasing the last reference frees the node and walks back along `prev`, so a
 * chain is freed as soon as no partial match needs it.
 *
 * Unlike Flink, a TAKE always makes a new node instead of merging nodes of the same (event, state) with
 * Dewey-versioned edges: each node then has exactly one predecessor, extraction needs no version test, and an
 * abandoned branch frees its own nodes at once.
 */
import { type Dewey, deweyWeight } from './dewey.js';
import type { MatchTrace } from './skip/skip-policy.js';

const NO_EVENTS: readonly never[] = Object.freeze([]);
/** Shared by every buffer: extraction never runs re-entrantly (single-threaded, conditions cannot extract). */
const CHAIN_SCRATCH: unknown[] = [];

/*
 * Nodes (and nfa.ts's computation states) are made by object literals in one factory each, not by `new` on a
 * class. Most of them live for minutes (a key's last event waits for its next one): V8 pretenures an object
 * literal's allocation site once it sees most of its objects survive, so they are born in the old generation
 * instead of being copied out of the young one, twice, by scavenges (class instances never are). Mark-compact then
 * has more to do, but less than the scavenges save.
 */

/** A node of a partial match's chain: one taken event. */
export interface BufferNode<E> {
  refs: number;
  readonly event: E;
  readonly timestamp: number;
  /** Per-key arrival number of the event: orders events (Flink's EventId); nodes of one event share it. */
  readonly seq: number;
  /** Pattern variable the event was taken for. */
  readonly variable: string;
  readonly prev: BufferNode<E> | null;
  /** Dewey version of the branch that took the event (Flink's edge version): every later version of that
   *  branch, and of branches split from it, is compatible with it. */
  readonly version: Dewey;
  /** Memo of the last eventsOf() on this chain: chains never change, and a waiting partial match is asked the
   *  same question (e.g. `a.checkpoint`) for every later event of its key. */
  memoName: string | null;
  memoEvents: readonly E[];
}

function bufferNode<E>(event: E, timestamp: number, seq: number, variable: string, prev: BufferNode<E> | null, version: Dewey): BufferNode<E> {
  return { refs: 0, event, timestamp, seq, variable, prev, version, memoName: null, memoEvents: NO_EVENTS };
}

/** Distinct events held by the chains ending at `heads` (nodes of one event share its seq). */
export function heldEvents<E>(heads: Iterable<BufferNode<E> | null>): number {
  const seen = new Set<number>();
  for (const head of heads) for (let n = head; n !== null; n = n.prev) seen.add(n.seq);
  return seen.size;
}

export type Match<E> = Record<string, E[]>;

export class SharedBuffer<E> {
  /** Nodes currently held. */
  nodeCount = 0;
  /** What the held nodes weigh for a state budget: each counts one plus its version's digits unless the version is
   *  a shared linear one (a branched version grows by one digit per event its branch took: a long chain weighs what
   *  it holds). */
  entries = 0;

  /**
   * Records that an event was taken for `variable` (by the branch at `version`) after the chain ending at `prev`.
   * The new node starts with no holder: the caller locks it for each computation state that points at it.
   */
  put(variable: string, event: E, timestamp: number, seq: number, prev: BufferNode<E> | null, version: Dewey): BufferNode<E> {
    const node = bufferNode(event, timestamp, seq, variable, prev, version);
    if (prev !== null) prev.refs++;
    this.nodeCount++;
    this.entries += 1 + deweyWeight(version);
    return node;
  }

  lock(node: BufferNode<E> | null): void {
    if (node !== null) node.refs++;
  }

  /** Drops one reference; frees the node, and then its predecessors, while nothing else holds them. */
  release(node: BufferNode<E> | null): void {
    let n = node;
    while (n !== null) {
      if (n.refs <= 0) throw new Error('shared buffer: release of a node that is not held');
      if (--n.refs > 0) return;
      this.nodeCount--;
      this.entries -= 1 + deweyWeight(n.version);
      n = n.prev;
    }
  }

  /** The events of the chain ending at `node`, by variable, variables in pattern order. */
  extract(node: BufferNode<E> | null): Match<E> {
    const out: Match<E> = {};
    // Walk back into a reused scratch array, then forward so variables come out in pattern order.
    const chain = CHAIN_SCRATCH as BufferNode<E>[];
    let len = 0;
    for (let n = node; n !== null; n = n.prev) chain[len++] = n;
    for (let k = len - 1; k >= 0; k--) {
      const n = chain[k]!;
      chain[k] = undefined as unknown as BufferNode<E>; // do not keep the chain alive
      const list = out[n.variable];
      if (list === undefined) out[n.variable] = [n.event];
      else list.push(n.event);
    }
    return out;
  }

  /** Events taken for `variable` in the chain ending at `node`, oldest first. */
  eventsOf(node: BufferNode<E> | null, variable: string): readonly E[] {
    if (node === null) return NO_EVENTS;
    if (node.memoName === variable) return node.memoEvents;
    const events = this.collect(node, variable);
    node.memoName = variable;
    node.memoEvents = events;
    return events;
  }

  /** The last event taken for `variable` in the chain ending at `node`: a walk back, no array. */
  lastOf(node: BufferNode<E> | null, variable: string): E | undefined {
    for (let n = node; n !== null; n = n.prev) if (n.variable === variable) return n.event;
    return undefined;
  }

  private collect(node: BufferNode<E>, variable: string): readonly E[] {
    let count = 0;
    for (let n: BufferNode<E> | null = node; n !== null; n = n.prev) if (n.variable === variable) count++;
    if (count === 0) return NO_EVENTS;
    const out = new Array<E>(count);
    for (let n: BufferNode<E> | null = node; n !== null; n = n.prev) if (n.variable === variable) out[--count] = n.event;
    return Object.freeze(out);
  }

  trace(node: BufferNode<E> | null): MatchTrace {
    return new ChainTrace(node);
  }
}

/** Sequence positions of one finished match, read off its chain on demand. */
class ChainTrace<E> implements MatchTrace {
  constructor(private readonly head: BufferNode<E> | null) {}
  get lastSeq(): number {
    return this.head === null ? -1 : this.head.seq;
  }
  get firstSeq(): number {
    let seq = -1;
    for (let n = this.head; n !== null; n = n.prev) seq = n.seq;
    return seq;
  }
  firstSeqOf(variable: string): number {
    let seq = -1;
    for (let n = this.head; n !== null; n = n.prev) if (n.variable === variable) seq = n.seq;
    return seq;
  }
  lastSeqOf(variable: string): number {
    for (let n = this.head; n !== null; n = n.prev) if (n.variable === variable) return n.seq;
    return -1;
  }
}
