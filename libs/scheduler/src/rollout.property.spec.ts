import fc from 'fast-check';
import { GONE, NODES, deploymentArb, limits, occupies, stateArb } from '../test/arbitraries';
import { at } from '../test/factories';
import { isAvailable } from './instances';
import { planRolloutStep } from './rollout';
import type { SchedulerInstance, TaintedNodes } from './types';

// Safety and liveness of the rollout planner over random deployments, instance mixes and tainted nodes.

describe('planRolloutStep properties', () => {
  it('never starts past replicas + maxSurge, counting instances still stopping', () => {
    fc.assert(
      fc.property(stateArb, ({ deployment, instances, tainted, now }) => {
        const step = planRolloutStep(deployment, instances, now, tainted);
        const active = instances.filter((i) => occupies(i, tainted)).length;
        if (step.start > 0) expect(active + step.start).toBeLessThanOrEqual(limits(deployment).maxTotal);
      }),
    );
  });

  it('never plans availability below replicas - maxUnavailable (or below what there was)', () => {
    fc.assert(
      fc.property(stateArb, ({ deployment, instances, tainted, now }) => {
        const step = planRolloutStep(deployment, instances, now, tainted);
        const available = (i: SchedulerInstance) => occupies(i, tainted) && isAvailable(i, deployment.update.minReadySeconds, now);
        const before = instances.filter(available).length;
        const after = instances.filter((i) => available(i) && !step.stop.includes(i.id)).length;
        expect(after).toBeGreaterThanOrEqual(Math.min(before, limits(deployment).minAvailable));
      }),
    );
  });

  it('stops only instances desired running and still there, each once', () => {
    fc.assert(
      fc.property(stateArb, ({ deployment, instances, tainted, now }) => {
        const { stop } = planRolloutStep(deployment, instances, now, tainted);
        expect(new Set(stop).size).toBe(stop.length);
        const byId = new Map(instances.map((i) => [i.id, i]));
        for (const id of stop) {
          const i = byId.get(id) as SchedulerInstance;
          expect(i.desired).toBe('running');
          expect(occupies(i, tainted)).toBe(true);
        }
      }),
    );
  });

  it('converges, one saved step at a time, to exactly `replicas` available instances of the new revision off tainted nodes', () => {
    const startArb = fc.record({
      deployment: deploymentArb,
      old: fc.array(fc.record({ revision: fc.constantFrom(1, 2), nodeId: fc.constantFrom('n1', 'nd') }), { maxLength: 8 }),
      g: fc.gen(),
    });
    fc.assert(
      fc.property(startArb, ({ deployment, old, g }) => {
        const tainted: TaintedNodes = { nd: 'draining' };
        const { maxTotal, minAvailable } = limits(deployment);
        let instances: SchedulerInstance[] = old.map((o, k) => ({
          id: `old${k}`, ...o, desired: 'running', observed: 'healthy', hasHealthCheck: true, readySince: at(-60), createdAt: at(-60),
        }));
        let now = at(0);
        let status = deployment.status;
        let created = 0;
        for (let round = 0; round < 300; round++) {
          const d = { ...deployment, status };
          const step = planRolloutStep(d, instances, now, tainted);
          status = step.status;
          const settled = step.start === 0 && step.stop.length === 0 && instances.every((i) => i.desired === 'running');
          if (step.status.phase === 'complete' && settled) break;
          // Save the step: stops become desired stopped, starts new pending instances on usable nodes.
          const active = instances.filter((i) => occupies(i, tainted)).length;
          if (active <= maxTotal) expect(active + step.start).toBeLessThanOrEqual(maxTotal);
          instances = instances.map((i) => (step.stop.includes(i.id) ? { ...i, desired: 'stopped' } : i));
          for (let k = 0; k < step.start; k++) {
            instances.push({ id: `new${created++}`, revision: 2, nodeId: NODES[k % 3], desired: 'running', observed: 'pending', hasHealthCheck: true, readySince: null, createdAt: now });
          }
          // The world moves on: any instance may advance one lifecycle step, time by 1-3 s.
          now = new Date(now.getTime() + g(fc.integer, { min: 1, max: 3 }) * 1000);
          instances = instances.map((i) => (g(fc.boolean) ? advance(i, now) : i)).filter((i) => !GONE.has(i.observed));
          const available = instances.filter((i) => i.desired === 'running' && isAvailable(i, deployment.update.minReadySeconds, now)).length;
          if (instances.length >= deployment.replicas) expect(available).toBeGreaterThanOrEqual(Math.min(minAvailable, old.length));
        }
        expect(status?.phase).toBe('complete');
        const running = instances.filter((i) => i.desired === 'running');
        expect(running).toHaveLength(deployment.replicas);
        expect(instances).toHaveLength(deployment.replicas); // nothing left stopping
        for (const i of running) {
          expect(i.revision).toBe(2);
          expect(i.nodeId).not.toBe('nd');
        }
      }),
    );
  });
});

/** One lifecycle step: pending → starting → healthy; a stopped instance exits. */
function advance(i: SchedulerInstance, now: Date): SchedulerInstance {
  if (i.desired === 'stopped') return { ...i, observed: 'exited', readySince: null };
  if (i.observed === 'pending') return { ...i, observed: 'starting' };
  if (i.observed === 'starting') return { ...i, observed: 'healthy', readySince: now };
  return i;
}
