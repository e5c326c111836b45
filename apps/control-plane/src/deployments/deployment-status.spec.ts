import { computeStatus, maxUnavailableCount, type StatusDeployment, type StatusInstance } from './deployment-status';

const now = new Date('2026-11-23T12:00:00Z');
const ago = (s: number) => new Date(now.getTime() - s * 1000);
const deployment = (over: Partial<StatusDeployment> = {}): StatusDeployment => ({
  replicas: 3,
  currentRevision: 2,
  paused: false,
  status: 'progressing',
  statusReason: null,
  progressAt: ago(10),
  updatedAt: ago(10),
  ...over,
});
const inst = (over: Partial<StatusInstance> = {}): StatusInstance => ({
  revision: 2,
  desired: 'running',
  observed: 'running',
  hasHealthCheck: false,
  readySince: ago(60),
  ...over,
});
const spec = { minReadySeconds: 5, maxUnavailable: 0 as number | string };

describe('computeStatus', () => {
  it('counts updated, ready and available from observed state', () => {
    const s = computeStatus(
      deployment(),
      spec,
      [
        inst(), // current, ready, available
        inst({ readySince: ago(1) }), // current, ready, not yet available
        inst({ observed: 'starting', readySince: null }), // current, not ready
        inst({ revision: 1 }), // old but ready and available
        inst({ desired: 'stopped' }), // being stopped: counts nowhere
      ],
      now,
    );
    expect(s).toMatchObject({ phase: 'progressing', desired: 3, updated: 3, ready: 3, available: 2 });
  });

  it('needs "healthy" when the revision has a probe; "running" is not ready then', () => {
    const s = computeStatus(deployment(), spec, [inst({ hasHealthCheck: true }), inst({ hasHealthCheck: true, observed: 'healthy' })], now);
    expect(s).toMatchObject({ ready: 1, available: 1 });
  });

  it('makes instances available at once when minReadySeconds is 0', () => {
    expect(computeStatus(deployment(), { ...spec, minReadySeconds: 0 }, [inst({ readySince: now })], now).available).toBe(1);
  });

  it('shows "paused" over the saved phase, and the saved phase otherwise', () => {
    expect(computeStatus(deployment({ paused: true, status: 'complete' }), spec, [], now).phase).toBe('paused');
    expect(computeStatus(deployment({ status: 'failed' }), spec, [], now).phase).toBe('failed');
  });

  it('reports Available against replicas − maxUnavailable', () => {
    const two = [inst(), inst()];
    const strict = computeStatus(deployment(), spec, two, now).conditions.find((c) => c.type === 'Available');
    expect(strict).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable' });
    const lenient = computeStatus(deployment(), { ...spec, maxUnavailable: 1 }, two, now).conditions.find((c) => c.type === 'Available');
    expect(lenient).toMatchObject({ status: 'True', message: '2 of 3 available (at least 2 required)' });
  });

  it('says why a rollout failed in the Progressing condition', () => {
    const c = computeStatus(deployment({ status: 'failed', statusReason: 'no progress for 120s' }), spec, [], now).conditions.find((x) => x.type === 'Progressing');
    expect(c).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded', message: 'no progress for 120s' });
  });
});

describe('maxUnavailableCount', () => {
  it.each([
    [0, 10, 0],
    [2, 10, 2],
    ['25%', 10, 2],
    ['39%', 10, 3],
    ['100%', 3, 3],
    ['10%', 5, 0],
  ])('%p of %p replicas → %p', (value, replicas, expected) => expect(maxUnavailableCount(value, replicas)).toBe(expected));
});
