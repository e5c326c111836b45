import type { SchedulerDeployment, SchedulerInstance, TaintedNodes } from './types';

/**
 * How reconcile and the rollout planner see a deployment's instances. An instance counts until its agent
 * reports it gone: a stopping one still takes a surge slot (Kubernetes' terminating-pod overshoot, avoided).
 */

/** Observed states after which a stopped instance no longer runs anywhere. */
const GONE = new Set<SchedulerInstance['observed']>(['exited', 'failed', 'lost']);

/** Stopped and no longer running anywhere: reported gone, or never placed on a node. */
function isGone(instance: SchedulerInstance): boolean {
  return instance.desired === 'stopped' && (instance.nodeId === null || GONE.has(instance.observed));
}

/** Healthy, or running when its revision has no probe. */
export function isReady(instance: SchedulerInstance): boolean {
  if (instance.desired !== 'running') return false;
  return instance.observed === 'healthy' || (instance.observed === 'running' && !instance.hasHealthCheck);
}

/**
 * What to save as readySince after an instance's state changed: kept while it stays ready, `now` when it
 * just became ready, null when it is not ready. The control plane calls this when it records a report.
 */
export function readySinceAfter(instance: SchedulerInstance, now: Date): Date | null {
  if (!isReady(instance)) return null;
  return instance.readySince ?? now;
}

/**
 * Ready for at least minReadySeconds (Kubernetes' IsPodAvailable). Without a recorded readySince only
 * minReadySeconds = 0 makes it available.
 */
export function isAvailable(instance: SchedulerInstance, minReadySeconds: number, now: Date): boolean {
  if (!isReady(instance)) return false;
  if (minReadySeconds <= 0) return true;
  return instance.readySince !== null && now.getTime() - instance.readySince.getTime() >= minReadySeconds * 1000;
}

/** Its node is down or it was reported lost: it is replaced elsewhere and no longer counts. */
export function isLost(instance: SchedulerInstance, tainted: TaintedNodes): boolean {
  if (instance.observed === 'lost') return true;
  const onDownNode = instance.nodeId !== null && tainted[instance.nodeId] === 'down';
  return onDownNode && !isGone(instance);
}

/** The node is draining or now dedicated to another tenant: replace first, then stop. */
function mustMove(instance: SchedulerInstance, tainted: TaintedNodes): boolean {
  const taint = instance.nodeId === null ? undefined : tainted[instance.nodeId];
  return taint === 'draining' || taint === 'ineligible';
}

/**
 * What placing more of `revision` spreads against (PlacementRequest.existingPerNode): per node, the instances of
 * that revision desired running, placed and not lost. Outdated ones are on their way out, so a rollout's
 * replacement goes where the new revision is thinnest, and byStopPriority then stops the old instance sharing its
 * node: the spread holds through the rollout.
 */
export function instancesPerNode(instances: readonly SchedulerInstance[], tainted: TaintedNodes, revision: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const i of instances) {
    if (i.revision !== revision || i.desired !== 'running' || i.nodeId === null || isLost(i, tainted)) continue;
    counts[i.nodeId] = (counts[i.nodeId] ?? 0) + 1;
  }
  return counts;
}

export interface InstanceClasses {
  /** Desired running, current revision, on a usable node (or waiting for one). */
  current: SchedulerInstance[];
  /** Desired running but to be replaced: an older revision, or on a draining / ineligible node. */
  outdated: SchedulerInstance[];
  /** Desired stopped, not yet reported gone: still occupies a surge slot. */
  stopping: SchedulerInstance[];
  /** Lost (on a down node or reported lost) and not yet marked: mark lost, stop, replace. */
  lost: SchedulerInstance[];
}

export function classifyInstances(deployment: Pick<SchedulerDeployment, 'currentRevision'>, instances: readonly SchedulerInstance[], tainted: TaintedNodes): InstanceClasses {
  const classes: InstanceClasses = { current: [], outdated: [], stopping: [], lost: [] };
  for (const instance of instances) {
    if (isLost(instance, tainted)) {
      if (instance.desired === 'running' || instance.observed !== 'lost') classes.lost.push(instance);
    } else if (instance.desired === 'stopped') {
      if (!isGone(instance)) classes.stopping.push(instance);
    } else if (instance.revision !== deployment.currentRevision || mustMove(instance, tainted)) {
      classes.outdated.push(instance);
    } else {
      classes.current.push(instance);
    }
  }
  return classes;
}

/**
 * Which instances to stop first, as Kubernetes' ActivePods ordering: no node yet, then not started, then dead,
 * then running but not ready, then ready but not yet available, then available; among equals the one on the node
 * running the most of `kept` (Kubernetes' rank of doubled-up pods: stopping it restores the spread that a
 * rollout's surge instance disturbed), then the one ready for the shortest time, then the newest, then by id
 * (deterministic). `kept`: the deployment's instances that still count (not stopping, not lost).
 */
export function byStopPriority(
  minReadySeconds: number,
  now: Date,
  kept: readonly SchedulerInstance[],
): (a: SchedulerInstance, b: SchedulerInstance) => number {
  const stage = (i: SchedulerInstance): number => {
    if (isAvailable(i, minReadySeconds, now)) return 5;
    if (isReady(i)) return 4;
    if (i.nodeId === null) return 0;
    if (i.observed === 'pending' || i.observed === 'starting') return 1;
    return i.observed === 'exited' || i.observed === 'failed' ? 2 : 3;
  };
  const onNode = new Map<string, number>();
  for (const { nodeId } of kept) if (nodeId !== null) onNode.set(nodeId, (onNode.get(nodeId) ?? 0) + 1);
  const colocated = (i: SchedulerInstance): number => (i.nodeId === null ? 0 : onNode.get(i.nodeId) ?? 0);
  return (a, b) =>
    stage(a) - stage(b) ||
    colocated(b) - colocated(a) ||
    (b.readySince?.getTime() ?? 0) - (a.readySince?.getTime() ?? 0) ||
    b.createdAt.getTime() - a.createdAt.getTime() ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
