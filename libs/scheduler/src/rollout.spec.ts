import { T0, at, deployment, instance, instances } from '../test/factories';
import { hasTimedOut, isComplete, planRolloutStep, resolveFenceposts, scaledValue, startCount } from './rollout';
import type { RolloutStatus } from './types';

describe('resolveFenceposts (Kubernetes deployment_util_test.go cases)', () => {
  it.each([
    // maxSurge, maxUnavailable, replicas → surge, unavailable
    ['25%', '25%', 10, 3, 2],
    ['39%', '39%', 10, 4, 3],
    ['10%', '10%', 1, 1, 0],
    ['0%', '10%', 5, 0, 1], // unavailable rounds down to 0, both 0 → 1
    [0, 0, 10, 0, 1],
    ['100%', '100%', 7, 7, 7],
    [1, 0, 3, 1, 0],
    [0, 2, 3, 0, 2],
    [5, '50%', 0, 5, 0],
    ['50%', '50%', 0, 0, 1],
  ] as const)('surge %j, unavailable %j, %d replicas → %d, %d', (surge, unavailable, replicas, maxSurge, maxUnavailable) => {
    expect(resolveFenceposts(surge, unavailable, replicas)).toEqual({ maxSurge, maxUnavailable });
  });
});

describe('scaledValue', () => {
  it.each([
    [3, 10, 'up', 3],
    ['1%', 100, 'down', 1],
    ['1%', 99, 'down', 0],
    ['1%', 99, 'up', 1],
    ['33%', 3, 'down', 0],
    ['34%', 3, 'down', 1],
    ['0%', 5, 'up', 0],
  ] as const)('%j of %d rounded %s → %d', (value, total, round, expected) => {
    expect(scaledValue(value, total, round)).toBe(expected);
  });

  it('refuses what is neither an int nor a percentage', () => {
    expect(() => scaledValue('3', 10, 'up')).toThrow('neither an integer nor a percentage');
  });
});

describe('startCount', () => {
  it.each([
    // shortfall, replicas, maxSurge, active → start
    [3, 3, 1, 3, 1], // 3 outdated running: one surge slot
    [3, 3, 1, 4, 0], // ... taken by a new instance or one still stopping
    [2, 3, 1, 2, 2], // after two stopped and exited
    [3, 3, 0, 3, 0],
    [-1, 3, 1, 4, 0], // scaled down: never negative
    [5, 5, 2, 0, 5], // fresh deployment
  ])('shortfall %d, replicas %d, surge %d, active %d → %d', (shortfall, replicas, surge, active, start) => {
    expect(startCount(shortfall, replicas, surge, active)).toBe(start);
  });
});

describe('isComplete', () => {
  it.each([
    [3, { updated: 3, available: 3, outdated: 0 }, true],
    [3, { updated: 3, available: 2, outdated: 0 }, false],
    [3, { updated: 3, available: 3, outdated: 1 }, false],
    [3, { updated: 2, available: 3, outdated: 1 }, false],
    [0, { updated: 0, available: 0, outdated: 0 }, true],
  ])('%d replicas, %j → %s', (replicas, counts, complete) => {
    expect(isComplete(replicas, counts)).toBe(complete);
  });
});

describe('hasTimedOut', () => {
  const status = (phase: RolloutStatus['phase'], progressAt: Date, completedAt: Date | null = null) => ({ phase, progressAt, completedAt });
  it.each([
    [status('progressing', T0), at(120), false], // exactly the deadline: not yet
    [status('progressing', T0), at(121), true],
    [status('failed', T0), at(1), true],
    [status('paused', T0), at(1000), false],
    [status('complete', T0, T0), at(1000), false],
    [status('progressing', T0, T0), at(1000), false], // completed once: a later repair never fails the rollout
  ])('%j at %s → %s', (s, now, timedOut) => {
    expect(hasTimedOut(120, s, now)).toBe(timedOut);
  });
});

describe('planRolloutStep', () => {
  const v1 = { revision: 1 };

  it('walks a 3-replica update with maxSurge 1, maxUnavailable 0 one step at a time', () => {
    const d = deployment();
    const old = instances(3, 'old', v1);
    // 1. Only a surge slot is free: start one new instance, stop nothing.
    expect(planRolloutStep(d, old, T0)).toMatchObject({ start: 1, stop: [], status: { phase: 'progressing', updated: 0, available: 3, outdated: 3 } });
    // 2. It is starting: nothing to do (4 = replicas + maxSurge).
    const starting = instance({ id: 'new1', observed: 'starting', readySince: null, createdAt: at(1) });
    expect(planRolloutStep(d, [...old, starting], at(2))).toMatchObject({ start: 0, stop: [] });
    // 3. It is healthy: one old instance may go.
    const healthy = { ...starting, observed: 'healthy' as const, readySince: at(3) };
    expect(planRolloutStep(d, [...old, healthy], at(4))).toMatchObject({ start: 0, stop: ['old1'] });
    // 4. old1 is stopping: it still takes a surge slot, so nothing starts yet.
    const stopping = { ...old[0], desired: 'stopped' as const };
    expect(planRolloutStep(d, [stopping, old[1], old[2], healthy], at(5))).toMatchObject({ start: 0, stop: [] });
    // 5. old1 exited: the next new instance starts.
    const exited = { ...stopping, observed: 'exited' as const };
    expect(planRolloutStep(d, [exited, old[1], old[2], healthy], at(6))).toMatchObject({ start: 1, stop: [], status: { updated: 1, outdated: 2 } });
  });

  it('waits minReadySeconds before counting a new instance available', () => {
    const d = deployment({ update: { maxSurge: 1, maxUnavailable: 0, minReadySeconds: 10, progressDeadlineSeconds: 120 } });
    const all = [...instances(3, 'old', v1), instance({ id: 'new1', readySince: at(0) })];
    expect(planRolloutStep(d, all, at(9)).stop).toEqual([]);
    expect(planRolloutStep(d, all, at(10)).stop).toEqual(['old1']);
  });

  it('with maxSurge 0 stops first, within maxUnavailable', () => {
    const d = deployment({ update: { maxSurge: 0, maxUnavailable: 1, minReadySeconds: 0, progressDeadlineSeconds: 120 } });
    expect(planRolloutStep(d, instances(3, 'old', v1), T0)).toMatchObject({ start: 0, stop: ['old1'] });
  });

  it('stops at most available - minAvailable old instances (the worked example: 10 replicas, surge 3, unavailable 2)', () => {
    const d = deployment({ replicas: 10, update: { maxSurge: 3, maxUnavailable: 2, minReadySeconds: 0, progressDeadlineSeconds: 120 } });
    const old = instances(10, 'old', v1);
    expect(planRolloutStep(d, old, T0)).toMatchObject({ start: 3, stop: ['old1', 'old10'] });
    const started = instances(3, 'new', { observed: 'starting', readySince: null });
    expect(planRolloutStep(d, [...old, ...started], T0)).toMatchObject({ start: 0, stop: ['old1', 'old10'] });
  });

  it('stops unavailable old instances before available ones, and older revisions first', () => {
    const d = deployment();
    const all = [
      instance({ id: 'a', revision: 1 }),
      instance({ id: 'b', revision: 0 }),
      instance({ id: 'c', revision: 1, observed: 'unhealthy', readySince: null }),
      instance({ id: 'n1' }),
    ];
    // available 3 (a, b, n1) = minAvailable: only the unhealthy one may go.
    expect(planRolloutStep(d, all, T0).stop).toEqual(['c']);
    const d2 = deployment({ update: { maxSurge: 1, maxUnavailable: 1, minReadySeconds: 0, progressDeadlineSeconds: 120 } });
    expect(planRolloutStep(d2, all, T0).stop).toEqual(['c', 'b']);
  });

  it('stops the old instance sharing a node with the surge instance first, so the spread holds (Kubernetes ranks doubled-up pods)', () => {
    const d = deployment();
    const old = [
      instance({ id: 'old-a', revision: 1, nodeId: 'n1', readySince: at(-30) }),
      instance({ id: 'old-b', revision: 1, nodeId: 'n2', readySince: at(-10) }), // ready the shortest: first without the rank
      instance({ id: 'old-c', revision: 1, nodeId: 'n3', readySince: at(-20) }),
    ];
    const surge = instance({ id: 'new1', nodeId: 'n1', readySince: at(1), createdAt: at(1) });
    expect(planRolloutStep(d, [...old, surge], at(2)).stop).toEqual(['old-a']);
    expect(planRolloutStep(d, [...old, { ...surge, nodeId: 'n3' }], at(2)).stop).toEqual(['old-c']);
    // Scaling down current instances: one from the node holding two, not y (the newest, first without the rank).
    const current = [instance({ id: 'x', nodeId: 'n1' }), instance({ id: 'y', nodeId: 'n2', createdAt: at(5) }), instance({ id: 'z', nodeId: 'n1' })];
    expect(planRolloutStep(deployment({ replicas: 2 }), current, at(10)).stop).toEqual(['x']);
  });

  it('scales down the least useful current instances first: no node, not started, unhealthy, newest', () => {
    const d = deployment({ replicas: 1 });
    const all = [
      instance({ id: 'oldest', createdAt: at(0) }),
      instance({ id: 'newest', createdAt: at(9) }),
      instance({ id: 'sick', observed: 'unhealthy', readySince: null }),
      instance({ id: 'waiting', nodeId: null, observed: 'pending', readySince: null }),
      instance({ id: 'pulling', observed: 'starting', readySince: null }),
    ];
    expect(planRolloutStep(d, all, at(10))).toMatchObject({ start: 0, stop: ['waiting', 'pulling', 'sick', 'newest'] });
  });

  it('starts replacements for lost instances and ignores gone ones', () => {
    const d = deployment();
    const all = [
      instance({ id: 'a' }),
      instance({ id: 'lost', observed: 'lost' }),
      instance({ id: 'onDown', nodeId: 'dead' }),
      instance({ id: 'done', desired: 'stopped', observed: 'exited' }),
    ];
    expect(planRolloutStep(d, all, T0, { dead: 'down' })).toMatchObject({ start: 2, stop: [], status: { updated: 1 } });
  });

  it('moves instances off a draining node: replacement first, then the old one once it is available', () => {
    const d = deployment({ replicas: 2 });
    const tainted = { n1: 'draining' as const };
    const onDraining = [instance({ id: 'a', nodeId: 'n1' }), instance({ id: 'b', nodeId: 'n2' })];
    expect(planRolloutStep(d, onDraining, T0, tainted)).toMatchObject({ start: 1, stop: [], status: { outdated: 1, updated: 1 } });
    const moved = [...onDraining, instance({ id: 'c', nodeId: 'n3', observed: 'starting', readySince: null })];
    expect(planRolloutStep(d, moved, T0, tainted).stop).toEqual([]);
    moved[2] = { ...moved[2], observed: 'healthy', readySince: T0 };
    expect(planRolloutStep(d, moved, T0, tainted).stop).toEqual(['a']);
  });

  it('takes no step while paused', () => {
    const step = planRolloutStep(deployment({ paused: true }), instances(3, 'old', v1), T0);
    expect(step).toMatchObject({ start: 0, stop: [], status: { phase: 'paused' } });
  });

  describe('status', () => {
    const d = deployment();
    const old = instances(3, 'old', v1);
    const previous = (overrides: Partial<RolloutStatus>): RolloutStatus => ({
      revision: 2, phase: 'progressing', updated: 0, ready: 0, available: 3, outdated: 3, progressAt: T0, completedAt: null, reason: '', ...overrides,
    });

    it('starts the progress clock on a new revision, and fails after progressDeadlineSeconds without progress', () => {
      expect(planRolloutStep(deployment({ status: previous({ revision: 1, phase: 'complete', completedAt: T0 }) }), old, at(500)).status)
        .toMatchObject({ phase: 'progressing', progressAt: at(500), completedAt: null });
      expect(planRolloutStep(deployment({ status: previous({}) }), old, at(120)).status).toMatchObject({ phase: 'progressing', progressAt: T0 });
      const failed = planRolloutStep(deployment({ status: previous({}) }), old, at(121)).status;
      expect(failed).toMatchObject({ phase: 'failed', progressAt: T0 });
      expect(failed.reason).toBe('no progress for 120s: 0 of 3 updated to revision 2, 3 available, 3 outdated');
    });

    it('counts progress (more updated, ready or available, fewer outdated) and un-fails on it', () => {
      const withNew = [...old, instance({ id: 'n1', observed: 'starting', readySince: null })];
      expect(planRolloutStep(deployment({ status: previous({ phase: 'failed' }) }), withNew, at(500)).status)
        .toMatchObject({ phase: 'progressing', progressAt: at(500), updated: 1, ready: 0 });
      expect(planRolloutStep(deployment({ status: previous({ phase: 'failed' }) }), old, at(500)).status.phase).toBe('failed');
    });

    it('is complete once every replica is updated and available; a later loss is repaired, never failed', () => {
      const done = instances(3, 'n');
      const complete = planRolloutStep(d, done, T0).status;
      expect(complete).toMatchObject({ phase: 'complete', updated: 3, ready: 3, available: 3, outdated: 0, completedAt: T0 });
      expect(complete.reason).toBe('revision 2: 3 of 3 available');
      const degraded = planRolloutStep(deployment({ status: complete }), done.slice(0, 2), at(1));
      expect(degraded).toMatchObject({ start: 1, status: { phase: 'progressing', completedAt: T0 } });
      const later = planRolloutStep(deployment({ status: degraded.status }), done.slice(0, 2), at(1000));
      expect(later.status).toMatchObject({ phase: 'progressing', completedAt: T0 });
    });

    it('restarts the clock when resumed', () => {
      const resumed = planRolloutStep(deployment({ status: previous({ phase: 'paused' }) }), old, at(900)).status;
      expect(resumed).toMatchObject({ phase: 'progressing', progressAt: at(900) });
    });

    it('counts ready as running when the revision has no probe', () => {
      const unprobed = instances(3, 'n', { observed: 'running', hasHealthCheck: false });
      const probed = instances(3, 'n', { observed: 'running', hasHealthCheck: true });
      expect(planRolloutStep(d, unprobed, T0).status).toMatchObject({ ready: 3, available: 3, phase: 'complete' });
      expect(planRolloutStep(d, probed, T0).status).toMatchObject({ ready: 0, available: 0, phase: 'progressing' });
    });
  });
});
