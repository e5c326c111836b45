import type { InstanceState } from '@oja/contracts';

/**
 * States in which an instance's overlay address belongs in its tenant's isolation set: from the moment the container
 * exists until it stops. Agents isolate tenants by these sets, so when an instance's reachable address changes every
 * node is told (each node gets the sets of the tenants it runs instances of).
 */
export const ADDRESSED_STATES: readonly InstanceState[] = ['starting', 'running', 'healthy', 'unhealthy'];

/** The address an instance contributes to its tenant's set, or null. Pure. */
export function reachableAddress(state: InstanceState, overlayIp: string | null): string | null {
  return overlayIp && ADDRESSED_STATES.includes(state) ? overlayIp : null;
}
