// Fixture factories for the scheduler's unit tests (as Nomad's mock.Node()): defaults plus overrides.
import type { PlacementRequest, SchedulerDeployment, SchedulerInstance, SchedulerNode } from '../src/types';

export function node(overrides: Partial<SchedulerNode> & { id: string }): SchedulerNode {
  return {
    name: overrides.id,
    status: 'ready',
    capacity: { cpu: 4, memoryMb: 4096 },
    allocated: { cpu: 0, memoryMb: 0 },
    labels: {},
    dedicatedTenantId: null,
    ...overrides,
  };
}

export function request(overrides: Partial<PlacementRequest> = {}): PlacementRequest {
  return {
    deploymentId: 'web',
    tenantId: 'acme',
    tenantDedicated: false,
    count: 1,
    resources: { cpu: 0.5, memoryMb: 512 },
    strategy: 'spread',
    constraints: [],
    existingPerNode: {},
    ...overrides,
  };
}

export const T0 = new Date('2026-11-23T12:00:00Z');

export function at(seconds: number): Date {
  return new Date(T0.getTime() + seconds * 1000);
}

export function deployment(overrides: Partial<SchedulerDeployment> = {}): SchedulerDeployment {
  return {
    id: 'web',
    replicas: 3,
    currentRevision: 2,
    update: { maxSurge: 1, maxUnavailable: 0, minReadySeconds: 0, progressDeadlineSeconds: 120 },
    paused: false,
    status: null,
    ...overrides,
  };
}

/** An instance that has been healthy since T0 on node n1 unless overridden. */
export function instance(overrides: Partial<SchedulerInstance> & { id: string }): SchedulerInstance {
  return {
    revision: 2,
    nodeId: 'n1',
    desired: 'running',
    observed: 'healthy',
    hasHealthCheck: true,
    readySince: T0,
    createdAt: T0,
    ...overrides,
  };
}

/** n instances named `${prefix}1..n` with the same overrides. */
export function instances(n: number, prefix: string, overrides: Partial<SchedulerInstance> = {}): SchedulerInstance[] {
  return Array.from({ length: n }, (_, k) => instance({ id: `${prefix}${k + 1}`, ...overrides }));
}
