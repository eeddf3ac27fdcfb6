/**
 * The NFA runtime (after Flink's NFA): per key, a list of computation states (partial matches, each at one NFA
 * state, with the head of its chain in the shared buffer and a Dewey version) plus the start state. Each event moves
 * every computation state along the edges whose conditions hold; finished ones become matches, ones that reach a
 * STOP state are dropped with their whole branch, and time moving past `within` times partial matches out.
 */
import { DEWEY_START, deweyAddStage, deweyIncrease, type Dewey } from './dewey.js';
import { IGNORE, PROCEED, TAKE, type CompiledEdge, type CompiledPattern, type CompiledState } from './nfa-compiler.js';
import type { MatchContext } from './pattern.js';
import { EventEntry, SharedBuffer, type BufferNode, type Match } from './shared-buffer.js';

export type { Match } from './shared-buffer.js';

export interface TimedOutMatch<E> {
  readonly match: Match<E>;
  readonly timeoutTimestamp: number;
}
export interface NfaOutput<E> {
  readonly matches: Match<E>[];
  readonly timedOut: TimedOutMatch<E>[];
}

/** Where the partial-match cap reports (once per key). Structurally a subset of core's Logger. */
export interface CepLogger {
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

export interface NfaOptions {
  /** Partial matches kept per key; beyond it the oldest are dropped and counted. Default 10000. */
  maxPartialMatchesPerKey?: number;
  logger?: CepLogger;
}

export interface Nfa<E> {
  /** One per key: computation states + that key's shared buffer. `key` only labels log lines. */
  createState(key?: unknown): NfaKeyState<E>;
  /** Feeds one event; events must arrive in timestamp order. Times out what `timestamp` expires first. */
  process(state: NfaKeyState<E>, event: E, timestamp: number): NfaOutput<E>;
  /** Prunes / times out by `within` as of `timestamp`; completes patterns ending in notFollowedBy. */
  advanceTime(state: NfaKeyState<E>, timestamp: number): NfaOutput<E>;
  partialMatchCount(state: NfaKeyState<E>): number;
  readonly compiled: CompiledPattern<E>;
}

/** A partial match (or the start state, which has no events and startSeq -1). */
export class ComputationState<E> {
  constructor(
    readonly state: number,
    readonly node: BufferNode<E> | null,
    readonly version: Dewey,
    readonly startTs: number,
    readonly startSeq: number,
    readonly prevTs: number,
  ) {}
}

export class NfaKeyState<E> {
  /** Live computation states ordered by first event; the start state is always last. */
  partials: ComputationState<E>[] = [];
  /** Finished matches held back by a skip strategy until no earlier partial match is alive. */
  completed: ComputationState<E>[] = [];
  readonly buffer = new SharedBuffer<E>();
  nextSeq = 0;
  /** Partial matches dropped by the maxPartialMatchesPerKey guard. */
  droppedPartialMatches = 0;
  capWarned = false;
  constructor(readonly key: unknown) {}
}

const EMPTY_OUTPUT: NfaOutput<never> = Object.freeze({
  matches: Object.freeze([]) as unknown as never[],
  timedOut: Object.freeze([]) as unknown as never[],
});

/** Output arrays are made only when something is emitted. */
class OutputBuilder<E> {
  matches: Match<E>[] | null = null;
  timedOut: TimedOutMatch<E>[] | null = null;
  match(m: Match<E>): void {
    (this.matches ??= []).push(m);
  }
  timeout(t: TimedOutMatch<E>): void {
    (this.timedOut ??= []).push(t);
  }
  build(): NfaOutput<E> {
    if (this.matches === null && this.timedOut === null) return EMPTY_OUTPUT;
    return { matches: this.matches ?? [], timedOut: this.timedOut ?? [] };
  }
}

/** The condition context of the computation state being stepped; one per NFA, reset per step. */
class StepContext<E> implements MatchContext<E> {
  timestamp = 0;
  buffer: SharedBuffer<E> | null = null;
  node: BufferNode<E> | null = null;
  private cachedName: string | null = null;
  private cachedEvents: readonly E[] = [];
  reset(buffer: SharedBuffer<E>, node: BufferNode<E> | null, timestamp: number): void {
    this.buffer = buffer;
    this.node = node;
    this.timestamp = timestamp;
    this.cachedName = null;
  }
  events(name: string): readonly E[] {
    if (this.cachedName === name) return this.cachedEvents;
    const events = this.buffer === null ? [] : this.buffer.eventsOf(this.node, name);
    this.cachedName = name;
    this.cachedEvents = events;
    return events;
  }
}

export class NfaRuntime<E> implements Nfa<E> {
  private readonly states: readonly CompiledState<E>[];
  private readonly windowMs: number;
  private readonly maxPartials: number;
  private readonly logger: CepLogger | undefined;
  private readonly ctx = new StepContext<E>();
  // Scratch space reused by every step, so the per-event path allocates only what it keeps.
  private readonly edgeScratch: CompiledEdge<E>[] = [];
  private readonly stackScratch: number[] = [];
  private readonly nextScratch: ComputationState<E>[] = [];

  constructor(
    readonly compiled: CompiledPattern<E>,
    options: NfaOptions = {},
  ) {
    this.states = compiled.states;
    this.windowMs = compiled.windowMs;
    const max = options.maxPartialMatchesPerKey ?? 10_000;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxPartialMatchesPerKey must be a positive integer, got ${max}`);
    this.maxPartials = max;
    this.logger = options.logger;
  }

  createState(key?: unknown): NfaKeyState<E> {
    const st = new NfaKeyState<E>(key);
    st.partials.push(new ComputationState<E>(this.compiled.start, null, DEWEY_START, -1, -1, -1));
    return st;
  }

  partialMatchCount(state: NfaKeyState<E>): number {
    return state.partials.length - 1;
  }

  advanceTime(st: NfaKeyState<E>, timestamp: number): NfaOutput<E> {
    const out = new OutputBuilder<E>();
    this.timeOut(st, timestamp, out);
    return out.build();
  }

  process(st: NfaKeyState<E>, event: E, timestamp: number): NfaOutput<E> {
    const out = new OutputBuilder<E>();
    this.timeOut(st, timestamp, out);
    const entry = new EventEntry(event, timestamp, st.nextSeq++);
    const buffer = st.buffer;
    const old = st.partials;
    const kept: ComputationState<E>[] = [];
    let finished: ComputationState<E>[] | null = null;
    const next = this.nextScratch;
    for (let i = 0; i < old.length; i++) {
      const cs = old[i]!;
      next.length = 0;
      this.step(st, cs, entry, next);
      let stopped = false;
      const keepFrom = kept.length;
      for (let j = 0; j < next.length; j++) {
        const n = next[j]!;
        const kind = this.states[n.state]!.kind;
        if (kind === 'final') (finished ??= []).push(n);
        else if (kind === 'stop') {
          stopped = true;
          buffer.release(n.node);
        } else kept.push(n);
      }
      if (stopped) {
        // A forbidden event was seen on this branch: everything it would have continued with dies too.
        for (let j = keepFrom; j < kept.length; j++) buffer.release(kept[j]!.node);
        kept.length = keepFrom;
      }
    }
    next.length = 0;
    st.partials = kept;
    if (finished !== null) this.emit(st, finished, out);
    this.enforceCap(st);
    return out.build();
  }

  /** Flink's advanceTime: partial matches whose first event is `window` or more before `timestamp` expire. */
  private timeOut(st: NfaKeyState<E>, timestamp: number, out: OutputBuilder<E>): void {
    const w = this.windowMs;
    if (w <= 0) return;
    const partials = st.partials;
    let expired = false;
    for (let i = 0; i < partials.length; i++) {
      const cs = partials[i]!;
      if (cs.startSeq >= 0 && timestamp - cs.startTs >= w) {
        expired = true;
        break;
      }
    }
    if (!expired) return;
    const kept: ComputationState<E>[] = [];
    let finished: ComputationState<E>[] | null = null;
    for (const cs of partials) {
      if (cs.startSeq < 0 || timestamp - cs.startTs < w) {
        kept.push(cs);
      } else if (this.states[cs.state]!.kind === 'pending') {
        // A trailing notFollowedBy saw no forbidden event within the window: that is a match.
        (finished ??= []).push(cs);
      } else {
        out.timeout({ match: st.buffer.extract(cs.node), timeoutTimestamp: cs.startTs + w });
        st.buffer.release(cs.node);
      }
    }
    st.partials = kept;
    // Expired partial matches may have been what held finished matches back.
    this.emit(st, finished ?? [], out);
  }

  private emit(st: NfaKeyState<E>, finished: ComputationState<E>[], out: OutputBuilder<E>): void {
    const policy = this.compiled.skip;
    const buffer = st.buffer;
    if (!policy.holdsMatches) {
      for (const m of finished) {
        out.match(buffer.extract(m.node));
        buffer.release(m.node);
      }
      return;
    }
    if (finished.length > 0) {
      for (const m of finished) st.completed.push(m);
      st.completed.sort(byStart);
    }
    while (st.completed.length > 0) {
      const m = st.completed[0]!;
      const earliest = st.partials[0];
      // Emit only when no partial match that began earlier is alive (Flink: match start <= partial start).
      if (earliest !== undefined && earliest.startSeq >= 0 && m.startSeq > earliest.startSeq) break;
      st.completed.shift();
      const point = policy.pruningPoint(buffer.trace(m.node));
      if (point >= 0) {
        st.partials = prune(st.partials, point, policy.prunes, buffer);
        st.completed = prune(st.completed, point, policy.prunes, buffer);
      }
      out.match(buffer.extract(m.node));
      buffer.release(m.node);
    }
  }

  private enforceCap(st: NfaKeyState<E>): void {
    const excess = st.partials.length - 1 - this.maxPartials;
    if (excess <= 0) return;
    // Oldest first: partials are ordered by their first event, the start state last.
    const dropped = st.partials.splice(0, excess);
    for (const cs of dropped) st.buffer.release(cs.node);
    st.droppedPartialMatches += excess;
    if (!st.capWarned && this.logger !== undefined) {
      st.capWarned = true;
      this.logger.warn('cep: too many partial matches for one key; dropping the oldest', {
        key: st.key,
        maxPartialMatchesPerKey: this.maxPartials,
      });
    }
  }

  /** Flink's computeNextStates: all successors of `cs` for the event, appended to `out`. */
  private step(st: NfaKeyState<E>, cs: ComputationState<E>, entry: EventEntry<E>, out: ComputationState<E>[]): void {
    const states = this.states;
    const event = entry.event;
    const ts = entry.timestamp;
    const ctx = this.ctx;
    ctx.reset(st.buffer, cs.node, ts);

    // Decision graph: follow PROCEED edges (epsilon moves tested on this event), collect TAKE / IGNORE edges.
    const edges = this.edgeScratch;
    const stack = this.stackScratch;
    edges.length = 0;
    stack.length = 0;
    let takes = 0;
    let ignores = 0;
    stack.push(cs.state);
    while (stack.length > 0) {
      const s = states[stack.pop()!]!;
      for (const e of s.edges) {
        if (e.condition !== null && !e.condition(event, ctx)) continue;
        if (e.action === PROCEED) stack.push(e.target);
        else {
          edges.push(e);
          if (e.action === TAKE) takes++;
          else if (e.target !== cs.state) ignores++; // an IGNORE that stays put is not a new branch
        }
      }
    }

    const isStart = cs.startSeq < 0;
    const buffer = st.buffer;
    let takesToVisit = Math.max(0, takes - 1);
    let ignoresToVisit = ignores;
    const takesToSkip = Math.max(0, takes - 1);
    for (let k = 0; k < edges.length; k++) {
      const e = edges[k]!;
      if (e.action === IGNORE) {
        if (isStart) continue; // the start state never waits: it is renewed below
        if (e.target === cs.state) {
          const v = deweyIncrease(cs.version, selfIncrease(ignores, takes));
          if (v === cs.version) {
            buffer.lock(cs.node);
            out.push(cs); // unchanged: reuse instead of copying
          } else this.add(buffer, out, e.target, cs.node, v, cs.startTs, cs.startSeq, cs.prevTs);
        } else {
          const v = deweyAddStage(deweyIncrease(cs.version, takesToSkip + ignoresToVisit));
          ignoresToVisit--;
          this.add(buffer, out, e.target, cs.node, v, cs.startTs, cs.startSeq, cs.prevTs);
        }
      } else {
        const current = deweyIncrease(cs.version, takesToVisit);
        const nextVersion = deweyAddStage(current);
        takesToVisit--;
        const node = buffer.put(states[e.source]!.variable, entry, cs.node);
        const startTs = isStart ? ts : cs.startTs;
        const startSeq = isStart ? entry.seq : cs.startSeq;
        this.add(buffer, out, e.target, node, nextVersion, startTs, startSeq, ts);
        const fin = this.finalAfterProceed(e.target, event);
        if (fin >= 0) this.add(buffer, out, fin, node, nextVersion, startTs, startSeq, ts);
      }
    }
    if (isStart) {
      const v = deweyIncrease(cs.version, selfIncrease(ignores, takes));
      out.push(v === cs.version ? cs : new ComputationState<E>(cs.state, null, v, -1, -1, -1));
    }
    buffer.release(cs.node);
  }

  private add(
    buffer: SharedBuffer<E>,
    out: ComputationState<E>[],
    state: number,
    node: BufferNode<E> | null,
    version: Dewey,
    startTs: number,
    startSeq: number,
    prevTs: number,
  ): void {
    buffer.lock(node);
    out.push(new ComputationState<E>(state, node, version, startTs, startSeq, prevTs));
  }

  /** After a TAKE into `state`: can it reach the final state by PROCEED edges alone (everything after is optional)? */
  private finalAfterProceed(state: number, event: E): number {
    const stack = this.stackScratch;
    stack.length = 0;
    stack.push(state);
    while (stack.length > 0) {
      const s = this.states[stack.pop()!]!;
      for (const e of s.edges) {
        if (e.action !== PROCEED) continue;
        if (e.condition !== null && !e.condition(event, this.ctx)) continue;
        if (this.states[e.target]!.kind === 'final') return e.target;
        stack.push(e.target);
      }
    }
    return -1;
  }
}

function selfIncrease(ignores: number, takes: number): number {
  return takes === 0 && ignores === 0 ? 0 : ignores + Math.max(1, takes);
}

function byStart<E>(a: ComputationState<E>, b: ComputationState<E>): number {
  return a.startSeq - b.startSeq;
}

function prune<E>(
  list: ComputationState<E>[],
  point: number,
  prunes: (startSeq: number, point: number) => boolean,
  buffer: SharedBuffer<E>,
): ComputationState<E>[] {
  let any = false;
  for (const cs of list) if (cs.startSeq >= 0 && prunes(cs.startSeq, point)) any = true;
  if (!any) return list;
  const kept: ComputationState<E>[] = [];
  for (const cs of list) {
    if (cs.startSeq >= 0 && prunes(cs.startSeq, point)) buffer.release(cs.node);
    else kept.push(cs);
  }
  return kept;
}
