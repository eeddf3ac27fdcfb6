import {
  type Counter,
  type Key,
  KeyedOperator,
  type KeyedOperatorOptions,
  type KeyedOperatorSnapshot,
  type Namespace,
  type OperatorContext,
  type OutputTag,
  SortedRuns,
  type TimeDomain,
} from '../core/index.js';
import type { CepLogger, Match, Nfa, NfaKeyState, NfaOutput } from './nfa.js';
import { decodeNfaState, type EventCodec, encodeNfaState, type NfaStateSnapshot } from './snapshot.js';

/** A complete match or a timed-out partial match of one key. */
export interface CepOutput<E> {
  readonly kind: 'match' | 'timeout';
  readonly key: Key;
  readonly match: Match<E>;
  /** Event time of the output: the match's last event, or the time the partial match expired. */
  readonly timestamp: number;
  /** Set when a late event (within the allowed lateness) made the output: it is behind the watermark. */
  readonly late?: true;
}

export interface CepOperatorOptions<E> extends KeyedOperatorOptions<E> {
  readonly nfa: Nfa<E>;
  readonly codec?: EventCodec<E>;
  /** Where timed-out partial matches go (Flink's timeout side output); without one they are discarded. */
  readonly timeoutTag?: OutputTag<CepOutput<E>>;
  /**
   * Orders events of equal timestamp before they enter the NFA (Flink's `CEP.pattern(input, pattern, comparator)`):
   * negative when `a` goes first; 0, or no comparator, keeps arrival order. Called only on equal timestamps.
   */
  readonly compareTies?: (a: E, b: E) => number;
  /**
   * How far behind the watermark an event may be and still be matched (0, the default: a late event goes to the late
   * output, as Flink's CEP). Each key's events are kept for this long plus `within`; a late event is put among them
   * and the key's NFA is run again over them, from `within` before the late event: the matches and timeouts that
   * hold the late event are emitted, marked late, unless one of their events is already in a match the operator
   * emitted (that match stands, and under a skip strategy an event goes into one match only; with `no skip` such
   * matches are emitted too). The re-run's state replaces the key's, so partial matches that hold the late event
   * go on with the events to come. The kept events are bounded by `maxKeptEvents`.
   */
  readonly allowedLatenessMs?: number;
  /**
   * With allowed lateness, the operator-wide budget of kept events over all keys (default DEFAULT_MAX_KEPT_EVENTS).
   * Beyond it the oldest kept events of all keys are dropped, one per event kept, counted in
   * `vigil_cep_kept_dropped_total` and reported once through `logger`: a late event can no longer be matched with
   * them, so the lateness actually covered is what the budget holds (about budget / records per second).
   */
  readonly maxKeptEvents?: number;
  /**
   * The operator-wide budget of CEP state: partial matches plus the shared-buffer entries (taken events) they hold,
   * over all keys (default DEFAULT_MAX_STATE_ENTRIES). The per-key cap bounds one key; this bounds a pattern that
   * explodes on every key at once. Beyond it the oldest partial matches of all keys are dropped (by first event, as
   * the per-key cap drops a key's oldest) until the state is back to 90% of the budget, counted in
   * `vigil_cep_budget_dropped_partial_matches_total` and reported through `logger`.
   */
  readonly maxStateEntries?: number;
  /** Where the budget reports being hit: on the first time, then each time the dropped count doubles. */
  readonly logger?: CepLogger;
}

/**
 * The default operator-wide budget. Measured: cloned_plate, the standard rule holding most, peaks at 0.84 million
 * entries (338,000 partial matches) over the first million records of the reference city's morning peak (`vigil
 * generate --minutes 120 --anomalies`); 4 million leaves room for a city several times that. A pattern bomb
 * (`a followed by any b+ followed by any c`, 200 keys x 200 events) held at 2 million entries is about 0.5 GB of
 * resident memory, where it passed 3.5 GB with no budget.
 */
export const DEFAULT_MAX_STATE_ENTRIES = 4_000_000;

/**
 * The default budget of kept events (allowed lateness), per pattern. Measured (bench/cep-kept.ts, the demo fixture's
 * records): a kept event costs 240-280 bytes of heap, its record included (say 300 with larger records), so a million
 * is some 300 MB. At 2,000 records/s that covers about 8 minutes of lateness; a deployment that needs its patterns'
 * full lateness sizes the budget as records per second x (lateness + within).
 */
export const DEFAULT_MAX_KEPT_EVENTS = 1_000_000;

/** Shedding goes below the budget, so that it runs once per 10% of growth, not on every event at the limit. */
const SHED_TO = 0.9;

interface CepOperatorSnapshot extends KeyedOperatorSnapshot {
  readonly nfa: ReadonlyArray<readonly [Key, NfaStateSnapshot]>;
  /** Events waiting for the watermark, in the order they will be processed: [key, timestamp, event]. */
  readonly waiting: ReadonlyArray<readonly [Key, number, unknown]>;
  /** The expiry timer each key has pending: [key, timestamp]. */
  readonly expiry?: ReadonlyArray<readonly [Key, number]>;
  /**
   * With allowed lateness, the events kept: [key, timestamp, event, in an emitted match], each key's in time order.
   * With `keptInOrder`, in the order the budget drops them (see KeptOrder); before it, grouped by key.
   */
  readonly kept?: ReadonlyArray<readonly [Key, number, unknown, boolean]>;
  readonly keptInOrder?: true;
}

const EXPIRY_NS: Namespace = 0;

/** Besides its partial matches, a key's state remembers held-back matches and its dropped-match count: with
 *  neither, a key left with only the start state can be forgotten. */
function holdsNothing<E>(st: NfaKeyState<E>): boolean {
  return st.completed.length === 0 && st.droppedPartialMatches === 0;
}

/** An event waiting for the watermark. `seq` keeps arrival order among equal timestamps the comparator leaves tied. */
interface Waiting<E> {
  readonly ts: number;
  readonly seq: number;
  readonly key: Key;
  readonly value: E;
}

/**
 * One key's kept events (allowed lateness), in time order from `head`: parallel arrays, no object per event (an
 * object per event cost some 90 bytes besides the record). Events before `head` are dropped (`values` cleared);
 * the arrays are compacted when half of them is dropped.
 */
interface KeptList<E> {
  /** The key, one string for all its kept events (a composite key, `plate|colour`, is built per record). */
  readonly key: Key;
  ts: number[];
  values: (E | undefined)[];
  head: number;
  /** Kept events in a match this operator emitted (few: a set, not a flag per event). */
  matched: Set<E> | undefined;
}

/**
 * The kept lists in the order their events were kept, one entry per kept event: a ring buffer that doubles when
 * full (a power of two long: positions wrap with a mask). Events are kept as the watermark releases them, in time order over all keys, so the head's list's oldest
 * event is the operator's oldest (a late event, kept when it comes, is dropped a little later than its time says).
 */
class KeptOrder<E> {
  private ring: (KeptList<E> | undefined)[] = new Array(64);
  private head = 0;
  size = 0;

  push(list: KeptList<E>): void {
    if (this.size === this.ring.length) {
      const grown: (KeptList<E> | undefined)[] = new Array(this.ring.length * 2);
      for (let i = 0; i < this.size; i++) grown[i] = this.ring[(this.head + i) & (this.ring.length - 1)];
      this.ring = grown;
      this.head = 0;
    }
    this.ring[(this.head + this.size) & (this.ring.length - 1)] = list;
    this.size++;
  }

  /** Each entry, oldest first. */
  forEach(visit: (list: KeptList<E>) => void): void {
    for (let i = 0; i < this.size; i++) visit(this.ring[(this.head + i) & (this.ring.length - 1)] as KeptList<E>);
  }

  peek(): KeptList<E> | undefined {
    return this.size === 0 ? undefined : this.ring[this.head];
  }

  pop(): void {
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) & (this.ring.length - 1);
    this.size--;
  }

  clear(): void {
    this.ring = new Array(64);
    this.head = 0;
    this.size = 0;
  }
}

/**
 * Runs an NFA per key in event time, as Flink's CepOperator: events wait until the watermark passes them, then
 * enter their key's NFA in timestamp order (equal timestamps by the comparator, if any, then in arrival order, as
 * Flink sorts a timestamp's events with its EventComparator); events behind the watermark go to the late
 * output. Waiting events sit in one operator-wide queue of sorted runs (not a timer per event; they mostly come
 * sorted, from the event-time stage or a window): when the watermark advances they
 * are taken in time order, interleaved with the keys' expiry timers. With `within`, a key whose expiry can emit
 * something (timeouts are wanted, a trailing `not followed by`, a held-back match) has one expiry timer, at its
 * oldest partial match's expiry, so matches time out and complete exactly as the watermark passes. Other keys (most
 * of cloned_plate's vehicles) have none: a sweep every quarter of `within` forgets their expired partial matches.
 * Matches go to the main output, timed-out partial matches to the timeout side output.
 */
export class CepOperator<E> extends KeyedOperator<E, CepOutput<E>> {
  private readonly nfa: Nfa<E>;
  private readonly codec: EventCodec<E> | undefined;
  private readonly waiting: SortedRuns<Waiting<E>>;
  /** Waiting events' order: timestamp, comparator, arrival. */
  private readonly order: (a: Waiting<E>, b: Waiting<E>) => number;
  private readonly compareTies: ((a: E, b: E) => number) | undefined;
  private seq = 0;
  private readonly states = new Map<Key, NfaKeyState<E>>();
  private readonly timeoutTag: OutputTag<CepOutput<E>> | undefined;
  /** Keys whose expiry can emit nothing get no timer: a sweep over the keys prunes them once the watermark has moved
   *  this far (a quarter of `within`), so their expired partial matches linger at most that long. */
  private readonly sweepEveryMs: number;
  private nextSweep = Number.NEGATIVE_INFINITY;
  private readonly allowedLatenessMs: number;
  /** With allowed lateness: per key, the events that entered its NFA in the last lateness + `within`, in order. */
  private readonly kept = new Map<Key, KeptList<E>>();
  /** Which list each kept event is in, oldest first over all keys: pruning and the budget drop from its head. */
  private readonly keptOrder = new KeptOrder<E>();
  private readonly maxKeptEvents: number;
  private keptDroppedCounter: Counter = { value: 0 };
  private keptBudgetReported = false;
  private readonly maxStateEntries: number;
  private readonly logger: CepLogger | undefined;
  /** Partial matches plus buffer entries over all keys, kept up to date as each key's state changes. */
  private stateEntries = 0;
  private budgetDropped: Counter = { value: 0 };
  /** The dropped count at which the budget reports again (it reports when the count doubles). */
  private nextBudgetReport = 1;

  constructor(options: CepOperatorOptions<E>) {
    super(options);
    this.nfa = options.nfa;
    this.maxStateEntries = options.maxStateEntries ?? DEFAULT_MAX_STATE_ENTRIES;
    if (!Number.isInteger(this.maxStateEntries) || this.maxStateEntries < 1)
      throw new RangeError(`cep: maxStateEntries must be a positive integer, got ${this.maxStateEntries}`);
    this.maxKeptEvents = options.maxKeptEvents ?? DEFAULT_MAX_KEPT_EVENTS;
    if (!Number.isInteger(this.maxKeptEvents) || this.maxKeptEvents < 1)
      throw new RangeError(`cep: maxKeptEvents must be a positive integer, got ${this.maxKeptEvents}`);
    this.logger = options.logger;
    this.allowedLatenessMs = options.allowedLatenessMs ?? 0;
    if (!(this.allowedLatenessMs >= 0)) throw new RangeError(`cep: allowed lateness must be 0 or more, got ${this.allowedLatenessMs}`);
    this.codec = options.codec;
    this.timeoutTag = options.timeoutTag;
    const ties = options.compareTies;
    this.compareTies = ties;
    this.order = ties === undefined ? (a, b) => a.ts - b.ts || a.seq - b.seq : (a, b) => a.ts - b.ts || ties(a.value, b.value) || a.seq - b.seq;
    const order = this.order;
    this.waiting = new SortedRuns<Waiting<E>>(ties === undefined ? (a, b) => a.ts < b.ts || (a.ts === b.ts && a.seq < b.seq) : (a, b) => order(a, b) < 0);
    this.sweepEveryMs = Math.max(1, Math.floor(this.nfa.compiled.windowMs / 4));
  }

  override open(ctx: OperatorContext<CepOutput<E>>): void {
    super.open(ctx);
    ctx.metrics.gauge('vigil_cep_keys', { operator: this.uid }, () => this.states.size);
    ctx.metrics.gauge('vigil_cep_partial_matches', { operator: this.uid }, () => this.partialMatches());
    ctx.metrics.gauge('vigil_cep_waiting_events', { operator: this.uid }, () => this.waiting.size);
    ctx.metrics.gauge('vigil_cep_dropped_partial_matches', { operator: this.uid }, () => {
      let n = 0;
      for (const st of this.states.values()) n += st.droppedPartialMatches;
      return n;
    });
    ctx.metrics.gauge('vigil_cep_state_entries', { operator: this.uid }, () => this.stateEntries);
    ctx.metrics.gauge('vigil_cep_state_budget', { operator: this.uid }, () => this.maxStateEntries);
    this.budgetDropped = ctx.metrics.counter('vigil_cep_budget_dropped_partial_matches_total', { operator: this.uid });
    if (this.allowedLatenessMs > 0) {
      ctx.metrics.gauge('vigil_cep_kept_events', { operator: this.uid }, () => this.keptOrder.size);
      ctx.metrics.gauge('vigil_cep_kept_budget', { operator: this.uid }, () => this.maxKeptEvents);
      const dropped = this.keptDroppedCounter.value;
      this.keptDroppedCounter = ctx.metrics.counter('vigil_cep_kept_dropped_total', { operator: this.uid });
      this.keptDroppedCounter.value += dropped;
    }
  }

  /** Events kept for late events (allowed lateness), over all keys. */
  get keptEvents(): number {
    return this.keptOrder.size;
  }

  /** Kept events dropped by the kept-events budget. */
  get keptDropped(): number {
    return this.keptDroppedCounter.value;
  }

  /** Partial matches plus buffer entries over all keys (what the operator-wide budget counts). */
  get stateSize(): number {
    return this.stateEntries;
  }

  /** Partial matches dropped by the operator-wide budget. */
  get budgetDroppedPartialMatches(): number {
    return this.budgetDropped.value;
  }

  private entriesOf(st: NfaKeyState<E> | undefined): number {
    return st === undefined ? 0 : this.nfa.stateEntries(st);
  }

  /**
   * The budget is spent: drop the oldest partial matches over all keys (by first event time) until the state is back
   * to 90% of the budget. The first cutoff assumes partial matches weigh alike (one pass over the keys, usually
   * enough); then it moves on by a 32nd of them. `now` is the event time being processed: keys left holding finished
   * matches that only a dropped partial match held back release them at it.
   */
  private shed(now: number): void {
    const starts: number[] = [];
    this.states.forEach((st) => {
      for (const cs of st.partials) if (cs.startSeq >= 0) starts.push(cs.startTs);
    });
    const sorted = Float64Array.from(starts).sort();
    const target = Math.floor(this.maxStateEntries * SHED_TO);
    const step = Math.max(1, Math.ceil(sorted.length / 32));
    const touched = new Map<Key, NfaKeyState<E>>();
    let dropped = 0;
    let cutoff = Number.NEGATIVE_INFINITY;
    const first = Math.ceil((sorted.length * (this.stateEntries - target)) / this.stateEntries) - 1;
    for (let i = Math.max(0, first); this.stateEntries > target && sorted.length > 0; i += step) {
      cutoff = sorted[Math.min(i, sorted.length - 1)] as number;
      this.states.forEach((st, key) => {
        const before = this.entriesOf(st);
        const n = this.nfa.dropStartedBy(st, cutoff);
        if (n === 0) return;
        dropped += n;
        this.stateEntries += this.entriesOf(st) - before;
        touched.set(key, st);
      });
      if (i >= sorted.length - 1) break;
    }
    for (const [key, st] of touched) {
      this.backend.setCurrentKey(key);
      if (st.completed.length > 0) this.track(st, () => this.emit(key, this.nfa.advanceTime(st, now), now));
      this.scheduleExpiry(key, st);
    }
    this.budgetDropped.value += dropped;
    if (this.logger !== undefined && this.budgetDropped.value >= this.nextBudgetReport) {
      this.nextBudgetReport = this.budgetDropped.value * 2;
      this.logger.warn("cep: the pattern's state budget is spent; dropping the oldest partial matches of all keys", {
        operator: this.uid,
        maxStateEntries: this.maxStateEntries,
        dropped,
        droppedTotal: this.budgetDropped.value,
        keys: touched.size,
        startedBy: cutoff,
      });
    }
  }

  /** Runs a change to one key's state, keeping the operator's entry count and budget. */
  private track(st: NfaKeyState<E>, change: () => void): void {
    const before = this.entriesOf(st);
    change();
    this.stateEntries += this.entriesOf(st) - before;
  }

  /** Partial matches alive over all keys. */
  partialMatches(): number {
    let n = 0;
    for (const st of this.states.values()) n += this.nfa.partialMatchCount(st);
    return n;
  }

  processElement(value: E, timestamp: number): void {
    if (timestamp <= this.currentWatermark) {
      if (this.allowedLatenessMs > 0 && timestamp > this.currentWatermark - this.allowedLatenessMs) this.matchLate(value, timestamp);
      else this.emitLate(value, timestamp);
      return;
    }
    this.waiting.push({ ts: timestamp, seq: this.seq++, key: this.keyOf(value), value });
  }

  /** Waiting events the watermark passed enter the NFA in time order; expiry timers due before each fire first. */
  override processWatermark(watermark: number): void {
    if (watermark <= this.currentWatermark) return;
    const waiting = this.waiting;
    for (let top = waiting.peek(); top !== undefined && top.ts <= watermark; top = waiting.peek()) {
      if (top.ts - 1 > this.currentWatermark) this.timers.advanceWatermark(top.ts - 1, this);
      waiting.pop();
      this.backend.setCurrentKey(top.key);
      if (this.allowedLatenessMs > 0) this.keep(top.key, top.ts, top.value);
      let st = this.states.get(top.key);
      if (st === undefined) {
        // Most events of a key with no partial match cannot start one: no state is made and dropped for them.
        if (!this.nfa.couldStart(top.value, top.ts)) continue;
        st = this.nfa.createState(top.key);
        this.states.set(top.key, st);
      }
      const before = this.entriesOf(st);
      const out = this.nfa.process(st, top.value, top.ts);
      this.stateEntries += this.entriesOf(st) - before;
      this.emit(top.key, out, top.ts);
      this.scheduleExpiry(top.key, st);
      if (this.stateEntries > this.maxStateEntries) this.shed(top.ts);
    }
    this.timers.advanceWatermark(watermark, this);
    if (this.allowedLatenessMs > 0) this.pruneKept(watermark - this.allowedLatenessMs - this.nfa.compiled.windowMs);
    if (watermark >= this.nextSweep) this.sweep(watermark);
    this.output.emitWatermark(watermark);
  }

  /** Keeps an event that enters its key's NFA, for late events to be matched with; returns its key's list. */
  private keep(key: Key, ts: number, value: E): KeptList<E> {
    let list = this.kept.get(key);
    if (list === undefined) {
      list = { key, ts: [ts], values: [value], head: 0, matched: undefined };
      this.kept.set(key, list);
    } else if (list.values.length < 16) {
      // A push grows an array by half plus 16 slots, mostly empty for the few events most keys keep: a small list
      // is copied one longer instead (concat allocates the exact length).
      list.ts = list.ts.concat(ts);
      list.values = list.values.concat([value]);
    } else {
      list.ts.push(ts);
      list.values.push(value);
    }
    this.keptOrder.push(list);
    if (this.keptOrder.size > this.maxKeptEvents) this.dropOldestKept();
    return list;
  }

  /** Drops the oldest kept event of the list at the head of the kept order (see KeptOrder). */
  private dropKeptHead(): void {
    const list = this.keptOrder.peek() as KeptList<E>;
    this.keptOrder.pop();
    const v = list.values[list.head] as E;
    list.values[list.head] = undefined;
    list.head++;
    list.matched?.delete(v);
    if (list.head === list.values.length) this.kept.delete(list.key);
    else if (list.head >= 16 && list.head * 2 >= list.values.length) {
      // Compacted when half is dropped: each event is moved at most once on average.
      list.values.splice(0, list.head);
      list.ts.splice(0, list.head);
      list.head = 0;
    }
  }

  /** The kept-events budget is spent: the oldest kept event over all keys goes (reported the first time). */
  private dropOldestKept(): void {
    this.dropKeptHead();
    this.keptDroppedCounter.value++;
    if (!this.keptBudgetReported && this.logger !== undefined) {
      this.keptBudgetReported = true;
      const oldest = this.keptOrder.peek();
      this.logger.warn("cep: the pattern's kept-events budget is spent; dropping the oldest kept events of all keys (late events can no longer match them)", {
        operator: this.uid,
        maxKeptEvents: this.maxKeptEvents,
        allowedLatenessMs: this.allowedLatenessMs,
        // How far back kept events now reach: the lateness the budget actually covers.
        coveredMs: oldest === undefined ? 0 : this.currentWatermark - (oldest.ts[oldest.head] as number),
      });
    }
  }

  /** Drops kept events older than `horizon` (an event older can be in no match with one the lateness admits). */
  private pruneKept(horizon: number): void {
    for (let list = this.keptOrder.peek(); list !== undefined && (list.ts[list.head] as number) < horizon; list = this.keptOrder.peek()) this.dropKeptHead();
  }

  /**
   * A late event within the allowed lateness: put among its key's kept events and the key's NFA run again from
   * `within` before it (a match holding it starts no earlier; partial matches started before that have expired at
   * the watermark, so the re-run's state is the key's whole state).
   */
  private matchLate(value: E, timestamp: number): void {
    const list = this.keep(this.keyOf(value), timestamp, value);
    const key = list.key;
    this.backend.setCurrentKey(key);
    // Into its place: after the events of its time the comparator puts first, and those it ties with (it came last).
    const ties = this.compareTies;
    let at = list.values.length - 1;
    for (; at > list.head; at--) {
      const t = list.ts[at - 1] as number;
      if (t < timestamp || (t === timestamp && (ties === undefined || ties(list.values[at - 1] as E, value) <= 0))) break;
      list.ts[at] = t;
      list.values[at] = list.values[at - 1];
    }
    list.ts[at] = timestamp;
    list.values[at] = value;
    const from = timestamp - this.nfa.compiled.windowMs;
    const st = this.nfa.createState(key);
    const emitted: CepOutput<E>[] = [];
    const timedOut: CepOutput<E>[] = [];
    const take = (out: NfaOutput<E>, ts: number): void => {
      for (const m of out.matches)
        if (this.holds(m, value) && !this.overlapsEmitted(m, list)) emitted.push({ kind: 'match', key, match: m, timestamp: ts, late: true });
      for (const t of out.timedOut)
        if (this.holds(t.match, value)) timedOut.push({ kind: 'timeout', key, match: t.match, timestamp: t.timeoutTimestamp, late: true });
    };
    // Expiries fire at their own time, before the events after them, as the key's timer would have.
    const expireUntil = (t: number): void => {
      for (let due = this.nfa.nextTimeout(st); due <= t; ) {
        take(this.nfa.advanceTime(st, due), due);
        const next = this.nfa.nextTimeout(st);
        if (!(next > due)) break;
        due = next;
      }
    };
    for (let i = list.head; i < list.values.length; i++) {
      const ts = list.ts[i] as number;
      if (ts < from) continue;
      expireUntil(ts - 1);
      take(this.nfa.process(st, list.values[i] as E, ts), ts);
    }
    expireUntil(this.currentWatermark);
    const old = this.states.get(key);
    if (old !== undefined) st.pendingExpiry = old.pendingExpiry;
    this.stateEntries += this.entriesOf(st) - this.entriesOf(old);
    this.states.set(key, st);
    const tag = this.timeoutTag;
    if (tag !== undefined) for (const t of timedOut) this.output.side(tag, t, t.timestamp);
    for (const o of emitted) {
      this.markMatched(o.match, list);
      this.output.collect(o, o.timestamp);
    }
    this.scheduleExpiry(key, st);
    if (this.stateEntries > this.maxStateEntries) this.shed(this.currentWatermark);
  }

  /** Whether the late event is one of the match's events. */
  private holds(m: Match<E>, late: E): boolean {
    for (const events of Object.values(m)) if (events.includes(late)) return true;
    return false;
  }

  /** Under a skip strategy, whether one of the match's events is already in a match this operator emitted. */
  private overlapsEmitted(m: Match<E>, list: KeptList<E>): boolean {
    const matched = list.matched;
    if (this.nfa.compiled.skip.kind === 'noSkip' || matched === undefined) return false;
    for (const events of Object.values(m)) for (const e of events) if (matched.has(e)) return true;
    return false;
  }

  /** Remembers that the match's events (those still kept) are in an emitted match. */
  private markMatched(m: Match<E>, list: KeptList<E> | undefined): void {
    if (list === undefined) return;
    for (const events of Object.values(m))
      for (const e of events) {
        // A match's events are recent: searched from the end. One no longer kept is not remembered (it would stay).
        if (list.values.lastIndexOf(e) < list.head) continue;
        list.matched ??= new Set();
        list.matched.add(e);
      }
  }

  /** Prunes the expired partial matches of keys that have no expiry timer, and drops keys left with nothing. */
  private sweep(watermark: number): void {
    this.nextSweep = watermark + this.sweepEveryMs;
    // forEach, not for-of: no [key, value] pair allocated per key (a sweep visits every key).
    this.states.forEach((st, key) => {
      if (this.nfa.expiryMayEmit(st) || this.nfa.nextTimeout(st) > watermark) return;
      this.backend.setCurrentKey(key);
      this.track(st, () => this.emit(key, this.nfa.advanceTime(st, watermark), watermark)); // emits nothing: kept for safety
      if (this.nfa.partialMatchCount(st) === 0 && holdsNothing(st)) this.states.delete(key);
    });
  }

  /** A key's expiry timer: time its partial matches out and set the next one. */
  onTimer(domain: TimeDomain, key: Key, _namespace: Namespace, timestamp: number): void {
    if (domain !== 'event') return;
    // A key whose state was dropped may still have a timer pending (and, if it came back, a newer one): harmless.
    const st = this.states.get(key);
    if (st === undefined) return;
    if (st.pendingExpiry === timestamp) st.pendingExpiry = Number.POSITIVE_INFINITY;
    this.track(st, () => this.emit(key, this.nfa.advanceTime(st, timestamp), timestamp));
    this.scheduleExpiry(key, st);
  }

  /** With `within`, make sure the key wakes when its oldest partial match expires; drop the state of an idle key. */
  private scheduleExpiry(key: Key, st: NfaKeyState<E>): void {
    // Partial matches are kept oldest first, so the NFA knows the next expiry without a scan. Held-back finished
    // matches (skip strategies) need no timer of their own: they are released when an older partial match ends.
    if (this.nfa.partialMatchCount(st) === 0) {
      // Only the start state is left: nothing to remember for this key.
      if (holdsNothing(st)) this.states.delete(key);
      return;
    }
    const due = this.nfa.nextTimeout(st);
    if (due === Number.POSITIVE_INFINITY) return;
    // Expiring would only forget partial matches (nothing to emit): the sweep does that, with no timer per key.
    if (!this.nfa.expiryMayEmit(st)) return;
    // One pending timer per key: an earlier one, when it fires, sets the next.
    if (st.pendingExpiry <= due) return;
    st.pendingExpiry = due;
    this.timers.registerEventTimer(key, EXPIRY_NS, due);
  }

  /**
   * Matches go to the main output and timed-out partial matches to the timeout side output. Each carries the
   * event time at which it was found: the timestamp being processed (a match's last event, or the expiry time for
   * a trailing `not followed by`), or the expiry time of a timed-out partial match.
   */
  private emit(key: Key, out: NfaOutput<E>, timestamp: number): void {
    // Timeouts first, as Flink: the NFA times partial matches out before it applies the event that found matches.
    const tag = this.timeoutTag;
    if (tag !== undefined) {
      for (const t of out.timedOut) {
        this.output.side(tag, { kind: 'timeout', key, match: t.match, timestamp: t.timeoutTimestamp }, t.timeoutTimestamp);
      }
    }
    for (const m of out.matches) {
      if (this.allowedLatenessMs > 0) this.markMatched(m, this.kept.get(key));
      this.output.collect({ kind: 'match', key, match: m, timestamp }, timestamp);
    }
  }

  override snapshotState(): CepOperatorSnapshot {
    const nfa: Array<readonly [Key, NfaStateSnapshot]> = [];
    for (const [key, st] of this.states) nfa.push([key, encodeNfaState(this.nfa, st, this.codec)]);
    const encode = this.codec === undefined ? (e: E): unknown => e : (e: E): unknown => this.codec?.encode(e);
    const waiting = this.waiting
      .toArray()
      .sort(this.order)
      .map((w) => [w.key, w.ts, encode(w.value)] as const);
    const expiry: Array<readonly [Key, number]> = [];
    for (const [key, st] of this.states) if (st.pendingExpiry !== Number.POSITIVE_INFINITY) expiry.push([key, st.pendingExpiry]);
    // Each entry of the kept order takes its list's next event: a restore appending them in this order rebuilds
    // both the lists and the order exactly, so the budget drops after a restore what it would have dropped.
    const kept: Array<readonly [Key, number, unknown, boolean]> = [];
    const next = new Map<KeptList<E>, number>();
    this.keptOrder.forEach((list) => {
      const i = next.get(list) ?? list.head;
      next.set(list, i + 1);
      const v = list.values[i] as E;
      kept.push([list.key, list.ts[i] as number, encode(v), list.matched?.has(v) === true]);
    });
    return { ...super.snapshotState(), nfa, waiting, expiry, ...(this.allowedLatenessMs > 0 ? { kept, keptInOrder: true as const } : {}) };
  }

  override restoreState(state: unknown): void {
    const s = state as CepOperatorSnapshot | null;
    if (s === null) return;
    super.restoreState(s);
    this.states.clear();
    this.stateEntries = 0;
    for (const [key, snap] of s.nfa) {
      const st = decodeNfaState(this.nfa, snap, this.codec, key);
      this.states.set(key, st);
      this.stateEntries += this.entriesOf(st);
    }
    this.waiting.clear();
    this.seq = 0;
    for (const [key, ts] of s.expiry ?? []) {
      const st = this.states.get(key);
      if (st !== undefined) st.pendingExpiry = ts;
    }
    const decode = (d: unknown): E => (this.codec === undefined ? (d as E) : this.codec.decode(d));
    for (const [key, ts, data] of s.waiting ?? []) this.waiting.push({ ts, seq: this.seq++, key, value: decode(data) });
    this.kept.clear();
    this.keptOrder.clear();
    const entries = s.kept ?? [];
    const lists: KeptList<E>[] = [];
    for (const [key, ts, data, matched] of entries) {
      let list = this.kept.get(key);
      if (list === undefined) {
        list = { key, ts: [], values: [], head: 0, matched: undefined };
        this.kept.set(key, list);
      }
      const v = decode(data);
      list.ts.push(ts);
      list.values.push(v);
      if (matched) (list.matched ??= new Set()).add(v);
      lists.push(list);
    }
    // The kept order again: as written, or (an older snapshot, grouped by key) by the events' times, stable.
    const order = Array.from(entries.keys());
    if (s.keptInOrder !== true) order.sort((a, b) => (entries[a]?.[1] as number) - (entries[b]?.[1] as number) || a - b);
    for (const i of order) {
      this.keptOrder.push(lists[i] as KeptList<E>);
      // A budget smaller than the snapshot's kept events keeps the newest.
      if (this.keptOrder.size > this.maxKeptEvents) this.dropOldestKept();
    }
  }
}
