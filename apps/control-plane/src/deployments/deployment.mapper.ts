import type { DeploymentView, InstanceView, RevisionView } from '@oja/contracts';
import type { RevisionEntity } from '../db/entities';
import { computeStatus, type StatusInstance } from './deployment-status';
import type { DeploymentWithSpec, InstanceRow } from './deployment.repository';

export function mapDeployment({ deployment: d, spec }: DeploymentWithSpec, instances: readonly StatusInstance[], now: Date): DeploymentView {
  return {
    name: d.name,
    spec: { ...spec, replicas: d.replicas },
    revision: d.currentRevision,
    replicas: d.replicas,
    paused: d.paused,
    generation: Number(d.generation),
    status: computeStatus(d, spec.update, instances, now),
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
  };
}

export function mapRevision(r: RevisionEntity, currentRevision: number, replicas: number): RevisionView {
  return { revision: r.number, spec: { ...r.spec, replicas }, createdAt: r.createdAt.toISOString(), current: r.number === currentRevision };
}

export function mapInstance(i: InstanceRow): InstanceView {
  return {
    id: i.id,
    node: i.node,
    revision: i.revision,
    state: i.observed,
    healthy: i.observed === 'healthy',
    reason: i.reason,
    overlayIp: i.overlayIp,
    containerId: i.containerId,
    restarts: i.restarts,
    lastExitCode: i.lastExitCode,
    lastChecks: i.lastChecks ?? [],
    updatedAt: new Date(i.updatedAt).toISOString(),
  };
}
