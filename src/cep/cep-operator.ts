import { KeyedOperator, type OutputTag, type Key, type KeyedOperatorOptions, type KeyedOperatorSnapshot, type Namespace, type ValueState, type OperatorContext, type TimeDomain } from '../core/index.js';
import type { Match, Nfa, NfaOutput } from './nfa.js';
import { NfaKeyState } from './nfa.js';
import { decodeNfaState, encodeNfaState, type EventCodec, type NfaStateSnapshot } from './snapshot.js';

/** A complete match or a timed-out partial match of one key. */
export interface CepOutput<E> {
  readonly kind: 'match' | 'timeout';
  readonly key: Key;
  readonly match: Match<E>;
  /** Event time of the output: the match's last event, or the time the partial match expired. */
  readonly timestamp: number;
}

export interface CepOperatorOptions<E> extends KeyedOperatorOptions<E> {
  readonly nfa: Nfa<E>;
  readonly codec?: EventCodec<E>;
  /** Where timed-out partial matches go (Flink's timeout side output); without one they are discarded. */
  readonly timeoutTag?: OutputTag<CepOutput<E>>;
}

interface CepOperatorSnapshot extends KeyedOperatorSnapshot {
  readonly nfa: ReadonlyArray<readonly [Key, NfaStateSnapshot]>;
}

const BUFFER_NS: Namespace = 0;

/** One key's events waiting for the watermark, sorted by timestamp (stable: arrival order within a timestamp). */
interface Pending<E> {
  ts: number[];
  events: E[];
  /** The earliest timer registered for this buffer. */
  timerAt: number;
}

/**
 * Runs an NFA per key in event time, as Flink's CepOperator: events wait in a per-key buffer until the watermark
 * passes them, then enter the NFA in timestamp order (arrival order breaks ties); events behind the watermark go to
 * the late output. A timer at the key's earliest buffered timestamp feeds the NFA; with `within`, one more timer per
 * key at the earliest partial match's expiry advances the NFA's time so matches time out (and trailing `not followed
 * by` patterns complete) as the watermark passes, with no per-watermark scan over keys. Matches go to the main
 * output, timed-out partial matches to the timeout side output.
 */
export class CepOperator<E> extends KeyedOperator<E, CepOutput<E>> {
  private readonly nfa: Nfa<E>;
  private readonly codec: EventCodec<E> | undefined;
  private readonly buffer: ValueState<Pending<E>>;
  private readonly states = new Map<Key, NfaKeyState<E>>();
  private readonly timeoutTag: OutputTag<CepOutput<E>> | undefined;

  constructor(options: CepOperatorOptions<E>) {
    super(options);
    this.nfa = options.nfa;
    this.codec = options.codec;
    this.timeoutTag = options.timeoutTag;
    this.buffer = this.backend.value<Pending<E>>('cep-buffer');
  }

  override open(ctx: OperatorContext<CepOutput<E>>): void {
    super.open(ctx);
    ctx.metrics.gauge('vigil_cep_keys', { operator: this.uid }, () => this.states.size);
    ctx.metrics.gauge('vigil_cep_partial_matches', { operator: this.uid }, () => this.partialMatches());
    ctx.metrics.gauge('vigil_cep_dropped_partial_matches', { operator: this.uid }, () => {
      let n = 0;
      for (const st of this.states.values()) n += st.droppedPartialMatches;
      return n;
    });
  }

  /** Partial matches alive over all keys. */
  partialMatches(): number {
    let n = 0;
    for (const st of this.states.values()) n += this.nfa.partialMatchCount(st);
    return n;
  }

  processElement(value: E, timestamp: number): void {
    if (timestamp <= this.currentWatermark) {
      this.emitLate(value, timestamp);
      return;
    }
    const key = this.enterKey(value);
    const pending = this.buffer.get(BUFFER_NS);
    if (pending === undefined) {
      this.buffer.update({ ts: [timestamp], events: [value], timerAt: timestamp }, BUFFER_NS);
      this.timers.registerEventTimer(key, BUFFER_NS, timestamp);
      return;
    }
    // Insert after every event with the same or an earlier timestamp: arrival order breaks ties.
    const ts = pending.ts;
    let i = ts.length;
    while (i > 0 && (ts[i - 1] as number) > timestamp) i--;
    ts.splice(i, 0, timestamp);
    pending.events.splice(i, 0, value);
    if (timestamp < pending.timerAt) {
      pending.timerAt = timestamp;
      this.timers.registerEventTimer(key, BUFFER_NS, timestamp);
    }
  }

  /**
   * A key's buffer has one timer, at its earliest timestamp. When it fires, the events of that timestamp enter the
   * NFA and a timer is set for the next buffered timestamp. Timers fire in timestamp order across keys, so matches
   * come out in event-time order for the whole operator, not only per key.
   */
  onTimer(domain: TimeDomain, key: Key, _namespace: Namespace, timestamp: number): void {
    if (domain !== 'event') return;
    let st = this.states.get(key);
    const pending = this.buffer.get(BUFFER_NS);
    if (pending !== undefined && (pending.ts[0] as number) <= timestamp) {
      if (st === undefined) {
        st = this.nfa.createState(key);
        this.states.set(key, st);
      }
      const ts = pending.ts;
      let n = 0;
      while (n < ts.length && (ts[n] as number) <= timestamp) {
        const t = ts[n] as number;
        this.emit(key, this.nfa.process(st, pending.events[n] as E, t), t);
        n++;
      }
      if (n === ts.length) this.buffer.clear(BUFFER_NS);
      else {
        ts.splice(0, n);
        pending.events.splice(0, n);
        pending.timerAt = ts[0] as number;
        this.timers.registerEventTimer(key, BUFFER_NS, pending.timerAt);
      }
    }
    if (st === undefined) return;
    this.emit(key, this.nfa.advanceTime(st, timestamp), timestamp);
    this.scheduleExpiry(key, st);
  }

  /** With `within`, wake this key when its oldest partial match expires; drop the state of an idle key. */
  private scheduleExpiry(key: Key, st: NfaKeyState<E>): void {
    // Partial matches are kept oldest first, so the NFA knows the next expiry without a scan. Held-back finished
    // matches (skip strategies) need no timer of their own: they are released when an older partial match ends.
    if (this.nfa.partialMatchCount(st) === 0) {
      // Only the start state is left: nothing to remember for this key (its buffered events keep their own timers).
      if (st.completed.length === 0 && st.droppedPartialMatches === 0) this.states.delete(key);
      return;
    }
    const due = this.nfa.nextTimeout(st);
    if (due !== Number.POSITIVE_INFINITY) this.timers.registerEventTimer(key, BUFFER_NS, due);
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
    for (const m of out.matches) this.output.collect({ kind: 'match', key, match: m, timestamp }, timestamp);
  }

  override snapshotState(): CepOperatorSnapshot {
    const nfa: Array<readonly [Key, NfaStateSnapshot]> = [];
    for (const [key, st] of this.states) nfa.push([key, encodeNfaState(this.nfa, st, this.codec)]);
    return { ...super.snapshotState(), nfa };
  }

  override restoreState(state: unknown): void {
    const s = state as CepOperatorSnapshot | null;
    if (s === null) return;
    super.restoreState(s);
    this.states.clear();
    for (const [key, snap] of s.nfa) this.states.set(key, decodeNfaState(this.nfa, snap, this.codec, key));
  }
}
