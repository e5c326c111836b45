import fc from 'fast-check';
import { deploymentArb, limits, occupies, stateArb } from '../test/arbitraries';
import { T0, at, deployment, instance, instances } from '../test/factories';
import { reconcileDeployment } from './reconcile';
import type { SchedulerInstance, TaintedNodes } from './types';

const reconcile = (overrides: Partial<Parameters<typeof reconcileDeployment>[0]> = {}) =>
  reconcileDeployment({ deployment: deployment(), instances: [], tainted: {}, now: T0, ...overrides });

describe('reconcileDeployment', () => {
  it('places every replica of a new deployment at the current revision', () => {
    expect(reconcile()).toMatchObject({ place: [{ revision: 2, count: 3 }], stop: [], lost: [], retry: [], status: { phase: 'progressing', updated: 0 } });
  });

  it('does nothing once every replica runs', () => {
    expect(reconcile({ instances: instances(3, 'a') })).toMatchObject({ place: [], stop: [], lost: [], retry: [], status: { phase: 'complete' } });
  });

  it('marks instances on a down node lost and replaces them; once marked they no longer count, even if the node returns', () => {
    const all = [...instances(2, 'a', { nodeId: 'n2' }), instance({ id: 'gone', nodeId: 'n1' })];
    expect(reconcile({ instances: all, tainted: { n1: 'down' } })).toMatchObject({ place: [{ revision: 2, count: 1 }], stop: [], lost: ['gone'] });
    const marked = { ...all[2], desired: 'stopped' as const, observed: 'lost' as const };
    const replacement = instance({ id: 'b', nodeId: 'n2', observed: 'pending', readySince: null });
    expect(reconcile({ instances: [...all.slice(0, 2), marked, replacement] })).toMatchObject({ place: [], stop: [], lost: [] });
  });

  it.each(['draining', 'ineligible'] as const)('moves instances off a %s node without downtime: replacement first, stop once it is available', (taint) => {
    const tainted: TaintedNodes = { n1: taint };
    const all = [instance({ id: 'a', nodeId: 'n1' }), ...instances(2, 'b', { nodeId: 'n2' })];
    expect(reconcile({ instances: all, tainted })).toMatchObject({ place: [{ revision: 2, count: 1 }], stop: [], status: { outdated: 1 } });
    const starting = instance({ id: 'c', nodeId: 'n3', observed: 'starting', readySince: null });
    expect(reconcile({ instances: [...all, starting], tainted })).toMatchObject({ place: [], stop: [] });
    const ready = { ...starting, observed: 'healthy' as const, readySince: T0 };
    expect(reconcile({ instances: [...all, ready], tainted })).toMatchObject({ place: [], stop: ['a'] });
  });

  it('scales down unhealthy and newest first', () => {
    const all = [
      instance({ id: 'old', createdAt: at(0) }),
      instance({ id: 'new', createdAt: at(5) }),
      instance({ id: 'sick', observed: 'unhealthy', readySince: null }),
    ];
    expect(reconcile({ deployment: deployment({ replicas: 1 }), instances: all, now: at(10) })).toMatchObject({ place: [], stop: ['sick', 'new'] });
  });

  it('counts a stopping instance until it exits, so scaling back up waits within the surge', () => {
    const all = [instance({ id: 'a' }), ...instances(2, 'stopping', { desired: 'stopped' })];
    expect(reconcile({ instances: all }).place).toEqual([{ revision: 2, count: 1 }]);
    const exited = all.map((i) => (i.desired === 'stopped' ? { ...i, observed: 'exited' as const } : i));
    expect(reconcile({ instances: exited }).place).toEqual([{ revision: 2, count: 2 }]);
  });

  it('asks to place again current instances still without a node, unless it stops them', () => {
    const waiting = instances(2, 'w', { nodeId: null, observed: 'pending', readySince: null });
    expect(reconcile({ instances: [instance({ id: 'a' }), ...waiting] })).toMatchObject({ place: [], stop: [], retry: ['w1', 'w2'] });
    expect(reconcile({ deployment: deployment({ replicas: 2 }), instances: [instance({ id: 'a' }), ...waiting] })).toMatchObject({ stop: ['w1'], retry: ['w2'] });
  });

  it('rolls out a new revision through the planner, one step at a time', () => {
    expect(reconcile({ instances: instances(3, 'old', { revision: 1 }) })).toMatchObject({ place: [{ revision: 2, count: 1 }], stop: [] });
  });

  describe('paused', () => {
    const paused = (replicas: number) => deployment({ paused: true, replicas });
    const mid = [instance({ id: 'old1', revision: 1, nodeId: 'n1' }), instance({ id: 'old2', revision: 1, nodeId: 'n2' }), instance({ id: 'new1', nodeId: 'n2' })];

    it('leaves the revision mix alone', () => {
      expect(reconcile({ deployment: paused(3), instances: mid })).toMatchObject({ place: [], stop: [], status: { phase: 'paused', updated: 1, outdated: 2 } });
    });

    it('still replaces lost instances and follows scaling up, at the current revision within the surge', () => {
      expect(reconcile({ deployment: paused(3), instances: mid, tainted: { n1: 'down' } })).toMatchObject({ place: [{ revision: 2, count: 1 }], lost: ['old1'], stop: [] });
      expect(reconcile({ deployment: paused(6), instances: mid })).toMatchObject({ place: [{ revision: 2, count: 3 }] });
    });

    it('keeps the surge instance midway: paused with 3 old + 1 new of 3 replicas, nothing stops, ready or not', () => {
      const surged = [...instances(3, 'old', { revision: 1 }), instance({ id: 'new1', observed: 'starting', readySince: null })];
      expect(reconcile({ deployment: paused(3), instances: surged })).toMatchObject({ place: [], stop: [], status: { phase: 'paused' } });
      const ready = [...surged.slice(0, 3), instance({ id: 'new1' })];
      expect(reconcile({ deployment: paused(3), instances: ready })).toMatchObject({ place: [], stop: [] });
    });

    it('scales down outdated instances first, to replicas + maxSurge while the rollout is midway', () => {
      // old2 shares n2 with new1: stopping it leaves one instance on each node.
      expect(reconcile({ deployment: paused(1), instances: mid })).toMatchObject({ place: [], stop: ['old2'] });
      expect(reconcile({ deployment: paused(1), instances: mid.slice(1) })).toMatchObject({ place: [], stop: [] });
      // No rollout midway: plain scaling down to replicas.
      expect(reconcile({ deployment: paused(1), instances: instances(3, 'a') })).toMatchObject({ place: [], stop: ['a1', 'a2'] });
    });
  });
});

describe('reconcileDeployment properties', () => {
  const anyState = stateArb.chain((s) => fc.boolean().map((paused) => ({ ...s, deployment: { ...s.deployment, paused } })));

  it('never places past replicas + maxSurge, counting stopping instances; each instance in at most one bucket', () => {
    fc.assert(
      fc.property(anyState, ({ deployment: d, instances: all, tainted, now }) => {
        const result = reconcileDeployment({ deployment: d, instances: all, tainted, now });
        const placing = result.place.reduce((sum, p) => sum + p.count, 0);
        const active = all.filter((i) => occupies(i, tainted)).length;
        if (placing > 0) expect(active + placing).toBeLessThanOrEqual(limits(d).maxTotal);
        const ids = [...result.stop, ...result.lost, ...result.retry];
        expect(new Set(ids).size).toBe(ids.length);
        const byId = new Map(all.map((i) => [i.id, i]));
        for (const id of result.retry) expect((byId.get(id) as SchedulerInstance).nodeId).toBeNull();
        for (const id of result.lost) expect(occupies(byId.get(id) as SchedulerInstance, tainted)).toBe(false);
      }),
    );
  });

  it('decides the same whatever the order the instances are listed in', () => {
    fc.assert(
      fc.property(
        anyState.chain((s) => fc.tuple(fc.constant(s), fc.shuffledSubarray(s.instances, { minLength: s.instances.length }))),
        ([{ deployment: d, instances: all, tainted, now }, shuffled]) => {
          const a = reconcileDeployment({ deployment: d, instances: all, tainted, now });
          const b = reconcileDeployment({ deployment: d, instances: shuffled, tainted, now });
          expect({ ...b, lost: [...b.lost].sort(), retry: [...b.retry].sort() }).toEqual({ ...a, lost: [...a.lost].sort(), retry: [...a.retry].sort() });
        },
      ),
    );
  });

  it('with nothing in the way, one reconcile reaches `replicas` (places the shortfall or stops the surplus)', () => {
    fc.assert(
      fc.property(deploymentArb, fc.integer({ min: 0, max: 12 }), fc.boolean(), (d, have, paused) => {
        const result = reconcileDeployment({ deployment: { ...d, paused }, instances: instances(have, 'i'), tainted: {}, now: T0 });
        const placing = result.place.reduce((sum, p) => sum + p.count, 0);
        expect(have + placing - result.stop.length).toBe(d.replicas);
      }),
    );
  });
});
