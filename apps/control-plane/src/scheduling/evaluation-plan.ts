import type { DeploymentSpec, InstanceState } from '@oja/contracts';
import type { Placement, PlacementRequest, RolloutStatus, SchedulerInstance, SchedulerNode } from '@oja/scheduler';

/**
 * Pure glue between Postgres rows and libs/scheduler: what an evaluation loads is mapped to the scheduler's
 * inputs here, and its outputs to the rows to write. No I/O.
 */

export type NodeState = Pick<NodeRow, 'id' | 'name' | 'status' | 'dedicatedTenantId'>;

export interface NodeRow {
  id: string;
  name: string;
  status: SchedulerNode['status'];
  capacityCpu: number;
  capacityMemoryMb: number;
  labels: Record<string, string>;
  dedicatedTenantId: string | null;
  allocatedCpu: number;
  allocatedMemoryMb: number;
}

export interface InstanceRow {
  id: string;
  revision: number;
  nodeId: string | null;
  desired: 'running' | 'stopped';
  observed: InstanceState;
  observedAt: Date;
  createdAt: Date;
  /** Set once the instance left the routes to be stopped (rollout/ two-phase stop): it counts as stopping. */
  stopRequestedAt: Date | null;
}

export function toSchedulerNode(row: NodeRow): SchedulerNode {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    capacity: { cpu: row.capacityCpu, memoryMb: row.capacityMemoryMb },
    allocated: { cpu: row.allocatedCpu, memoryMb: row.allocatedMemoryMb },
    labels: row.labels,
    dedicatedTenantId: row.dedicatedTenantId,
  };
}

/** `observedAt` is when state or health last changed, so a ready instance has been ready since then. */
export function toSchedulerInstance(row: InstanceRow, hasHealthCheck: boolean): SchedulerInstance {
  const desired = row.stopRequestedAt ? 'stopped' : row.desired;
  const ready = desired === 'running' && (row.observed === 'healthy' || (row.observed === 'running' && !hasHealthCheck));
  return {
    id: row.id,
    revision: row.revision,
    nodeId: row.nodeId,
    desired,
    observed: row.observed,
    hasHealthCheck,
    readySince: ready ? row.observedAt : null,
    createdAt: row.createdAt,
  };
}

/** One placement request for `count` instances of the deployment's current spec, spread against `existingPerNode` (instancesPerNode). */
export function placementRequest(
  deployment: { id: string; tenantId: string; tenantDedicated: boolean },
  spec: DeploymentSpec,
  count: number,
  existingPerNode: Record<string, number>,
): PlacementRequest {
  return {
    deploymentId: deployment.id,
    tenantId: deployment.tenantId,
    tenantDedicated: deployment.tenantDedicated,
    count,
    resources: { cpu: spec.resources.cpu, memoryMb: spec.resources.memoryMb },
    strategy: spec.placement.strategy,
    constraints: spec.placement.constraints,
    existingPerNode,
  };
}

/** Placements go first to instances waiting for a node (`retry`), the rest become new instances. */
export function assignPlacements(
  placements: readonly Placement[],
  retry: readonly string[],
): { placedRetries: { id: string; nodeId: string }[]; newOnNodes: string[]; stillWaiting: string[] } {
  const placedRetries = retry.slice(0, placements.length).map((id, i) => ({ id, nodeId: placements[i].nodeId }));
  return {
    placedRetries,
    newOnNodes: placements.slice(placedRetries.length).map((p) => p.nodeId),
    stillWaiting: retry.slice(placedRetries.length),
  };
}

/** The rollout status saved as JSON with the deployment, with its dates restored. */
export function parseRolloutStatus(json: unknown): RolloutStatus | null {
  if (!json || typeof json !== 'object') return null;
  const s = json as Omit<RolloutStatus, 'progressAt' | 'completedAt'> & { progressAt: string; completedAt: string | null };
  return { ...s, progressAt: new Date(s.progressAt), completedAt: s.completedAt ? new Date(s.completedAt) : null };
}
