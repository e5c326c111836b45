import { NODE_STATUSES, type NodeStatus, type NodeView } from '@oja/contracts';

/** A node row joined with its dedicated tenant's name and what its running instances reserve. */
export interface NodeRow {
  id: string;
  name: string;
  status: string;
  drained: boolean;
  underlay_address: string;
  overlay_subnet: string | null;
  labels: Record<string, string> | null;
  capacity_cpu: number;
  capacity_memory_mb: number;
  dedicated_tenant_id: string | null;
  dedicated_tenant_name: string | null;
  last_heartbeat_at: Date | null;
  agent_version: string | null;
  allocated_cpu: number | string | null;
  allocated_memory_mb: number | string | null;
  instance_count: number | string | null;
}

export function toNodeView(row: NodeRow): NodeView {
  return {
    name: row.name,
    status: asNodeStatus(row.status),
    drained: row.drained,
    underlayAddress: row.underlay_address,
    overlaySubnet: row.overlay_subnet,
    labels: row.labels ?? {},
    capacity: { cpu: row.capacity_cpu, memoryMb: row.capacity_memory_mb },
    // Sums of floats: rounded so 0.1 + 0.2 reads 0.3.
    allocated: { cpu: Math.round(Number(row.allocated_cpu ?? 0) * 1000) / 1000, memoryMb: Number(row.allocated_memory_mb ?? 0) },
    instances: Number(row.instance_count ?? 0),
    dedicatedTenant: row.dedicated_tenant_name,
    lastHeartbeatAt: row.last_heartbeat_at ? row.last_heartbeat_at.toISOString() : null,
    agentVersion: row.agent_version,
  };
}

function asNodeStatus(status: string): NodeStatus {
  if ((NODE_STATUSES as readonly string[]).includes(status)) return status as NodeStatus;
  throw new Error(`node status "${status}" is not one of ${NODE_STATUSES.join(', ')}`);
}
