import fc from 'fast-check';
import { place } from './place';
import type { PlacementRequest, PlacementResult, SchedulerNode } from './types';

// Properties of place() over random clusters and batches (as Nomad's reconcile_cluster_prop_test.go).
// The rules are restated here from the design rather than calling the checkers, so a broken checker fails them.

const TENANTS = ['t1', 't2', 't3'];
const CONSTRAINTS = ['label.zone == a', 'label.zone != b', 'label.disk == ssd'];
const milli = (cpu: number) => Math.round(cpu * 1000);

const nodeArb: fc.Arbitrary<SchedulerNode> = fc.record({
  id: fc.stringMatching(/^[a-z0-9]{1,4}$/),
  name: fc.constant('n'),
  status: fc.constantFrom('ready', 'ready', 'ready', 'down', 'draining'),
  // Mostly common machine sizes and empty nodes, so rank ties (broken by node id) are frequent.
  capacity: fc.oneof(
    fc.constantFrom({ cpu: 2, memoryMb: 2048 }, { cpu: 4, memoryMb: 4096 }),
    fc.record({ cpu: fc.integer({ min: 0, max: 32 }).map((q) => q / 4), memoryMb: fc.integer({ min: 0, max: 8192 }) }),
  ),
  allocated: fc.oneof(
    fc.constant({ cpu: 0, memoryMb: 0 }),
    fc.record({ cpu: fc.integer({ min: 0, max: 16 }).map((q) => q / 4), memoryMb: fc.integer({ min: 0, max: 4096 }) }),
  ),
  labels: fc.record({ zone: fc.constantFrom('a', 'b', 'c'), disk: fc.constantFrom('ssd', 'hdd') }, { requiredKeys: [] }),
  dedicatedTenantId: fc.constantFrom(null, null, null, ...TENANTS),
});

/** Instances the deployment already runs: on some of the cluster's nodes (any status), and on a node no longer listed. */
const existingArb = (nodeIds: string[]): fc.Arbitrary<Record<string, number>> =>
  fc.oneof(
    fc.constant({}),
    fc.dictionary(fc.constantFrom(...nodeIds, 'gone'), fc.integer({ min: 1, max: 4 }), { maxKeys: 6 }),
  );

const requestArb = (index: number, nodeIds: string[]): fc.Arbitrary<PlacementRequest> =>
  fc.record({
    deploymentId: fc.constant(`d${index}`),
    tenantId: fc.constantFrom(...TENANTS),
    tenantDedicated: fc.boolean(),
    count: fc.integer({ min: 0, max: 40 }),
    resources: fc.record({ cpu: fc.integer({ min: 1, max: 40 }).map((k) => k / 20), memoryMb: fc.integer({ min: 6, max: 1024 }) }),
    strategy: fc.constantFrom('spread', 'binpack'),
    constraints: fc.subarray(CONSTRAINTS, { maxLength: 2 }),
    existingPerNode: existingArb(nodeIds),
  });

const clusterArb = fc.uniqueArray(nodeArb, { selector: (n) => n.id, maxLength: 25 }).chain((nodes) =>
  fc.record({
    nodes: fc.constant(nodes),
    requests: fc.integer({ min: 0, max: 8 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => requestArb(i, nodes.map((x) => x.id))))),
  }),
);

function eligible(node: SchedulerNode, r: PlacementRequest): boolean {
  if (node.status !== 'ready') return false;
  if (node.dedicatedTenantId === null ? r.tenantDedicated : node.dedicatedTenantId !== r.tenantId) return false;
  return r.constraints.every((c) => {
    const [, key, op, value] = /^label\.(\S+) (==|!=) (\S+)$/.exec(c) as RegExpExecArray;
    return op === '==' ? node.labels[key] === value : node.labels[key] !== value;
  });
}

/** Resources used on each node after the batch: what was allocated plus what was placed, in millicores / MiB. */
function usage(nodes: SchedulerNode[], requests: PlacementRequest[], result: PlacementResult) {
  const byDeployment = new Map(requests.map((r) => [r.deploymentId, r]));
  const used = new Map(nodes.map((n) => [n.id, { cpu: milli(n.allocated.cpu), memoryMb: n.allocated.memoryMb }]));
  for (const p of result.placements) {
    const r = byDeployment.get(p.deploymentId) as PlacementRequest;
    const u = used.get(p.nodeId);
    if (!u) throw new Error(`placed on unknown node ${p.nodeId}`);
    u.cpu += milli(r.resources.cpu);
    u.memoryMb += r.resources.memoryMb;
  }
  return used;
}

const requestsOf = (requests: readonly PlacementRequest[]) => [...requests];

describe('place() properties', () => {
  it('never fills a node past its capacity', () => {
    fc.assert(
      fc.property(clusterArb, ({ nodes, requests }) => {
        const result = place(nodes, requests);
        const used = usage(nodes, requestsOf(requests), result);
        const placedOn = new Set(result.placements.map((p) => p.nodeId));
        for (const n of nodes) {
          if (!placedOn.has(n.id)) continue;
          const u = used.get(n.id) as { cpu: number; memoryMb: number };
          expect(u.cpu).toBeLessThanOrEqual(milli(n.capacity.cpu));
          expect(u.memoryMb).toBeLessThanOrEqual(n.capacity.memoryMb);
        }
      }),
    );
  });

  it('never places on a down, draining, non-matching or other tenant\'s node, and a dedicated tenant only on its own', () => {
    fc.assert(
      fc.property(clusterArb, ({ nodes, requests }) => {
        const byId = new Map(nodes.map((n) => [n.id, n]));
        const byDeployment = new Map(requests.map((r) => [r.deploymentId, r]));
        for (const p of place(nodes, requests).placements) {
          const node = byId.get(p.nodeId) as SchedulerNode;
          const r = byDeployment.get(p.deploymentId) as PlacementRequest;
          expect(eligible(node, r)).toBe(true);
          if (node.dedicatedTenantId !== null) expect(node.dedicatedTenantId).toBe(r.tenantId);
          if (r.tenantDedicated) expect(node.dedicatedTenantId).toBe(r.tenantId);
        }
      }),
    );
  });

  it('accounts for every requested instance: placed + unplaced = requested, per deployment', () => {
    fc.assert(
      fc.property(clusterArb, ({ nodes, requests }) => {
        const result = place(nodes, requests);
        for (const r of requests) {
          const placed = result.placements.filter((p) => p.deploymentId === r.deploymentId).length;
          const unplaced = result.unplaced.filter((u) => u.deploymentId === r.deploymentId).reduce((sum, u) => sum + u.count, 0);
          expect(placed + unplaced).toBe(r.count);
          if (unplaced > 0) expect(result.unplaced.find((u) => u.deploymentId === r.deploymentId)?.reason).toMatch(/^no (eligible )?node/);
        }
      }),
    );
  });

  it('spreads within one: a node given an instance holds at most one more of the deployment (those it already ran included) than any eligible node still with room', () => {
    fc.assert(
      fc.property(clusterArb, ({ nodes, requests }) => {
        const result = place(nodes, requests);
        const used = usage(nodes, requestsOf(requests), result);
        for (const r of requests.filter((q) => q.strategy === 'spread')) {
          const count = new Map<string, number>(Object.entries(r.existingPerNode));
          const given = new Set<string>();
          for (const p of result.placements) {
            if (p.deploymentId !== r.deploymentId) continue;
            count.set(p.nodeId, (count.get(p.nodeId) ?? 0) + 1);
            given.add(p.nodeId);
          }
          const withRoom = nodes.filter((n) => {
            const u = used.get(n.id) as { cpu: number; memoryMb: number };
            return eligible(n, r) && u.cpu + milli(r.resources.cpu) <= milli(n.capacity.cpu) && u.memoryMb + r.resources.memoryMb <= n.capacity.memoryMb;
          });
          const fewest = Math.min(...withRoom.map((n) => count.get(n.id) ?? 0));
          for (const nodeId of given) expect(count.get(nodeId)).toBeLessThanOrEqual(fewest + 1);
        }
      }),
    );
  });

  it('spreads over what already runs: on roomy shared nodes a deployment ends at most one apart, the nodes it already ran on filled last', () => {
    const roomy = fc.uniqueArray(
      fc.record({
        id: fc.stringMatching(/^[a-z0-9]{1,4}$/), name: fc.constant('n'), status: fc.constant('ready' as const),
        capacity: fc.constant({ cpu: 1000, memoryMb: 1_000_000 }), allocated: fc.constant({ cpu: 0, memoryMb: 0 }),
        labels: fc.constant({}), dedicatedTenantId: fc.constant(null),
      }),
      { selector: (n) => n.id, minLength: 1, maxLength: 10 },
    );
    fc.assert(
      fc.property(
        roomy.chain((nodes) => fc.tuple(fc.constant(nodes), fc.dictionary(fc.constantFrom(...nodes.map((n) => n.id)), fc.integer({ min: 1, max: 5 })), fc.integer({ min: 0, max: 30 }))),
        ([nodes, existingPerNode, count]) => {
          const request: PlacementRequest = {
            deploymentId: 'd', tenantId: 't1', tenantDedicated: false, count, resources: { cpu: 0.1, memoryMb: 16 },
            strategy: 'spread', constraints: [], existingPerNode,
          };
          const total = new Map(nodes.map((n) => [n.id, existingPerNode[n.id] ?? 0]));
          const given = new Set<string>();
          for (const p of place(nodes, [request]).placements) {
            total.set(p.nodeId, (total.get(p.nodeId) as number) + 1);
            given.add(p.nodeId);
          }
          const fewest = Math.min(...total.values());
          for (const nodeId of given) expect(total.get(nodeId)).toBeLessThanOrEqual(fewest + 1);
        },
      ),
    );
  });

  it('is deterministic: the same input, even with the nodes listed in another order, gives the same placements', () => {
    fc.assert(
      fc.property(
        clusterArb.chain((c) => fc.tuple(fc.constant(c), fc.shuffledSubarray(c.nodes, { minLength: c.nodes.length }))),
        ([{ nodes, requests }, shuffled]) => {
          const first = place(nodes, requests);
          expect(place(structuredClone(nodes), structuredClone(requests))).toEqual(first);
          expect(place(shuffled, requests)).toEqual(first);
        },
      ),
    );
  });
});
