import type { DeploymentCondition, DeploymentStatus, InstanceState, IntOrPercent, RolloutPhase } from '@oja/contracts';

export interface StatusDeployment {
  replicas: number;
  currentRevision: number;
  paused: boolean;
  status: RolloutPhase;
  statusReason: string | null;
  progressAt: Date | null;
  updatedAt: Date;
}

export interface StatusSpec {
  minReadySeconds: number;
  maxUnavailable: IntOrPercent;
}

export interface StatusInstance {
  revision: number;
  desired: 'running' | 'stopped';
  observed: InstanceState;
  /** Whether its revision's spec has a health probe. */
  hasHealthCheck: boolean;
  /** Since when it has been ready (null while not ready). */
  readySince: Date | null;
}

/** Healthy, or running when its revision has no probe (the same rule as libs/scheduler's rollout). */
export function isReady(i: StatusInstance): boolean {
  return i.desired === 'running' && (i.observed === 'healthy' || (i.observed === 'running' && !i.hasHealthCheck));
}

/** Ready for at least minReadySeconds. */
export function isAvailable(i: StatusInstance, minReadySeconds: number, now: Date): boolean {
  if (!isReady(i)) return false;
  return minReadySeconds <= 0 || (i.readySince !== null && now.getTime() - i.readySince.getTime() >= minReadySeconds * 1000);
}

/** maxUnavailable as a count: an int as is, "N%" of replicas rounded down (as Kubernetes). */
export function maxUnavailableCount(value: IntOrPercent, replicas: number): number {
  return typeof value === 'number' ? value : Math.floor((Number.parseInt(value, 10) * replicas) / 100);
}

/**
 * A deployment's status from its instances' observed state: updated = current revision and desired running;
 * ready = healthy, or running without a probe; available = ready for minReadySeconds. The phase is the one the
 * rollout saved, or "paused".
 */
export function computeStatus(d: StatusDeployment, spec: StatusSpec, instances: readonly StatusInstance[], now: Date): DeploymentStatus {
  const running = instances.filter((i) => i.desired === 'running');
  const updated = running.filter((i) => i.revision === d.currentRevision).length;
  const ready = running.filter((i) => isReady(i)).length;
  const available = running.filter((i) => isAvailable(i, spec.minReadySeconds, now)).length;
  const phase: RolloutPhase = d.paused ? 'paused' : d.status;
  const since = (d.progressAt ?? d.updatedAt).toISOString();
  const minAvailable = Math.max(0, d.replicas - maxUnavailableCount(spec.maxUnavailable, d.replicas));
  const conditions: DeploymentCondition[] = [
    {
      type: 'Available',
      status: available >= minAvailable ? 'True' : 'False',
      reason: available >= minAvailable ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
      message: `${available} of ${d.replicas} available (at least ${minAvailable} required)`,
      lastTransitionAt: since,
    },
    {
      type: 'Progressing',
      status: phase === 'failed' ? 'False' : phase === 'paused' ? 'Unknown' : 'True',
      reason: { progressing: 'ReplicaSetUpdating', complete: 'NewRevisionAvailable', failed: 'ProgressDeadlineExceeded', paused: 'DeploymentPaused' }[phase],
      message: d.statusReason ?? `${updated} of ${d.replicas} updated to revision ${d.currentRevision}`,
      lastTransitionAt: since,
    },
  ];
  return { phase, desired: d.replicas, updated, ready, available, conditions };
}
