/**
 * The NFA of a strictly contiguous two-step pattern, `a next b` (single variables, any `within`, any skip
 * strategy): hop, which sees every plate sighting, is one. Such a pattern has at most one partial match per key (the
 * last event that satisfied `a`, which the key's next event completes or ends), so the generic step (a walk of the
 * decision graph per computation state, scratch arrays, the epsilon closure after each take) is replaced by two
 * condition tests. The key's state is the generic runtime's, built exactly as it builds it (same buffer nodes,
 * versions and sequence numbers), so timeouts, held-back matches, snapshots and their restore, and the operator's
 * late re-runs are the generic code's and a checkpoint is the same whichever runtime wrote it.
 */
import { addStage } from './dewey.js';
import { type ComputationState, computationState, type NfaKeyState, type NfaOptions, type NfaOutput, NfaRuntime } from './nfa.js';
import { type CompiledPattern, IGNORE, TAKE } from './nfa-compiler.js';
import type { Condition } from './pattern.js';

const ALWAYS: Condition<unknown> = () => true;

/** The parts of a compiled `a next b`, or null when the pattern has another shape. */
interface PairShape<E> {
  readonly a: string;
  readonly b: string;
  readonly takeA: Condition<E>;
  readonly takeB: Condition<E>;
  /** The state a partial match waits in for `b`, and the final state. */
  readonly waiting: number;
  readonly final: number;
}

/**
 * Recognises `a next b`: three states, the start one taking `a` into a state whose only edge takes `b` into the
 * final state. The start state's IGNORE self-loop (the compiler adds one) is never followed from the start state.
 */
export function pairShape<E>(compiled: CompiledPattern<E>): PairShape<E> | null {
  const states = compiled.states;
  if (states.length !== 3) return null;
  const start = states[compiled.start];
  if (start === undefined || start.kind !== 'start') return null;
  const takes = start.edges.filter((e) => e.action === TAKE);
  const others = start.edges.filter((e) => e.action !== TAKE);
  if (takes.length !== 1 || others.some((e) => e.action !== IGNORE || e.target !== start.index)) return null;
  const takeA = takes[0]!;
  const waiting = states[takeA.target];
  if (waiting === undefined || waiting.kind !== 'normal' || takeA.source !== start.index || waiting.edges.length !== 1) return null;
  const takeB = waiting.edges[0]!;
  const final = states[takeB.target];
  if (takeB.action !== TAKE || takeB.source !== waiting.index || final === undefined || final.kind !== 'final' || final.edges.length !== 0) return null;
  if (start.variable === waiting.variable) return null;
  return {
    a: start.variable,
    b: waiting.variable,
    takeA: takeA.condition ?? (ALWAYS as Condition<E>),
    takeB: takeB.condition ?? (ALWAYS as Condition<E>),
    waiting: waiting.index,
    final: final.index,
  };
}

export class PairRuntime<E> extends NfaRuntime<E> {
  constructor(
    compiled: CompiledPattern<E>,
    private readonly shape: PairShape<E>,
    options: NfaOptions = {},
  ) {
    super(compiled, options);
  }

  override process(st: NfaKeyState<E>, event: E, timestamp: number): NfaOutput<E> {
    this.timeOut(st, timestamp);
    if (!(timestamp >= st.lastTimestamp))
      throw new RangeError(`cep: event at ${timestamp} after one at ${st.lastTimestamp}: events must arrive in timestamp order`);
    st.lastTimestamp = timestamp;
    const seq = st.nextSeq++;
    const shape = this.shape;
    const ctx = this.ctx;
    const old = st.partials;
    let finished: ComputationState<E>[] | null = null;
    // The waiting partial match (there is at most one, before the start state): this event completes or ends it.
    let waiting: ComputationState<E> | null = null;
    let start: ComputationState<E> | null = null;
    for (let i = 0; i < old.length; i++) {
      const cs = old[i]!;
      if (cs.startSeq < 0) {
        start = cs; // renewed as it is (the generic runtime keeps the key's own start state)
        ctx.reset(st, null, timestamp);
        if (!shape.takeA(event, ctx)) continue;
        const node = st.put(shape.a, event, timestamp, seq, null, cs.version);
        st.lock(node);
        waiting = computationState<E>(shape.waiting, node, addStage(cs.version), timestamp, seq);
      } else {
        ctx.reset(st, cs.node, timestamp);
        if (shape.takeB(event, ctx)) {
          const node = st.put(shape.b, event, timestamp, seq, cs.node, cs.version);
          st.lock(node);
          (finished ??= []).push(computationState<E>(shape.final, node, addStage(cs.version), cs.startTs, cs.startSeq));
        }
        st.release(cs.node);
      }
    }
    const renewed = start ?? this.startState;
    // As the generic runtime: the key's array is reused when the count is unchanged, else an exact-size one.
    if (waiting === null) {
      if (old.length !== 1) st.partials = [renewed];
    } else if (old.length === 2) {
      old[0] = waiting;
    } else st.partials = [waiting, renewed];
    ctx.reset(st, null, timestamp); // hold no node of this key
    if (finished !== null || st.completed.length > 0) this.emit(st, finished ?? []);
    st.expiresAt = this.oldestExpiry(st);
    return this.out.take();
  }
}
