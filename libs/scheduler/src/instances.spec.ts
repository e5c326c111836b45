import { T0, at, instance } from '../test/factories';
import { classifyInstances, instancesPerNode, isAvailable, isLost, isReady, readySinceAfter } from './instances';
import type { SchedulerInstance } from './types';

describe('isReady / isAvailable', () => {
  it.each([
    // observed, has probe, desired, ready
    ['healthy', true, 'running', true],
    ['running', true, 'running', false],
    ['running', false, 'running', true],
    ['unhealthy', true, 'running', false],
    ['starting', false, 'running', false],
    ['healthy', true, 'stopped', false], // being drained: no longer serves
  ] as const)('%s, probe %s, desired %s → ready %s', (observed, hasHealthCheck, desired, ready) => {
    expect(isReady(instance({ id: 'i', observed, hasHealthCheck, desired }))).toBe(ready);
  });

  it.each([
    // readySince (s), minReadySeconds, now (s), available
    [0, 0, 0, true],
    [0, 5, 4, false],
    [0, 5, 5, true],
    [null, 0, 0, true],
    [null, 5, 100, false],
  ])('ready since %s, minReady %d, at %d → %s', (since, minReady, now, available) => {
    const i = instance({ id: 'i', readySince: since === null ? null : at(since) });
    expect(isAvailable(i, minReady, at(now))).toBe(available);
  });
});

describe('readySinceAfter', () => {
  it('keeps the time while ready, starts it when it becomes ready, clears it otherwise', () => {
    expect(readySinceAfter(instance({ id: 'i', readySince: T0 }), at(9))).toEqual(T0);
    expect(readySinceAfter(instance({ id: 'i', readySince: null }), at(9))).toEqual(at(9));
    expect(readySinceAfter(instance({ id: 'i', observed: 'unhealthy', readySince: T0 }), at(9))).toBeNull();
  });
});

describe('isLost / classifyInstances', () => {
  const down = { n9: 'down' as const };
  it.each([
    // overrides, lost
    [{ nodeId: 'n9' }, true],
    [{ nodeId: 'n9', observed: 'failed' }, true],
    [{ nodeId: 'n9', desired: 'stopped', observed: 'exited' }, false],
    [{ nodeId: 'n9', desired: 'stopped', observed: 'healthy' }, true],
    [{ observed: 'lost' }, true],
    [{ nodeId: null, observed: 'pending' }, false],
    [{}, false],
  ] as const)('%j → %s', (overrides, lost) => {
    expect(isLost(instance({ id: 'i', ...(overrides as Partial<SchedulerInstance>) }), down)).toBe(lost);
  });

  it('sorts instances into current, outdated, stopping and lost-to-mark', () => {
    const all = [
      instance({ id: 'cur' }),
      instance({ id: 'waiting', nodeId: null, observed: 'pending' }),
      instance({ id: 'oldRev', revision: 1 }),
      instance({ id: 'draining', nodeId: 'n2' }),
      instance({ id: 'stopping', desired: 'stopped' }),
      instance({ id: 'stopped', desired: 'stopped', observed: 'exited' }),
      instance({ id: 'neverPlaced', desired: 'stopped', nodeId: null, observed: 'pending' }),
      instance({ id: 'onDown', nodeId: 'n9' }),
      instance({ id: 'marked', desired: 'stopped', observed: 'lost' }),
    ];
    const classes = classifyInstances({ currentRevision: 2 }, all, { n2: 'draining', n9: 'down' });
    const ids = (list: SchedulerInstance[]) => list.map((i) => i.id);
    expect({
      current: ids(classes.current),
      outdated: ids(classes.outdated),
      stopping: ids(classes.stopping),
      lost: ids(classes.lost),
    }).toEqual({ current: ['cur', 'waiting'], outdated: ['oldRev', 'draining'], stopping: ['stopping'], lost: ['onDown'] });
  });
});

describe('instancesPerNode', () => {
  it("counts the revision's placed, desired running, not lost instances per node", () => {
    const all = [
      instance({ id: 'a', nodeId: 'n1' }),
      instance({ id: 'b', nodeId: 'n1', observed: 'starting' }),
      instance({ id: 'c', nodeId: 'n2' }),
      instance({ id: 'd', nodeId: 'n2', desired: 'stopped' }),
      instance({ id: 'e', nodeId: null }),
      instance({ id: 'f', nodeId: 'n9' }),
      instance({ id: 'g', nodeId: 'n3', revision: 1 }),
    ];
    expect(instancesPerNode(all, { n9: 'down' }, 2)).toEqual({ n1: 2, n2: 1 });
    expect(instancesPerNode(all, {}, 1)).toEqual({ n3: 1 });
  });
});
