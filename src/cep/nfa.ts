/**
 * The NFA runtime (after Flink's NFA): per key, a list of computation states (partial matches, each at one NFA
 * state, with the head of its chain in the shared buffer and a Dewey version) plus the start state. Each event moves
 * every computation state along the edges whose conditions hold; finished ones become matches, ones that reach a
 * STOP state are dropped with their whole branch, and time moving past `within` times partial matches out.
 */
import { addStage, DEWEY_START, type Dewey, deweyAddStage, deweyCompare, deweyIncrease, deweyWeight } from './dewey.js';
import { type CompiledEdge, type CompiledPattern, type CompiledState, IGNORE, PROCEED, TAKE } from './nfa-compiler.js';
import type { Condition, MatchContext } from './pattern.js';
import { type BufferNode, heldEvents, type Match, SharedBuffer } from './shared-buffer.js';

export type { Match } from './shared-buffer.js';

export interface TimedOutMatch<E> {
  readonly match: Match<E>;
  readonly timeoutTimestamp: number;
}
export interface NfaOutput<E> {
  readonly matches: Match<E>[];
  readonly timedOut: TimedOutMatch<E>[];
}

/** The per-key cap on partial matches when none is given. */
export const DEFAULT_MAX_PARTIAL_MATCHES_PER_KEY = 10_000;

/** Where the partial-match cap reports (once per key). Structurally a subset of core's Logger. */
export interface CepLogger {
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

export interface NfaOptions {
  /** Partial matches kept per key; beyond it the oldest are dropped and counted. Default 10000. */
  maxPartialMatchesPerKey?: number;
  logger?: CepLogger;
  /** Build timed-out partial matches for the output (default true). False when nobody reads them: expiring
   *  partial matches are then only released, not extracted into match objects. */
  timeouts?: boolean;
}

export interface Nfa<E> {
  /** One per key: computation states + that key's shared buffer. `key` only labels log lines. */
  createState(key?: unknown): NfaKeyState<E>;
  /** Feeds one event; events must arrive in timestamp order (an earlier one throws RangeError). Times out what
   *  `timestamp` expires first. */
  process(state: NfaKeyState<E>, event: E, timestamp: number): NfaOutput<E>;
  /** Prunes / times out by `within` as of `timestamp`; completes patterns ending in notFollowedBy. */
  advanceTime(state: NfaKeyState<E>, timestamp: number): NfaOutput<E>;
  partialMatchCount(state: NfaKeyState<E>): number;
  /**
   * What the key's state weighs for an operator's budget: each partial match and each buffered event counts one,
   * plus its Dewey version's digits when the version is branched (about one per event its branch took; linear
   * versions are shared and weigh nothing), so a branching partial match with a long chain weighs what it holds.
   * A walk over the partial matches.
   */
  stateEntries(state: NfaKeyState<E>): number;
  /** Earliest time at which advanceTime would change something (a partial match expires), or +Infinity. */
  nextTimeout(state: NfaKeyState<E>): number;
  /** False when the event cannot start a partial match on a key with no state (so none need be made). */
  couldStart(event: E, timestamp: number): boolean;
  /**
   * False when advanceTime on this key could only forget partial matches, never emit: no timed-out partial match
   * is wanted, the pattern has no trailing notFollowedBy, and no finished match is held back. Such a key needs no
   * exact wake-up when its partial matches expire; pruning it later changes no output.
   */
  expiryMayEmit(state: NfaKeyState<E>): boolean;
  /**
   * Drops the key's partial matches whose first event is at or before `timestamp` (its oldest: a prefix) and frees
   * the events only they held; returns how many. For an operator-wide budget, which counts them itself: they are not
   * added to `droppedPartialMatches` (the per-key cap's count).
   */
  dropStartedBy(state: NfaKeyState<E>, timestamp: number): number;
  readonly compiled: CompiledPattern<E>;
}

/** A partial match (or the start state, which has no events and startSeq -1). */
export interface ComputationState<E> {
  readonly state: number;
  readonly node: BufferNode<E> | null;
  readonly version: Dewey;
  readonly startTs: number;
  readonly startSeq: number;
}

/** An object literal, not a class instance: V8 can pretenure it (see shared-buffer.ts), and most live for minutes. */
export function computationState<E>(state: number, node: BufferNode<E> | null, version: Dewey, startTs: number, startSeq: number): ComputationState<E> {
  return { state, node, version, startTs, startSeq };
}

/** Shared until a key first holds a finished match back: most keys never do. Never mutated. */
const NONE_HELD: readonly unknown[] = Object.freeze([]);

/**
 * One key's NFA state. It is its own shared buffer (a subclass, not a field): every key of a pattern like
 * cloned_plate holds state for as long as `within`, so one object less per key is memory the GC never copies.
 */
export class NfaKeyState<E> extends SharedBuffer<E> {
  /** Live computation states ordered by first event; the start state is always last. */
  partials: ComputationState<E>[] = [];
  /** Finished matches held back by a skip strategy until no earlier partial match is alive. */
  completed: ComputationState<E>[] = NONE_HELD as unknown as ComputationState<E>[];
  nextSeq = 0;
  /** Timestamp of the last event processed: events must not go back in time. */
  lastTimestamp = Number.NEGATIVE_INFINITY;
  /** Partial matches dropped by the maxPartialMatchesPerKey guard. */
  droppedPartialMatches = 0;
  capWarned = false;
  /** The expiry timer the owning operator has pending for this key (+Infinity: none). Kept here, not in a map of
   *  its own, so scheduling it costs no extra lookup per event. */
  pendingExpiry = Number.POSITIVE_INFINITY;
  /** When the oldest partial match expires, as of the last process/advanceTime (NaN: not known, e.g. just
   *  restored). The operator's sweep reads it for every key: the state alone, not its partial matches. */
  expiresAt = Number.NaN;
  constructor(readonly key: unknown) {
    super();
  }
  /** The key's shared buffer: the state itself. */
  get buffer(): this {
    return this;
  }
  /** Distinct events held by this key's partial and held-back matches (a walk: for tests and diagnostics). */
  get eventCount(): number {
    return heldEvents([...this.partials, ...this.completed].map((cs) => cs.node));
  }
}

const EMPTY_OUTPUT: NfaOutput<never> = Object.freeze({
  matches: Object.freeze([]) as unknown as never[],
  timedOut: Object.freeze([]) as unknown as never[],
});

/** Collects one call's output; arrays are made only when something is emitted. One per runtime, reused. */
class OutputBuilder<E> {
  matches: Match<E>[] | null = null;
  timedOut: TimedOutMatch<E>[] | null = null;
  match(m: Match<E>): void {
    (this.matches ??= []).push(m);
  }
  timeout(t: TimedOutMatch<E>): void {
    (this.timedOut ??= []).push(t);
  }
  take(): NfaOutput<E> {
    if (this.matches === null && this.timedOut === null) return EMPTY_OUTPUT;
    const out = { matches: this.matches ?? EMPTY_OUTPUT.matches, timedOut: this.timedOut ?? EMPTY_OUTPUT.timedOut };
    this.matches = null;
    this.timedOut = null;
    return out;
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
  last(name: string): E | undefined {
    return this.buffer === null ? undefined : this.buffer.lastOf(this.node, name);
  }
  events(name: string): readonly E[] {
    if (this.cachedName === name) return this.cachedEvents;
    const events = this.buffer === null ? [] : this.buffer.eventsOf(this.node, name);
    this.cachedName = name;
    this.cachedEvents = events;
    return events;
  }
}

const K_NORMAL = 0;
const K_START = 1;
const K_FINAL = 2;
const K_STOP = 3;
const K_PENDING = 4;
const KIND_CODE = { normal: K_NORMAL, start: K_START, final: K_FINAL, stop: K_STOP, pending: K_PENDING } as const;

export class NfaRuntime<E> implements Nfa<E> {
  private readonly states: readonly CompiledState<E>[];
  private readonly kinds: Uint8Array;
  private readonly windowMs: number;
  private readonly maxPartials: number;
  private readonly logger: CepLogger | undefined;
  private readonly timeouts: boolean;
  /** A trailing notFollowedBy: partial matches completing at their expiry. */
  private readonly hasPending: boolean;
  protected readonly ctx = new StepContext<E>();
  protected readonly out = new OutputBuilder<E>();
  // Scratch space reused by every step (with explicit counts: resetting an array's length is not free).
  private readonly edgeScratch: CompiledEdge<E>[] = [];
  private readonly stackScratch: number[] = [];
  private readonly nextScratch: ComputationState<E>[] = [];
  private nextCount = 0;
  /** The event being processed. */
  private event: E | undefined = undefined;
  private eventTs = 0;
  private eventSeq = 0;
  /** Where the next event's partial matches are built before the key gets an exact-size copy. */
  private readonly keptScratch: ComputationState<E>[] = [];
  /** Conditions under which an event can start a partial match of a fresh key; null when that cannot be told. */
  private readonly startTakes: readonly Condition<E>[] | null;
  private readonly emptyCtx = { timestamp: 0, events: (): readonly E[] => [], last: (): E | undefined => undefined };
  /** The start state of every key: immutable, so one object serves all keys (most keys hold little else). */
  protected readonly startState: ComputationState<E>;

  constructor(
    readonly compiled: CompiledPattern<E>,
    options: NfaOptions = {},
  ) {
    this.states = compiled.states;
    this.kinds = Uint8Array.from(compiled.states, (s) => KIND_CODE[s.kind]);
    this.windowMs = compiled.windowMs;
    const max = options.maxPartialMatchesPerKey ?? DEFAULT_MAX_PARTIAL_MATCHES_PER_KEY;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxPartialMatchesPerKey must be a positive integer, got ${max}`);
    this.maxPartials = max;
    this.logger = options.logger;
    this.timeouts = options.timeouts ?? true;
    this.hasPending = this.kinds.includes(K_PENDING);
    this.startTakes = startTakeConditions(compiled);
    this.startState = computationState<E>(compiled.start, null, DEWEY_START, -1, -1);
  }

  /**
   * False when `event` cannot start a partial match on a key with no state: none of the take edges reachable from
   * the start state (through proceed edges) accepts it. Lets an operator skip creating and dropping state for the
   * many events of keys that never begin a match (first-entry's non-entries, say). Conservative: true when unsure.
   */
  couldStart(event: E, timestamp: number): boolean {
    const takes = this.startTakes;
    if (takes === null) return true;
    const ctx = this.emptyCtx;
    ctx.timestamp = timestamp;
    for (let i = 0; i < takes.length; i++) if ((takes[i] as Condition<E>)(event, ctx)) return true;
    return false;
  }

  expiryMayEmit(st: NfaKeyState<E>): boolean {
    return this.timeouts || this.hasPending || st.completed.length > 0;
  }

  createState(key?: unknown): NfaKeyState<E> {
    const st = new NfaKeyState<E>(key);
    // An exact-size array: a push onto [] would reserve 17 slots for the one state most keys hold.
    st.partials = [this.startState];
    return st;
  }

  partialMatchCount(state: NfaKeyState<E>): number {
    return state.partials.length - 1;
  }

  stateEntries(state: NfaKeyState<E>): number {
    const partials = state.partials;
    let n = state.entries;
    // The start state (last) is shared by every key: it weighs nothing.
    for (let i = 0; i < partials.length - 1; i++) n += 1 + deweyWeight(partials[i]!.version);
    return n;
  }

  nextTimeout(state: NfaKeyState<E>): number {
    const known = state.expiresAt;
    return !Number.isNaN(known) ? known : this.oldestExpiry(state);
  }

  protected oldestExpiry(state: NfaKeyState<E>): number {
    const oldest = state.partials[0];
    if (this.windowMs <= 0 || oldest === undefined || oldest.startSeq < 0) return Number.POSITIVE_INFINITY;
    return oldest.startTs + this.windowMs;
  }

  advanceTime(st: NfaKeyState<E>, timestamp: number): NfaOutput<E> {
    this.timeOut(st, timestamp);
    st.expiresAt = this.oldestExpiry(st);
    return this.out.take();
  }

  process(st: NfaKeyState<E>, event: E, timestamp: number): NfaOutput<E> {
    this.timeOut(st, timestamp);
    // Timeouts and skip strategies rely on partial matches being ordered by time: refuse, rather than mis-time.
    if (!(timestamp >= st.lastTimestamp))
      throw new RangeError(`cep: event at ${timestamp} after one at ${st.lastTimestamp}: events must arrive in timestamp order`);
    st.lastTimestamp = timestamp;
    this.event = event;
    this.eventTs = timestamp;
    this.eventSeq = st.nextSeq++;
    const buffer = st.buffer;
    const kinds = this.kinds;
    const old = st.partials;
    const kept = this.keptScratch;
    let keptCount = 0;
    let finished: ComputationState<E>[] | null = null;
    const next = this.nextScratch;
    for (let i = 0; i < old.length; i++) {
      const cs = old[i]!;
      this.nextCount = 0;
      this.step(st, cs);
      const n = this.nextCount;
      let stopped = false;
      const keepFrom = keptCount;
      for (let j = 0; j < n; j++) {
        const c = next[j]!;
        const kind = kinds[c.state];
        if (kind === K_FINAL) (finished ??= []).push(c);
        else if (kind === K_STOP) {
          stopped = true;
          buffer.release(c.node);
        } else kept[keptCount++] = c;
      }
      if (stopped) {
        // A forbidden event was seen on this branch: everything it would have continued with dies too.
        for (let j = keepFrom; j < keptCount; j++) buffer.release(kept[j]!.node);
        keptCount = keepFrom;
      }
    }
    // A key keeps its partial matches for up to `within` (every vehicle, for cloned_plate): an exact-size array,
    // not one grown by appends (17 slots for 2 entries), so live state stays small for the GC. Most events leave
    // as many as they found (a partial match replaced by its successor): then the key's array is reused.
    if (keptCount === old.length) {
      for (let i = 0; i < keptCount; i++) old[i] = kept[i]!;
    } else st.partials = exactCopy(kept, keptCount);
    for (let i = 0; i < keptCount; i++) kept[i] = undefined as unknown as ComputationState<E>; // hold no stale states (a loop: fill() is a call for one or two slots)
    // Held-back matches are re-checked even when nothing finished: the partial matches that held them may have
    // died on this event (strict contiguity, `until`, a forbidden event).
    if (finished !== null || st.completed.length > 0) this.emit(st, finished ?? []);
    if (keptCount - 1 > this.maxPartials) this.enforceCap(st);
    this.event = undefined; // do not keep the last event alive
    st.expiresAt = this.oldestExpiry(st); // the partial matches were just touched: no cache miss here, one less in the sweep
    return this.out.take();
  }

  /**
   * Flink's advanceTime: partial matches whose first event is `window` or more before `timestamp` expire. Partial
   * matches are ordered by first event (and so by its time): the expired ones are a prefix, found from the front.
   */
  protected timeOut(st: NfaKeyState<E>, timestamp: number): void {
    const w = this.windowMs;
    if (w <= 0) return;
    const partials = st.partials;
    let n = 0;
    while (n < partials.length) {
      const cs = partials[n]!;
      // The same sum as the expiry time the key's timer is set to, so the timer that fires at it always expires it.
      if (cs.startSeq < 0 || cs.startTs + w > timestamp) break;
      n++;
    }
    if (n === 0) return;
    let finished: ComputationState<E>[] | null = null;
    for (let i = 0; i < n; i++) {
      const cs = partials[i]!;
      if (this.kinds[cs.state] === K_PENDING) {
        // A trailing notFollowedBy saw no forbidden event within the window: that is a match.
        (finished ??= []).push(cs);
      } else {
        if (this.timeouts) this.out.timeout({ match: st.buffer.extract(cs.node), timeoutTimestamp: cs.startTs + w });
        st.buffer.release(cs.node);
      }
    }
    partials.splice(0, n);
    // Expired partial matches may have been what held finished matches back.
    if (finished !== null || st.completed.length > 0) this.emit(st, finished ?? []);
  }

  protected emit(st: NfaKeyState<E>, finished: ComputationState<E>[]): void {
    const policy = this.compiled.skip;
    const buffer = st.buffer;
    const out = this.out;
    if (!policy.holdsMatches) {
      for (const m of finished) {
        out.match(buffer.extract(m.node));
        buffer.release(m.node);
      }
      return;
    }
    if (finished.length > 0) {
      if ((st.completed as readonly unknown[]) === NONE_HELD) st.completed = [];
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

  dropStartedBy(st: NfaKeyState<E>, timestamp: number): number {
    const partials = st.partials;
    let n = 0;
    while (n < partials.length) {
      const cs = partials[n]!;
      if (cs.startSeq < 0 || cs.startTs > timestamp) break;
      n++;
    }
    if (n === 0) return 0;
    for (let i = 0; i < n; i++) st.buffer.release(partials[i]!.node);
    partials.splice(0, n);
    st.expiresAt = this.oldestExpiry(st);
    return n;
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

  /** Flink's computeNextStates: all successors of `cs` for the event, into nextScratch[0..nextCount). */
  private step(st: NfaKeyState<E>, cs: ComputationState<E>): void {
    const states = this.states;
    const event = this.event as E;
    const ts = this.eventTs;
    const ctx = this.ctx;
    ctx.reset(st.buffer, cs.node, ts);

    // Decision graph: follow PROCEED edges (epsilon moves tested on this event), collect TAKE / IGNORE edges.
    const edges = this.edgeScratch;
    const stack = this.stackScratch;
    let edgeCount = 0;
    let sp = 0;
    let takes = 0;
    let ignores = 0;
    stack[sp++] = cs.state;
    while (sp > 0) {
      const outgoing = states[stack[--sp]!]!.edges;
      for (let k = 0; k < outgoing.length; k++) {
        const e = outgoing[k]!;
        if (e.condition !== null && !e.condition(event, ctx)) continue;
        if (e.action === PROCEED) stack[sp++] = e.target;
        else {
          edges[edgeCount++] = e;
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
    for (let k = 0; k < edgeCount; k++) {
      const e = edges[k]!;
      if (e.action === IGNORE) {
        if (isStart) continue; // the start state never waits: it is renewed below
        if (e.target === cs.state) {
          const v = deweyIncrease(cs.version, selfIncrease(ignores, takes));
          if (v === cs.version) {
            buffer.lock(cs.node);
            this.nextScratch[this.nextCount++] = cs; // unchanged: reuse instead of copying
          } else this.add(buffer, e.target, cs.node, v, cs.startTs, cs.startSeq);
        } else {
          const v = deweyAddStage(deweyIncrease(cs.version, takesToSkip + ignoresToVisit));
          ignoresToVisit--;
          this.add(buffer, e.target, cs.node, v, cs.startTs, cs.startSeq);
        }
      } else {
        const current = deweyIncrease(cs.version, takesToVisit);
        const nextVersion = addStage(current);
        takesToVisit--;
        const node = buffer.put(states[e.source]!.variable, event, ts, this.eventSeq, cs.node, current);
        const startTs = isStart ? ts : cs.startTs;
        const startSeq = isStart ? this.eventSeq : cs.startSeq;
        this.add(buffer, e.target, node, nextVersion, startTs, startSeq);
        const fin = this.finalAfterProceed(e.target, event);
        if (fin >= 0) this.add(buffer, fin, node, nextVersion, startTs, startSeq);
      }
    }
    // The start state is renewed as it is. Flink bumps its version per event so each partial match it starts gets
    // its own; here versions only order held-back matches that began with the same event (byStart compares
    // startSeq first), which share the start's version whatever it is: a constant one costs nothing per event.
    if (isStart) this.nextScratch[this.nextCount++] = cs;
    buffer.release(cs.node);
  }

  private add(buffer: SharedBuffer<E>, state: number, node: BufferNode<E> | null, version: Dewey, startTs: number, startSeq: number): void {
    buffer.lock(node);
    this.nextScratch[this.nextCount++] = computationState<E>(state, node, version, startTs, startSeq);
  }

  /** After a TAKE into `state`: can it reach the final state by PROCEED edges alone (everything after is optional)? */
  private finalAfterProceed(state: number, event: E): number {
    const stack = this.stackScratch;
    let sp = 0;
    stack[sp++] = state;
    while (sp > 0) {
      const outgoing = this.states[stack[--sp]!]!.edges;
      for (let k = 0; k < outgoing.length; k++) {
        const e = outgoing[k]!;
        if (e.action !== PROCEED) continue;
        if (e.condition !== null && !e.condition(event, this.ctx)) continue;
        if (this.kinds[e.target] === K_FINAL) return e.target;
        stack[sp++] = e.target;
      }
    }
    return -1;
  }
}

function selfIncrease(ignores: number, takes: number): number {
  return takes === 0 && ignores === 0 ? 0 : ignores + Math.max(1, takes);
}

/**
 * kept[0..count) as an exact-size array. The usual sizes are array literals: allocation sites V8 can pretenure
 * (see shared-buffer.ts), as a key's array lives as long as its partial matches; slice() is a builtin's allocation.
 */
function exactCopy<T>(kept: readonly T[], count: number): T[] {
  switch (count) {
    case 1:
      return [kept[0]!];
    case 2:
      return [kept[0]!, kept[1]!];
    case 3:
      return [kept[0]!, kept[1]!, kept[2]!];
    default:
      return kept.slice(0, count);
  }
}

/** Held-back matches: by first event, then by branch (Dewey order), so equal starts come out deterministically. */
function byStart<E>(a: ComputationState<E>, b: ComputationState<E>): number {
  return a.startSeq - b.startSeq || deweyCompare(a.version, b.version);
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

/**
 * The take conditions an event meets to start a partial match, following proceed edges from the start state
 * (their own conditions ignored, so the set is a superset). Null when a fresh state could change without a take
 * (an unconditional take, or a final or pending state reachable without one).
 */
function startTakeConditions<E>(compiled: CompiledPattern<E>): Condition<E>[] | null {
  const takes: Condition<E>[] = [];
  const seen = new Set<number>();
  const stack = [compiled.start];
  while (stack.length > 0) {
    const index = stack.pop() as number;
    if (seen.has(index)) continue;
    seen.add(index);
    const state = compiled.states[index];
    if (state === undefined) return null;
    if (index !== compiled.start && (state.kind === 'final' || state.kind === 'pending')) return null;
    for (const edge of state.edges) {
      if (edge.action === TAKE) {
        if (edge.condition === null) return null;
        takes.push(edge.condition);
      } else if (edge.action === PROCEED) {
        stack.push(edge.target);
      }
    }
  }
  return takes;
}
