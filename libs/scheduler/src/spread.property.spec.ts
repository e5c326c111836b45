import fc from 'fast-check';
import { at, node, request } from '../test/factories';
import { instancesPerNode } from './instances';
import { place } from './place';
import { planRolloutStep } from './rollout';
import type { SchedulerDeployment, SchedulerInstance, SchedulerNode } from './types';

// A rollout driven the way an evaluation drives it (plan a step, save its stops, place its starts with spread
// against instancesPerNode, the world moves on) keeps a spread deployment spread: replicas ≤ nodes end one per node.

const RESOURCES = { cpu: 0.1, memoryMb: 64 };

/** The nodes with what their desired-running instances take, as the evaluation reads them under the placement lock. */
function nodesWith(ids: readonly string[], instances: readonly SchedulerInstance[]): SchedulerNode[] {
  return ids.map((id) => {
    const here = instances.filter((i) => i.nodeId === id && i.desired === 'running').length;
    return node({ id, allocated: { cpu: here * RESOURCES.cpu, memoryMb: here * RESOURCES.memoryMb } });
  });
}

/** One lifecycle step: pending → starting → healthy; a stopped instance exits (and is then forgotten). */
function advance(i: SchedulerInstance, now: Date): SchedulerInstance {
  if (i.desired === 'stopped') return { ...i, observed: 'exited', readySince: null };
  if (i.observed === 'pending') return { ...i, observed: 'starting' };
  if (i.observed === 'starting') return { ...i, observed: 'healthy', readySince: now };
  return i;
}

describe('rollout with spread placement', () => {
  it('ends with one instance per node when replicas ≤ nodes, whatever the surge, unavailability and timing', () => {
    const arb = fc.integer({ min: 1, max: 6 }).chain((nodeCount) => {
      const nodeIds = Array.from({ length: nodeCount }, (_, k) => `n${k + 1}`);
      return fc.record({
        nodeIds: fc.constant(nodeIds),
        oldNodes: fc.shuffledSubarray(nodeIds, { minLength: 1 }), // one old instance each: replicas = its length
        maxSurge: fc.integer({ min: 1, max: 3 }),
        maxUnavailable: fc.integer({ min: 0, max: 2 }),
        g: fc.gen(),
      });
    });
    fc.assert(
      fc.property(arb, ({ nodeIds, oldNodes, maxSurge, maxUnavailable, g }) => {
        const replicas = oldNodes.length;
        const deployment: SchedulerDeployment = {
          id: 'web', replicas, currentRevision: 2, paused: false, status: null,
          update: { maxSurge, maxUnavailable, minReadySeconds: 0, progressDeadlineSeconds: 600 },
        };
        let instances: SchedulerInstance[] = oldNodes.map((nodeId, k) => ({
          id: `old${k}`, revision: 1, nodeId, desired: 'running', observed: 'healthy', hasHealthCheck: true, readySince: at(-60), createdAt: at(-60 + k),
        }));
        let now = at(0);
        let status = deployment.status;
        let created = 0;
        for (let round = 0; round < 200; round++) {
          const step = planRolloutStep({ ...deployment, status }, instances, now);
          status = step.status;
          if (status.phase === 'complete' && step.start === 0 && step.stop.length === 0 && instances.every((i) => i.desired === 'running')) break;
          // Saved as an evaluation saves it: stops first, then placement against the nodes as they are now.
          instances = instances.map((i) => (step.stop.includes(i.id) ? { ...i, desired: 'stopped' } : i));
          if (step.start > 0) {
            const existingPerNode = instancesPerNode(instances, {}, deployment.currentRevision);
            const { placements } = place(nodesWith(nodeIds, instances), [request({ count: step.start, resources: RESOURCES, existingPerNode })]);
            for (const p of placements) {
              instances.push({ id: `new${created++}`, revision: 2, nodeId: p.nodeId, desired: 'running', observed: 'pending', hasHealthCheck: true, readySince: null, createdAt: now });
            }
          }
          now = new Date(now.getTime() + g(fc.integer, { min: 1, max: 3 }) * 1000);
          // Any instance may advance one lifecycle step; every third round all do (the rollout always ends).
          instances = instances.filter((i) => i.observed !== 'exited').map((i) => (round % 3 === 2 || g(fc.boolean) ? advance(i, now) : i));
        }
        expect(status?.phase).toBe('complete');
        expect(instances.every((i) => i.revision === 2 && i.desired === 'running')).toBe(true);
        expect(new Set(instances.map((i) => i.nodeId)).size).toBe(replicas);
      }),
    );
  });
});
