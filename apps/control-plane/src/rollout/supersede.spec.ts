import { reconcileDeployment, type SchedulerDeployment, type SchedulerInstance } from '@oja/scheduler';

// Rollout controls as the evaluation worker drives them: whatever the deployment row says when an evaluation runs
// (a newer revision, another replica count, paused) is the target; what an earlier target started is simply
// instances of an older revision. The instances' phases here are what the two-phase stop leaves behind.

const T0 = new Date('2026-11-23T12:00:00Z');
const deployment = (over: Partial<SchedulerDeployment>): SchedulerDeployment => ({
  id: 'web', replicas: 3, currentRevision: 2, paused: false, status: null,
  update: { maxSurge: 1, maxUnavailable: 0, minReadySeconds: 0, progressDeadlineSeconds: 120 },
  ...over,
});
/** Healthy since T0 on node n1. */
const instance = (id: string, revision: number): SchedulerInstance => ({
  id, revision, nodeId: 'n1', desired: 'running', observed: 'healthy', hasHealthCheck: true, readySince: T0, createdAt: T0,
});
const reconcile = (d: Partial<SchedulerDeployment>, all: SchedulerInstance[]) =>
  reconcileDeployment({ deployment: deployment(d), instances: all, tainted: {}, now: T0 });

describe('the newest target supersedes a rollout in progress', () => {
  // Mid-rollout from revision 1 to 2: three old instances healthy, one revision-2 instance healthy (the surge).
  const midway = [instance('r1-1', 1), instance('r1-2', 1), instance('r1-3', 1), instance('r2-1', 2)];

  it('a newer apply (revision 3) rolls to revision 3: revision-2 instances are outdated like revision-1 ones', () => {
    const plan = reconcile({ currentRevision: 3 }, midway);
    expect(plan.status).toMatchObject({ revision: 3, updated: 0, outdated: 4, phase: 'progressing' });
    // Four instances for three replicas: the surge slot is taken, so an outdated one stops first.
    expect(plan.place).toEqual([]);
    expect(plan.stop).toHaveLength(1);
  });

  it('scaling down during a rollout stops surplus instances, outdated first, never the new revision first', () => {
    const plan = reconcile({ currentRevision: 2, replicas: 1 }, midway);
    expect(plan.stop).not.toContain('r2-1');
    expect(plan.stop.length).toBeGreaterThan(0);
  });

  it('a paused rollout starts no new revision but keeps the count, and stops nothing (the surge instance is no surplus)', () => {
    const plan = reconcile({ currentRevision: 3, paused: true }, midway);
    expect(plan.place).toEqual([]);
    expect(plan.stop).toEqual([]);
    expect(plan.status.phase).toBe('paused');
  });

  it('an instance out of the routes waiting to stop still counts: it holds its surge slot and is not stopped twice', () => {
    const leaving = { ...midway[0], desired: 'stopped' as const };
    const plan = reconcile({ currentRevision: 2 }, [leaving, ...midway.slice(1)]);
    expect(plan).toMatchObject({ stop: [], place: [] });
    // Once its agent reported it exited, the next revision-2 instance starts.
    const gone = { ...leaving, observed: 'exited' as const };
    expect(reconcile({ currentRevision: 2 }, [gone, ...midway.slice(1)]).place).toEqual([{ revision: 2, count: 1 }]);
  });
});
