import { deploymentSpec } from '@oja/contracts';
import {
  assignPlacements,
  parseRolloutStatus,
  placementRequest,
  toSchedulerInstance,
  toSchedulerNode,
  type InstanceRow,
} from './evaluation-plan';

describe('evaluation plan glue', () => {
  it('maps node rows with their allocation', () => {
    expect(
      toSchedulerNode({
        id: 'n1', name: 'a', status: 'draining', capacityCpu: 2, capacityMemoryMb: 512, labels: { zone: 'a' }, dedicatedTenantId: null,
        allocatedCpu: 0.5, allocatedMemoryMb: 128,
      }),
    ).toEqual({ id: 'n1', name: 'a', status: 'draining', capacity: { cpu: 2, memoryMb: 512 }, allocated: { cpu: 0.5, memoryMb: 128 }, labels: { zone: 'a' }, dedicatedTenantId: null });
  });

  describe('toSchedulerInstance', () => {
    const row = (over: Partial<InstanceRow>): InstanceRow => ({
      id: 'i', revision: 1, nodeId: 'n', desired: 'running', observed: 'running', observedAt: new Date('2026-01-01T00:00:00Z'), createdAt: new Date('2025-12-31T00:00:00Z'), stopRequestedAt: null, ...over,
    });

    it('counts an instance that left the routes to be stopped as stopping, not ready', () => {
      const leaving = toSchedulerInstance(row({ observed: 'healthy', stopRequestedAt: new Date('2026-01-01T00:00:01Z') }), true);
      expect(leaving).toMatchObject({ desired: 'stopped', readySince: null });
    });

    it('is ready since its last state change when running without a probe, or healthy with one', () => {
      expect(toSchedulerInstance(row({}), false).readySince).toEqual(new Date('2026-01-01T00:00:00Z'));
      expect(toSchedulerInstance(row({ observed: 'healthy' }), true).readySince).toEqual(new Date('2026-01-01T00:00:00Z'));
    });

    it('is not ready when running but probed, stopped, or not up', () => {
      expect(toSchedulerInstance(row({}), true).readySince).toBeNull();
      expect(toSchedulerInstance(row({ desired: 'stopped' }), false).readySince).toBeNull();
      expect(toSchedulerInstance(row({ observed: 'starting' }), false).readySince).toBeNull();
    });
  });

  it('builds a placement request from the current spec and what already runs per node', () => {
    const spec = deploymentSpec.parse({ name: 'w', image: 'busybox:1', replicas: 3, resources: { cpu: 0.5, memoryMb: 64 }, placement: { strategy: 'binpack', constraints: ['label.zone == a'] } });
    const req = placementRequest({ id: 'd', tenantId: 't', tenantDedicated: true }, spec, 2, { a: 2, b: 1 });
    expect(req).toEqual({
      deploymentId: 'd', tenantId: 't', tenantDedicated: true, count: 2, resources: { cpu: 0.5, memoryMb: 64 }, strategy: 'binpack',
      constraints: ['label.zone == a'], existingPerNode: { a: 2, b: 1 },
    });
  });

  it('gives placements to waiting instances first, then to new ones', () => {
    const placements = [{ deploymentId: 'd', nodeId: 'n1' }, { deploymentId: 'd', nodeId: 'n2' }, { deploymentId: 'd', nodeId: 'n3' }];
    expect(assignPlacements(placements, ['w1'])).toEqual({ placedRetries: [{ id: 'w1', nodeId: 'n1' }], newOnNodes: ['n2', 'n3'], stillWaiting: [] });
    expect(assignPlacements(placements.slice(0, 1), ['w1', 'w2'])).toEqual({ placedRetries: [{ id: 'w1', nodeId: 'n1' }], newOnNodes: [], stillWaiting: ['w2'] });
    expect(assignPlacements([], [])).toEqual({ placedRetries: [], newOnNodes: [], stillWaiting: [] });
  });

  it('reads a saved rollout status back with dates', () => {
    const saved = JSON.parse(JSON.stringify({ revision: 2, phase: 'progressing', updated: 1, ready: 1, available: 0, outdated: 2, progressAt: new Date('2026-01-01T00:00:00Z'), completedAt: null, reason: 'x' }));
    expect(parseRolloutStatus(saved)).toEqual({ revision: 2, phase: 'progressing', updated: 1, ready: 1, available: 0, outdated: 2, progressAt: new Date('2026-01-01T00:00:00Z'), completedAt: null, reason: 'x' });
    expect(parseRolloutStatus(null)).toBeNull();
  });
});
