import { byStopPriority, classifyInstances } from './instances';
import { planRolloutStep, resolveFenceposts, startCount } from './rollout';
import type { RolloutStatus, SchedulerDeployment, SchedulerInstance, TaintedNodes } from './types';

/**
 * Reconcile: the one entry point the control plane calls per evaluation (Nomad's AllocReconciler.Compute).
 * It maps (deployment, instances, tainted nodes, now) to buckets; the caller persists them, places `place`
 * and `retry` with place(), and pushes the new desired state to the agents.
 */

export interface ReconcileInput {
  deployment: SchedulerDeployment;
  /** Every instance of the deployment not yet reported gone (the caller may pass gone ones too). */
  instances: readonly SchedulerInstance[];
  /** Nodes that are down, draining, or dedicated to another tenant; unlisted nodes are usable. */
  tainted: TaintedNodes;
  now: Date;
}

export interface ReconcileResult {
  /** New instances to create (observed pending) and place. Only ever the current revision today. */
  place: { revision: number; count: number }[];
  /** Instances to drain from the routing mesh, then stop (desired → stopped). */
  stop: string[];
  /** Instances on down nodes or reported lost: mark observed lost and desired stopped; already replaced in `place`. */
  lost: string[];
  /** Current-revision instances still without a node: place them again (they already count, so not in `place`). */
  retry: string[];
  /** Save with the deployment; the next evaluation reads it back as deployment.status. */
  status: RolloutStatus;
}

/**
 * Not paused: the rollout planner's step, which covers scaling, self-healing (lost instances no longer
 * count, so the planner starts replacements), moves off draining / ineligible nodes (those instances are
 * outdated: started-before-stopped within maxSurge / maxUnavailable) and revision updates.
 * Paused: no rollout step, but replicas still follow the count (see planPausedScaling).
 */
export function reconcileDeployment(input: ReconcileInput): ReconcileResult {
  const { deployment, instances, tainted, now } = input;
  const step = planRolloutStep(deployment, instances, now, tainted);
  const { start, stop } = deployment.paused ? planPausedScaling(deployment, instances, tainted, now) : step;
  const classes = classifyInstances(deployment, instances, tainted);
  const stopping = new Set(stop);
  return {
    place: start > 0 ? [{ revision: deployment.currentRevision, count: start }] : [],
    stop,
    lost: classes.lost.map((i) => i.id),
    retry: classes.current.filter((i) => i.nodeId === null && !stopping.has(i.id)).map((i) => i.id),
    status: step.status,
  };
}

/**
 * While a rollout is paused its revision mix is left alone, but the replica count is still honoured (as a
 * paused Kubernetes deployment still scales): missing instances — lost, or after scaling up — start at the
 * current revision within the surge; surplus ones stop, outdated first. Moves off draining nodes wait for resume.
 * Midway through a rollout up to replicas + maxSurge may run (Kubernetes' allowedSize when it scales a paused
 * rolling update): the surge instance is no surplus, so pausing with 3 old + 1 new of 3 replicas stops nothing —
 * stopping an old one would be the rollout's next step, and with maxUnavailable 0 would cost availability.
 */
export function planPausedScaling(
  deployment: SchedulerDeployment,
  instances: readonly SchedulerInstance[],
  tainted: TaintedNodes,
  now: Date,
): { start: number; stop: string[] } {
  const { replicas, update } = deployment;
  const { current, outdated, stopping } = classifyInstances(deployment, instances, tainted);
  const { maxSurge } = resolveFenceposts(update.maxSurge, update.maxUnavailable, replicas);
  const counted = current.length + outdated.length;
  const start = startCount(replicas - counted, replicas, maxSurge, counted + stopping.length);
  const stopOrder = byStopPriority(update.minReadySeconds, now, [...current, ...outdated]);
  const allowed = replicas + (outdated.length > 0 ? maxSurge : 0);
  const surplus = [...outdated.sort(stopOrder), ...current.sort(stopOrder)].slice(0, Math.max(0, counted - allowed));
  return { start, stop: surplus.map((i) => i.id) };
}
