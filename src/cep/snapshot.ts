/**
 * Snapshot codecs for one key's NFA state, kept apart from the runtime. The snapshot is plain JSON-able data:
 * each live event once, each live buffer node once (pointing at its event and predecessor by index), and the
 * computation states pointing at nodes. Restoring rebuilds the reference counts from those links, so a restored
 * state frees its buffer exactly as the original would.
 */
import type { Dewey } from './dewey.js';
import { type ComputationState, computationState, type Nfa, NfaKeyState } from './nfa.js';
import type { BufferNode } from './shared-buffer.js';

export const NFA_SNAPSHOT_FORMAT = 'vigil-cep-nfa/1';

/** How events are written into and read back from a snapshot. Default: the event itself (must be JSON-able). */
export interface EventCodec<E> {
  encode(event: E): unknown;
  decode(data: unknown): E;
}

/** [seq, timestamp, encoded event] */
type EventRow = [number, number, unknown];
/** [event row index, variable, previous node index or -1, Dewey version] */
type NodeRow = [number, string, number, number[]];
/** [state index, node index or -1, version, start timestamp, start seq, last event's timestamp (informational: the
 *  runtime no longer keeps it; written for readers of format 1, ignored on restore)] */
type StateRow = [number, number, number[], number, number, number];

export interface NfaStateSnapshot {
  readonly format: string;
  /** Identifies the compiled NFA; restoring into a different pattern is refused. */
  readonly fingerprint: string;
  readonly nextSeq: number;
  /** null before the first event (-Infinity does not survive JSON). */
  readonly lastTimestamp: number | null;
  readonly droppedPartialMatches: number;
  readonly events: EventRow[];
  readonly nodes: NodeRow[];
  readonly partials: StateRow[];
  readonly completed: StateRow[];
}

const identity: EventCodec<never> = { encode: (e) => e, decode: (d) => d as never };

export function encodeNfaState<E>(nfa: Nfa<E>, st: NfaKeyState<E>, codec: EventCodec<E> = identity): NfaStateSnapshot {
  const events: EventRow[] = [];
  const nodes: NodeRow[] = [];
  /** By the event's per-key arrival number: the nodes that took one event share it. */
  const eventIndex = new Map<number, number>();
  const nodeIndex = new Map<BufferNode<E>, number>();
  const indexNode = (head: BufferNode<E> | null): number => {
    if (head === null) return -1;
    // Index predecessors first, so every row points only backwards.
    const pending: BufferNode<E>[] = [];
    for (let n: BufferNode<E> | null = head; n !== null && !nodeIndex.has(n); n = n.prev) pending.push(n);
    for (let k = pending.length - 1; k >= 0; k--) {
      const n = pending[k]!;
      let ev = eventIndex.get(n.seq);
      if (ev === undefined) {
        ev = events.length;
        events.push([n.seq, n.timestamp, codec.encode(n.event)]);
        eventIndex.set(n.seq, ev);
      }
      nodeIndex.set(n, nodes.length);
      nodes.push([ev, n.variable, n.prev === null ? -1 : nodeIndex.get(n.prev)!, [...n.version]]);
    }
    return nodeIndex.get(head)!;
  };
  const row = (cs: ComputationState<E>): StateRow => [
    cs.state,
    indexNode(cs.node),
    [...cs.version],
    cs.startTs,
    cs.startSeq,
    cs.node === null ? -1 : cs.node.timestamp,
  ];
  return {
    format: NFA_SNAPSHOT_FORMAT,
    fingerprint: nfa.compiled.fingerprint,
    nextSeq: st.nextSeq,
    lastTimestamp: Number.isFinite(st.lastTimestamp) ? st.lastTimestamp : null,
    droppedPartialMatches: st.droppedPartialMatches,
    events,
    nodes,
    partials: st.partials.map(row),
    completed: st.completed.map(row),
  };
}

export function decodeNfaState<E>(nfa: Nfa<E>, snap: NfaStateSnapshot, codec: EventCodec<E> = identity, key?: unknown): NfaKeyState<E> {
  if (snap.format !== NFA_SNAPSHOT_FORMAT) throw new Error(`unknown NFA snapshot format '${String(snap.format)}'`);
  if (snap.fingerprint !== nfa.compiled.fingerprint) throw new Error('NFA snapshot was taken from a different pattern');
  const st = new NfaKeyState<E>(key);
  st.nextSeq = snap.nextSeq;
  st.lastTimestamp = snap.lastTimestamp ?? Number.NEGATIVE_INFINITY;
  st.droppedPartialMatches = snap.droppedPartialMatches;
  const events = snap.events.map(([seq, ts, data]) => ({ seq, ts, event: codec.decode(data) }));
  const nodes: BufferNode<E>[] = [];
  for (const [ev, variable, prev, version] of snap.nodes) {
    const e = events[ev];
    if (e === undefined || prev >= nodes.length) throw new Error('corrupt NFA snapshot: dangling reference');
    const node = st.buffer.put(variable, e.event, e.ts, e.seq, prev < 0 ? null : nodes[prev]!, version as Dewey);
    nodes.push(node);
  }
  const stateCount = nfa.compiled.states.length;
  const restore = ([state, node, version, startTs, startSeq]: StateRow): ComputationState<E> => {
    if (state < 0 || state >= stateCount || node >= nodes.length) throw new Error('corrupt NFA snapshot: bad computation state');
    const n = node < 0 ? null : nodes[node]!;
    st.buffer.lock(n);
    return computationState<E>(state, n, version as Dewey, startTs, startSeq);
  };
  st.partials = snap.partials.map(restore);
  st.completed = snap.completed.map(restore);
  if (st.partials.length === 0 || st.partials[st.partials.length - 1]!.startSeq >= 0) throw new Error('corrupt NFA snapshot: no start state');
  return st;
}
