import { backoffDelay } from '../reconcile/backoff';

export interface ReconnectBackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Fraction of each delay that is randomized (0 = none, 1 = anywhere from 0 to the full delay). */
  jitter: number;
}

export const RECONNECT_BACKOFF: ReconnectBackoffOptions = { initialMs: 500, maxMs: 10_000, jitter: 0.5 };

/**
 * Reconnect delays: the reconciler's doubling (initial, 2×, 4×… capped at max) with jitter on top, so that agents cut
 * off together don't all come back in the same instant. The n-th delay is reduced by up to `jitter` of itself.
 */
export class Backoff {
  private failures = 0;

  constructor(
    private readonly options: ReconnectBackoffOptions = RECONNECT_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    this.failures += 1;
    const base = backoffDelay({ ...this.options, resetAfterMs: Infinity }, this.failures);
    return Math.round(base * (1 - this.options.jitter * this.random()));
  }

  reset(): void {
    this.failures = 0;
  }
}
