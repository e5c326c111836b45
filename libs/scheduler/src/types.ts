import type { InstanceState, IntOrPercent, RolloutPhase } from '@oja/contracts';

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

/** Why a node cannot take a deployment's instances right now (reconcile input, like Nomad's TaintedNodes). */
export type TaintReason =
  /** The node stopped heartbeating: its instances are lost and replaced elsewhere. */
  | 'down'
  /** An operator drains it: its instances move away without downtime. */
  | 'draining'
  /** It is now dedicated to another tenant: this tenant's instances move away without downtime. */
  | 'ineligible';

/** Node id → why it is tainted. Nodes not listed are healthy for this deployment. */
export type TaintedNodes = Readonly<Record<string, TaintReason>>;

export interface UpdateStrategy {
  /** An absolute count or a percentage ("25%") of the replicas, as in Kubernetes. */
  maxSurge: IntOrPercent;
  maxUnavailable: IntOrPercent;
  /** An instance counts as available once it has been ready this long. */
  minReadySeconds: number;
  /** No progress for this long → the rollout is failed. */
  progressDeadlineSeconds: number;
}

/** What an evaluation reports and the next one reads back (saved with the deployment). */
export interface RolloutStatus {
  /** The revision this status describes; a different current revision means a new rollout began. */
  revision: number;
  phase: RolloutPhase;
  /** Instances of the current revision on usable nodes (desired running). */
  updated: number;
  /** Of those, ready (healthy, or running when the revision has no probe). */
  ready: number;
  /** Instances of any revision ready for at least minReadySeconds. */
  available: number;
  /** Instances still to be replaced: an older revision, or on a draining / ineligible node. */
  outdated: number;
  /** When the rollout last made progress (or began); measured against progressDeadlineSeconds. */
  progressAt: Date;
  /** When this revision first became complete; from then on it never times out (as Kubernetes' NewRSAvailable). */
  completedAt: Date | null;
  reason: string;
}

export interface SchedulerDeployment {
  id: string;
  replicas: number;
  currentRevision: number;
  update: UpdateStrategy;
  paused: boolean;
  /** The status the previous evaluation saved; null before the first one. */
  status: RolloutStatus | null;
}

export type DesiredInstanceState = 'running' | 'stopped';

export interface SchedulerInstance {
  id: string;
  revision: number;
  /** null while it waits for a node. */
  nodeId: string | null;
  desired: DesiredInstanceState;
  observed: InstanceState;
  /** Whether its revision's spec has a health probe: ready then means healthy, not merely running. */
  hasHealthCheck: boolean;
  /** Since when it has been ready, as the control plane recorded it; null while not ready. */
  readySince: Date | null;
  /** For "stop the newest first". */
  createdAt: Date;
}
