import type { IntOrPercent, RolloutPhase } from '@oja/contracts';
import { byStopPriority, classifyInstances, isAvailable, isReady, type InstanceClasses } from './instances';
import type { RolloutStatus, SchedulerDeployment, SchedulerInstance, TaintedNodes } from './types';

/**
 * Rolling update maths with Kubernetes' semantics (pkg/controller/deployment/rolling.go and
 * util/deployment_util.go), as free functions. planRolloutStep takes ONE step: the caller saves it and the next
 * evaluation, seeing the instances it created or stopped, takes the next, so a killed control plane resumes.
 */

export interface Fenceposts {
  maxSurge: number;
  maxUnavailable: number;
}

/**
 * Absolute maxSurge / maxUnavailable for `replicas` (Kubernetes ResolveFenceposts). Surge rounds UP and
 * unavailable rounds DOWN, so a percentage never makes a rollout stall nor drop more than asked:
 *   25% / 25% of 10 → surge ceil(2.5) = 3, unavailable floor(2.5) = 2
 *   39% / 39% of 10 → surge ceil(3.9) = 4, unavailable floor(3.9) = 3
 *   0 / 10% of 5   → surge 0, unavailable floor(0.5) = 0 → both 0, so unavailable becomes 1: with neither
 *                    a surge slot nor an unavailable one, no old instance could ever be replaced.
 */
export function resolveFenceposts(maxSurge: IntOrPercent, maxUnavailable: IntOrPercent, replicas: number): Fenceposts {
  const surge = scaledValue(maxSurge, replicas, 'up');
  const unavailable = scaledValue(maxUnavailable, replicas, 'down');
  if (surge === 0 && unavailable === 0) return { maxSurge: 0, maxUnavailable: 1 };
  return { maxSurge: surge, maxUnavailable: unavailable };
}

/** An int as is; "N%" of total rounded as asked (Kubernetes GetScaledValueFromIntOrPercent). */
export function scaledValue(value: IntOrPercent, total: number, round: 'up' | 'down'): number {
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  if (!m) throw new Error(`"${value}" is neither an integer nor a percentage like "25%"`);
  const scaled = Number(m[1]) * total;
  // Integer maths: (p·total + 99) / 100 is the ceiling without float error.
  return Math.floor(round === 'up' ? (scaled + 99) / 100 : scaled / 100);
}

type Counts = Pick<RolloutStatus, 'updated' | 'available' | 'outdated'>;

/** Every replica runs the current revision on a usable node and is available; nothing else is left. */
export function isComplete(replicas: number, counts: Counts): boolean {
  return counts.updated === replicas && counts.available === replicas && counts.outdated === 0;
}

/**
 * No progress for longer than progressDeadlineSeconds (Kubernetes DeploymentTimedOut). A paused rollout never
 * times out, nor does a revision that once completed (later losses are repairs, not a failed rollout); a
 * failed one stays timed out until it makes progress again.
 */
export function hasTimedOut(progressDeadlineSeconds: number, status: Pick<RolloutStatus, 'phase' | 'progressAt' | 'completedAt'>, now: Date): boolean {
  if (status.completedAt !== null || status.phase === 'paused') return false;
  if (status.phase === 'failed') return true;
  return now.getTime() - status.progressAt.getTime() > progressDeadlineSeconds * 1000;
}

/**
 * How many new instances to start (Kubernetes NewRSNewReplicas): the shortfall, but never more than
 * replicas + maxSurge active, where active counts instances still stopping. E.g. replicas 3, maxSurge 1,
 * 3 outdated + 1 stopping: 3 + 1 - 4 = 0, so wait for the stopping one to exit.
 */
export function startCount(shortfall: number, replicas: number, maxSurge: number, active: number): number {
  return Math.max(0, Math.min(shortfall, replicas + maxSurge - active));
}

export interface RolloutStep {
  /** New instances of the current revision to create and place. */
  start: number;
  /** Instances to drain from the routing mesh, then stop. */
  stop: string[];
  status: RolloutStatus;
}

/**
 * The next step toward `replicas` available instances of the current revision on usable nodes, as
 * Kubernetes' rolloutRolling: scale the new revision up within the surge, scale the outdated down within the
 * unavailability budget. With no outdated instances this is plain scaling. Paused: status only, no step.
 * `tainted` marks nodes whose instances move (draining, ineligible) or are lost (down).
 */
export function planRolloutStep(
  deployment: SchedulerDeployment,
  instances: readonly SchedulerInstance[],
  now: Date,
  tainted: TaintedNodes = {},
): RolloutStep {
  const classes = classifyInstances(deployment, instances, tainted);
  const status = rolloutStatus(deployment, classes, now);
  if (deployment.paused) return { start: 0, stop: [], status };

  const { replicas, update } = deployment;
  const { maxSurge, maxUnavailable } = resolveFenceposts(update.maxSurge, update.maxUnavailable, replicas);
  const available = (i: SchedulerInstance) => isAvailable(i, update.minReadySeconds, now);
  const { current, outdated, stopping } = classes;
  const stopOrder = byStopPriority(update.minReadySeconds, now, [...current, ...outdated]);

  const start = startCount(replicas - current.length, replicas, maxSurge, current.length + outdated.length + stopping.length);

  // Scaled down below (e.g. `oja scale`): the least useful current instances go, as Kubernetes scaling does.
  const byUsefulness = [...current].sort(stopOrder);
  const surplus = Math.max(0, current.length - replicas);
  const stop = byUsefulness.slice(0, surplus).map((i) => i.id);
  const keptCurrent = byUsefulness.slice(surplus);

  // Scale the outdated down (reconcileOldReplicaSets), worked for replicas 10, maxUnavailable 2, maxSurge 3:
  // minAvailable = 10 - 2 = 8. With 10 outdated (all available) and 3 new just started (unavailable):
  // maxScaledDown = allPods 13 - minAvailable 8 - newUnavailable 3 = 2 → unavailable outdated go first (they
  // cost no availability), then available ones while available - minAvailable allows: 10 - 8 = 2 stop.
  const minAvailable = Math.max(0, replicas - maxUnavailable);
  const keptAvailable = keptCurrent.filter(available).length + outdated.filter(available).length;
  const newUnavailable = keptCurrent.length - keptCurrent.filter(available).length;
  const maxScaledDown = keptCurrent.length + outdated.length - minAvailable - newUnavailable;
  if (maxScaledDown > 0 && outdated.length > 0) {
    const oldestFirst = (a: SchedulerInstance, b: SchedulerInstance) => a.revision - b.revision || stopOrder(a, b);
    const unhealthy = outdated.filter((i) => !available(i)).sort(oldestFirst).slice(0, maxScaledDown);
    const canStopAvailable = Math.max(0, keptAvailable - minAvailable);
    const healthy = outdated.filter(available).sort(oldestFirst).slice(0, canStopAvailable);
    stop.push(...unhealthy.map((i) => i.id), ...healthy.map((i) => i.id));
  }
  return { start, stop, status };
}

/** Counts, phase and progress time, as Kubernetes' syncRolloutStatus: complete > progressing > timed out. */
export function rolloutStatus(deployment: SchedulerDeployment, classes: InstanceClasses, now: Date): RolloutStatus {
  const { replicas, currentRevision, update } = deployment;
  const counted = [...classes.current, ...classes.outdated];
  const counts = {
    updated: classes.current.length,
    ready: classes.current.filter(isReady).length,
    available: counted.filter((i) => isAvailable(i, update.minReadySeconds, now)).length,
    outdated: classes.outdated.length,
  };
  const previous = deployment.status;
  // A new revision, or a resumed rollout, starts the progress clock again.
  const restarted = previous === null || previous.revision !== currentRevision || previous.phase === 'paused';
  const progressed =
    restarted ||
    counts.updated > previous.updated ||
    counts.ready > previous.ready ||
    counts.available > previous.available ||
    counts.outdated < previous.outdated;
  const progressAt = progressed ? now : previous.progressAt;
  const complete = isComplete(replicas, counts);
  const completedAt = (restarted ? null : previous.completedAt) ?? (complete ? now : null);

  let phase: RolloutPhase;
  if (deployment.paused) phase = 'paused';
  else if (complete) phase = 'complete';
  else if (progressed) phase = 'progressing';
  else phase = hasTimedOut(update.progressDeadlineSeconds, { ...previous, completedAt }, now) ? 'failed' : 'progressing';
  return { revision: currentRevision, phase, ...counts, progressAt, completedAt, reason: describe(phase, deployment, counts) };
}

function describe(phase: RolloutPhase, deployment: SchedulerDeployment, counts: Counts): string {
  const { replicas, currentRevision, update } = deployment;
  const progress = `${counts.updated} of ${replicas} updated to revision ${currentRevision}, ${counts.available} available, ${counts.outdated} outdated`;
  switch (phase) {
    case 'complete':
      return `revision ${currentRevision}: ${replicas} of ${replicas} available`;
    case 'paused':
      return `paused: ${progress}`;
    case 'failed':
      return `no progress for ${update.progressDeadlineSeconds}s: ${progress}`;
    case 'progressing':
      return progress;
  }
}
