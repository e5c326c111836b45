/**
 * Inputs and outputs of pure placement. No I/O: the control plane loads these from Postgres,
 * calls the scheduler, and persists what it returns.
 */
export interface Resources {
  cpu: number;
  memoryMb: number;
}

export type NodeStatus = 'ready' | 'down' | 'draining';

export interface SchedulerNode {
  id: string;
  name: string;
  status: NodeStatus;
  capacity: Resources;
  /** Sum of the resources of the instances already placed on the node (desired running). */
  allocated: Resources;
  labels: Record<string, string>;
  /** Tenant this node is dedicated to, or null for a shared node. */
  dedicatedTenantId: string | null;
}

export interface PlacementRequest {
  deploymentId: string;
  tenantId: string;
  /** A dedicated tenant runs only on nodes dedicated to it. */
  tenantDedicated: boolean;
  /** How many new instances to place. */
  count: number;
  /** Per instance. */
  resources: Resources;
  strategy: 'spread' | 'binpack';
  /** "label.zone == a" / "label.zone != a" */
  constraints: string[];
  /** Instances of this deployment already on each node (by node id), for spread. */
  existingPerNode: Record<string, number>;
}

export interface Placement {
  deploymentId: string;
  nodeId: string;
}

export interface Unplaced {
  deploymentId: string;
  count: number;
  /** Why, for the instance's `reason` and an event: "no node with 512 MiB free among 3 eligible". */
  reason: string;
}

export interface PlacementResult {
  placements: Placement[];
  unplaced: Unplaced[];
}
