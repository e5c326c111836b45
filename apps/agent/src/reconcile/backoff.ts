/** Restart back-off for crashed containers (and failed pulls/creates): doubling from initialMs up to maxMs. */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** A container that stayed up this long before dying starts the doubling over. */
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1000, maxMs: 60_000, resetAfterMs: 60_000 };

/** Delay before the next attempt after `failures` consecutive failures (1 → initialMs, 2 → 2×, …, capped). */
export function backoffDelay(policy: BackoffPolicy, failures: number): number {
  const doublings = Math.max(0, failures - 1);
  return Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(doublings, 30));
}

/** The consecutive-failure count after one more failure; a long enough run (ranForMs) resets it. */
export function countFailure(policy: BackoffPolicy, previous: number, ranForMs: number | null): number {
  return (ranForMs !== null && ranForMs >= policy.resetAfterMs ? 0 : previous) + 1;
}
