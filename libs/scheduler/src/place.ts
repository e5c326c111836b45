import {
  DEDICATED_TO_ANOTHER_TENANT,
  NOT_DEDICATED_TO_TENANT,
  checkFits,
  checkStatic,
  parseConstraint,
  toMilliCpu,
  type LabelConstraint,
  type Rejection,
} from './feasibility';
import { IndexHeap } from './heap';
import { nodeLoad, rankOrder } from './rank';
import type { Placement, PlacementRequest, PlacementResult, Resources, SchedulerNode, Unplaced } from './types';

/**
 * Places a batch of requests, in order, over the nodes: feasibility (static rules once per distinct
 * tenant + constraints, capacity as the batch fills nodes) → rank (a heap per request) → placements.
 * O(nodes) per request plus O(log nodes) per instance, never O(nodes) per instance.
 */
export function place(nodes: readonly SchedulerNode[], requests: readonly PlacementRequest[]): PlacementResult {
  const cluster = new ClusterState(nodes);
  const eligibility = new Map<string, Eligibility>();
  const tenantsWithNodes = new Set(nodes.map((n) => n.dedicatedTenantId).filter((t) => t !== null));
  /** Instances this batch placed so far, per deployment and node index (spread must see them). */
  const placedByDeployment = new Map<string, Map<number, number>>();
  const placements: Placement[] = [];
  const unplaced: Unplaced[] = [];

  for (const request of requests) {
    if (request.count <= 0) continue;
    const constraints = parseConstraints(request.constraints);
    if ('invalid' in constraints) {
      unplaced.push({ deploymentId: request.deploymentId, count: request.count, reason: `invalid constraint "${constraints.invalid}"` });
      continue;
    }
    const key = eligibilityKey(request, constraints.parsed, tenantsWithNodes);
    let eligible = eligibility.get(key);
    if (!eligible) {
      eligible = filterNodes(nodes, request, constraints.parsed);
      eligibility.set(key, eligible);
    }
    let placedHere = placedByDeployment.get(request.deploymentId);
    if (!placedHere) {
      placedHere = new Map();
      placedByDeployment.set(request.deploymentId, placedHere);
    }
    const placed = cluster.placeRequest(request, eligible.nodes, placedHere, placements);
    if (placed < request.count) {
      const reason = eligible.nodes.length === 0 ? noEligibleReason(eligible, constraints.parsed, nodes.length) : cluster.shortageReason(request.resources, eligible.nodes);
      unplaced.push({ deploymentId: request.deploymentId, count: request.count - placed, reason });
    }
  }
  return { placements, unplaced };
}

/** Nodes passing the static rules, and how many each rule rejected (Nomad's FilterNode metrics). */
interface Eligibility {
  nodes: number[];
  rejected: Map<Rejection, number>;
}

function filterNodes(nodes: readonly SchedulerNode[], tenant: PlacementRequest, constraints: readonly LabelConstraint[]): Eligibility {
  const eligible: number[] = [];
  const rejected = new Map<Rejection, number>();
  nodes.forEach((node, i) => {
    const rejection = checkStatic(node, tenant, constraints);
    if (rejection === null) eligible.push(i);
    else rejected.set(rejection, (rejected.get(rejection) ?? 0) + 1);
  });
  return { nodes: eligible, rejected };
}

/** "no eligible node: 2 down, 1 draining, 4 dedicated to another tenant, 3 not matching label.zone == a" */
function noEligibleReason(eligible: Eligibility, constraints: readonly LabelConstraint[], nodeCount: number): string {
  if (nodeCount === 0) return 'no eligible node: no nodes in the cluster';
  const ruleOrder = ['down', 'draining', DEDICATED_TO_ANOTHER_TENANT, NOT_DEDICATED_TO_TENANT, ...constraints.map((c) => `not matching ${c.text}`)];
  const counts = ruleOrder.filter((r) => eligible.rejected.has(r)).map((r) => `${eligible.rejected.get(r)} ${r}`);
  return `no eligible node: ${counts.join(', ')}`;
}

function parseConstraints(raw: readonly string[]): { parsed: LabelConstraint[] } | { invalid: string } {
  const parsed: LabelConstraint[] = [];
  for (const text of raw) {
    const c = parseConstraint(text);
    if (!c) return { invalid: text };
    parsed.push(c);
  }
  return { parsed };
}

/**
 * Requests with the same key have the same eligible nodes. Tenants owning no dedicated node all see the same
 * cluster, so they share one key ("*") and the static rules run once for all of them.
 */
function eligibilityKey(request: PlacementRequest, constraints: readonly LabelConstraint[], tenantsWithNodes: ReadonlySet<string>): string {
  const tenant = tenantsWithNodes.has(request.tenantId) ? `=${request.tenantId}` : '*';
  return JSON.stringify([tenant, request.tenantDedicated, constraints.map((c) => c.text)]);
}

function formatShortage(want: Resources, cpu: boolean, memory: boolean): string {
  const parts = [cpu ? `${want.cpu} CPU` : null, memory ? `${want.memoryMb} MiB` : null].filter((p) => p !== null);
  return parts.join(' and ');
}

/** Mutable per-batch view of the nodes in flat arrays (indexes follow the input order). */
class ClusterState {
  private readonly ids: string[];
  private readonly indexById = new Map<string, number>();
  private readonly capacityCpu: Float64Array;
  private readonly capacityMemory: Float64Array;
  private readonly usedCpu: Float64Array;
  private readonly usedMemory: Float64Array;
  private readonly load: Float64Array;
  private readonly idOrder: Int32Array;
  /** Scratch: instances of the deployment being placed, per node; zeroed after each request. */
  private readonly count: Int32Array;

  constructor(nodes: readonly SchedulerNode[]) {
    const n = nodes.length;
    this.ids = nodes.map((node) => node.id);
    this.capacityCpu = Float64Array.from(nodes, (node) => toMilliCpu(node.capacity.cpu));
    this.capacityMemory = Float64Array.from(nodes, (node) => node.capacity.memoryMb);
    this.usedCpu = Float64Array.from(nodes, (node) => toMilliCpu(node.allocated.cpu));
    this.usedMemory = Float64Array.from(nodes, (node) => node.allocated.memoryMb);
    this.load = new Float64Array(n);
    this.count = new Int32Array(n);
    this.idOrder = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      this.indexById.set(this.ids[i], i);
      this.refreshLoad(i);
    }
    const byId = [...this.ids.keys()].sort((a, b) => (this.ids[a] < this.ids[b] ? -1 : this.ids[a] > this.ids[b] ? 1 : a - b));
    byId.forEach((nodeIndex, position) => (this.idOrder[nodeIndex] = position));
  }

  /** Places up to request.count instances on the eligible nodes; returns how many it placed. */
  placeRequest(request: PlacementRequest, eligible: readonly number[], placedHere: Map<number, number>, out: Placement[]): number {
    const wantCpu = toMilliCpu(request.resources.cpu);
    const wantMemory = request.resources.memoryMb;
    const touched = this.loadCounts(request.existingPerNode, placedHere);
    const room = eligible.filter((i) => this.fits(i, wantCpu, wantMemory));
    const heap = new IndexHeap(room, rankOrder(request.strategy, { count: this.count, load: this.load, idOrder: this.idOrder }));
    let placed = 0;
    while (placed < request.count && heap.size > 0) {
      const i = heap.peek();
      out.push({ deploymentId: request.deploymentId, nodeId: this.ids[i] });
      placed++;
      this.usedCpu[i] += wantCpu;
      this.usedMemory[i] += wantMemory;
      this.refreshLoad(i);
      this.count[i]++;
      placedHere.set(i, (placedHere.get(i) ?? 0) + 1);
      // Only the top changed, and only in the direction of ranking later (spread) or staying first (binpack).
      if (this.fits(i, wantCpu, wantMemory)) heap.topChanged();
      else heap.pop();
    }
    for (const i of touched) this.count[i] = 0;
    for (const i of placedHere.keys()) this.count[i] = 0;
    return placed;
  }

  /** "no node with 512 MiB free among 3 eligible": names the dimensions short on some eligible node. */
  shortageReason(want: Resources, eligible: readonly number[]): string {
    const wantCpu = toMilliCpu(want.cpu);
    let cpu = false;
    let memory = false;
    for (const i of eligible) {
      const shortage = this.shortage(i, wantCpu, want.memoryMb);
      cpu ||= shortage === 'cpu' || shortage === 'cpu and memory';
      memory ||= shortage === 'memory' || shortage === 'cpu and memory';
    }
    return `no node with ${formatShortage(want, cpu, memory)} free among ${eligible.length} eligible`;
  }

  private loadCounts(existingPerNode: Readonly<Record<string, number>>, placedHere: ReadonlyMap<number, number>): number[] {
    const touched: number[] = [];
    for (const [nodeId, n] of Object.entries(existingPerNode)) {
      const i = this.indexById.get(nodeId);
      if (i === undefined) continue;
      this.count[i] += n;
      touched.push(i);
    }
    for (const [i, n] of placedHere) this.count[i] += n;
    return touched;
  }

  private shortage(i: number, wantCpu: number, wantMemory: number) {
    return checkFits(this.capacityCpu[i] - this.usedCpu[i], this.capacityMemory[i] - this.usedMemory[i], wantCpu, wantMemory);
  }

  private fits(i: number, wantCpu: number, wantMemory: number): boolean {
    return this.shortage(i, wantCpu, wantMemory) === null;
  }

  private refreshLoad(i: number): void {
    this.load[i] = nodeLoad(this.usedCpu[i], this.capacityCpu[i], this.usedMemory[i], this.capacityMemory[i]);
  }
}
