/** One probe outcome as reported in InstanceStatus.lastChecks. */
export interface HealthCheck {
  at: string;
  ok: boolean;
  output: string;
}

export interface HealthState {
  /** null until the first result: the instance runs but is not known healthy yet. */
  healthy: boolean | null;
  consecutiveFailures: number;
  /** Newest last, at most KEPT_CHECKS. */
  lastChecks: HealthCheck[];
}

export const KEPT_CHECKS = 5;

export const UNKNOWN_HEALTH: HealthState = { healthy: null, consecutiveFailures: 0, lastChecks: [] };

/**
 * Healthy after one success; unhealthy only after `failureThreshold` consecutive failures (a single
 * slow answer does not flap an instance out of the routing mesh); otherwise the verdict stands.
 */
export function recordCheck(state: HealthState, check: HealthCheck, failureThreshold: number): HealthState {
  const lastChecks = [...state.lastChecks, check].slice(-KEPT_CHECKS);
  if (check.ok) return { healthy: true, consecutiveFailures: 0, lastChecks };
  const consecutiveFailures = state.consecutiveFailures + 1;
  return { healthy: consecutiveFailures >= failureThreshold ? false : state.healthy, consecutiveFailures, lastChecks };
}
