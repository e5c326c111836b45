import { node, request } from '../test/factories';
import { place } from './place';
import { nodeLoad, rankOrder } from './rank';
import type { PlacementResult } from './types';

/** node id → instances placed there, in a stable order for assertions. */
function perNode(result: PlacementResult): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const p of result.placements) counts[p.nodeId] = (counts[p.nodeId] ?? 0) + 1;
  return counts;
}

describe('nodeLoad', () => {
  it.each([
    [0, 1000, 0, 1024, 0],
    [500, 1000, 512, 1024, 0.5],
    [1000, 1000, 0, 1024, 0.5],
    [250, 1000, 768, 1024, 0.5],
    [0, 0, 0, 1024, 0.5],
  ])('used %d/%d m, %d/%d MiB → %d', (usedCpu, capCpu, usedMem, capMem, load) => {
    expect(nodeLoad(usedCpu, capCpu, usedMem, capMem)).toBe(load);
  });
});

describe('rankOrder', () => {
  // node indexes 0..2: counts, loads, id order
  const view = { count: [1, 0, 0], load: [0.1, 0.5, 0.5], idOrder: [0, 2, 1] };
  it.each([
    ['spread', 1, 0, true], // fewer instances of the deployment beats lower load
    ['spread', 2, 1, true], // equal count and load: lower id wins
    ['spread', 0, 2, false],
    ['binpack', 1, 0, true], // more loaded first
    ['binpack', 2, 1, true], // equal load: lower id
    ['binpack', 0, 2, false],
  ] as const)('%s: %d before %d → %s', (strategy, a, b, better) => {
    expect(rankOrder(strategy, view)(a, b)).toBe(better);
  });
});

describe('place', () => {
  it('spreads a deployment one per node before doubling up, least loaded and then lowest id first', () => {
    const nodes = [
      node({ id: 'c' }),
      node({ id: 'a', allocated: { cpu: 1, memoryMb: 1024 } }),
      node({ id: 'b' }),
    ];
    const result = place(nodes, [request({ count: 4 })]);
    expect(result.placements.map((p) => p.nodeId)).toEqual(['b', 'c', 'a', 'b']);
    expect(result.unplaced).toEqual([]);
  });

  it('counts instances the deployment already has when spreading', () => {
    const nodes = [node({ id: 'a' }), node({ id: 'b' }), node({ id: 'c' })];
    const result = place(nodes, [request({ count: 3, existingPerNode: { a: 2, b: 1, gone: 5 } })]);
    expect(perNode(result)).toEqual({ c: 2, b: 1 });
  });

  it('binpacks onto the most loaded node that still fits, then the next', () => {
    const nodes = [
      node({ id: 'a', capacity: { cpu: 2, memoryMb: 2048 } }),
      node({ id: 'b', capacity: { cpu: 2, memoryMb: 2048 }, allocated: { cpu: 1, memoryMb: 1024 } }),
    ];
    const result = place(nodes, [request({ count: 7, strategy: 'binpack' })]);
    expect(result.placements.map((p) => p.nodeId)).toEqual(['b', 'b', 'a', 'a', 'a', 'a']);
    expect(result.unplaced).toEqual([{ deploymentId: 'web', count: 1, reason: 'no node with 0.5 CPU and 512 MiB free among 2 eligible' }]);
  });

  it('updates capacity as the batch places, across requests', () => {
    const nodes = [node({ id: 'a', capacity: { cpu: 1, memoryMb: 1024 } })];
    const result = place(nodes, [request({ deploymentId: 'x' }), request({ deploymentId: 'y', resources: { cpu: 0.25, memoryMb: 768 } })]);
    expect(result.placements).toEqual([{ deploymentId: 'x', nodeId: 'a' }]);
    expect(result.unplaced).toEqual([{ deploymentId: 'y', count: 1, reason: 'no node with 768 MiB free among 1 eligible' }]);
  });

  it('spreads a deployment requested twice in one batch as one', () => {
    const nodes = [node({ id: 'a' }), node({ id: 'b' })];
    const result = place(nodes, [request({ count: 1 }), request({ count: 1 })]);
    expect(perNode(result)).toEqual({ a: 1, b: 1 });
  });

  it('fits float cpu exactly: ten 0.1 instances fill a 1-cpu node', () => {
    const result = place([node({ id: 'a', capacity: { cpu: 1, memoryMb: 10000 } })], [request({ count: 11, resources: { cpu: 0.1, memoryMb: 1 } })]);
    expect(result.placements).toHaveLength(10);
    expect(result.unplaced[0]).toMatchObject({ count: 1, reason: 'no node with 0.1 CPU free among 1 eligible' });
  });

  it('explains an instance no node can take, counting each rule', () => {
    const nodes = [
      node({ id: 'd1', status: 'down' }),
      node({ id: 'd2', status: 'down', labels: { zone: 'a' } }),
      node({ id: 'dr', status: 'draining' }),
      ...['g1', 'g2', 'g3', 'g4'].map((id) => node({ id, dedicatedTenantId: 'globex', labels: { zone: 'a' } })),
      ...['z1', 'z2', 'z3'].map((id) => node({ id, labels: { zone: 'b' } })),
    ];
    const result = place(nodes, [request({ count: 2, constraints: ['label.zone == a'] })]);
    expect(result).toEqual({
      placements: [],
      unplaced: [{ deploymentId: 'web', count: 2, reason: 'no eligible node: 2 down, 1 draining, 4 dedicated to another tenant, 3 not matching label.zone == a' }],
    });
  });

  it('keeps a dedicated tenant on its own nodes and others off them', () => {
    const nodes = [node({ id: 'shared' }), node({ id: 'mine', dedicatedTenantId: 'acme' }), node({ id: 'theirs', dedicatedTenantId: 'globex' })];
    const result = place(nodes, [
      request({ deploymentId: 'acme-web', tenantDedicated: true, count: 2 }),
      request({ deploymentId: 'initech-web', tenantId: 'initech', count: 2 }),
    ]);
    expect(result.placements).toEqual([
      { deploymentId: 'acme-web', nodeId: 'mine' },
      { deploymentId: 'acme-web', nodeId: 'mine' },
      { deploymentId: 'initech-web', nodeId: 'shared' },
      { deploymentId: 'initech-web', nodeId: 'shared' },
    ]);
    const onlyShared = place([node({ id: 'shared' })], [request({ tenantDedicated: true })]);
    expect(onlyShared.unplaced[0].reason).toBe('no eligible node: 1 not dedicated to this tenant');
  });

  it('says so when there are no nodes, or a constraint is malformed', () => {
    expect(place([], [request()]).unplaced[0].reason).toBe('no eligible node: no nodes in the cluster');
    expect(place([node({ id: 'a' })], [request({ constraints: ['zone=a'] })]).unplaced[0]).toEqual({
      deploymentId: 'web',
      count: 1,
      reason: 'invalid constraint "zone=a"',
    });
  });

  it('ignores requests for zero instances', () => {
    expect(place([node({ id: 'a' })], [request({ count: 0 })])).toEqual({ placements: [], unplaced: [] });
  });
});
