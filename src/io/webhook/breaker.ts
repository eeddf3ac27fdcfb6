/**
 * A circuit breaker per route: after `failures` consecutive failed deliveries it opens, and deliveries wait instead
 * of being tried; after `cooldownMs` it lets one probe through (half-open); the probe's success closes it, its
 * failure opens it for another cool-down. A receiver that is down then costs one request per cool-down, not one per
 * queued alert, and the alerts keep their attempts for when it is back.
 */
export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  /** Consecutive failures that open the breaker. */
  readonly failures: number;
  readonly cooldownMs: number;
}

/** What a delivery may do now: go (closed or the probe), or wait this long and ask again. */
export type BreakerPermit = { readonly go: true; readonly probe: boolean } | { readonly go: false; readonly waitMs: number };

export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private consecutive = 0;
  private openedAt = 0;
  private probing = false;
  /** Times it opened (a counter for metrics). */
  opened = 0;

  constructor(
    private readonly options: BreakerOptions,
    private readonly now: () => number = Date.now,
    private readonly onChange: (state: BreakerState) => void = () => undefined,
  ) {}

  get state(): BreakerState {
    return this.current;
  }

  get consecutiveFailures(): number {
    return this.consecutive;
  }

  /** Asks before a delivery. In half-open only one delivery goes (the probe); the others wait for its answer. */
  permit(): BreakerPermit {
    if (this.current === 'open') {
      const left = this.openedAt + this.options.cooldownMs - this.now();
      if (left > 0) return { go: false, waitMs: left };
      this.set('half-open');
    }
    if (this.current === 'half-open') {
      if (this.probing) return { go: false, waitMs: Math.max(1, Math.min(this.options.cooldownMs, 1000)) };
      this.probing = true;
      return { go: true, probe: true };
    }
    return { go: true, probe: false };
  }

  success(): void {
    this.consecutive = 0;
    this.probing = false;
    if (this.current !== 'closed') this.set('closed');
  }

  failure(): void {
    this.consecutive++;
    const probeFailed = this.current === 'half-open' && this.probing;
    this.probing = false;
    if (probeFailed || (this.current === 'closed' && this.consecutive >= this.options.failures)) {
      this.openedAt = this.now();
      this.opened++;
      this.set('open');
    }
  }

  /** A delivery that was let through but never reached the receiver's verdict (the process stopped): not a failure. */
  abandon(probe: boolean): void {
    if (probe) this.probing = false;
  }

  /** Milliseconds until an open breaker lets a probe through (0 otherwise). */
  remainingMs(): number {
    return this.current === 'open' ? Math.max(0, this.openedAt + this.options.cooldownMs - this.now()) : 0;
  }

  private set(state: BreakerState): void {
    this.current = state;
    this.onChange(state);
  }
}

/** The breaker state as a number for a gauge: 0 closed, 1 half-open, 2 open. */
export function breakerLevel(state: BreakerState): number {
  return state === 'closed' ? 0 : state === 'half-open' ? 1 : 2;
}
