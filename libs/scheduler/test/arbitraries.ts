// fast-check generators and restated rules shared by the rollout and reconcile property tests.
import fc from 'fast-check';
import { resolveFenceposts } from '../src/rollout';
import type { SchedulerDeployment, SchedulerInstance, TaintedNodes } from '../src/types';
import { at } from './factories';

export const NODES = ['n1', 'n2', 'n3', 'nd'];
export const GONE = new Set(['exited', 'failed', 'lost']);

const intOrPercent = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 100 }).map((p) => `${p}%`));

export const deploymentArb: fc.Arbitrary<SchedulerDeployment> = fc.record({
  id: fc.constant('web'),
  replicas: fc.integer({ min: 0, max: 8 }),
  currentRevision: fc.constant(2),
  update: fc.record({
    maxSurge: intOrPercent,
    maxUnavailable: intOrPercent,
    minReadySeconds: fc.integer({ min: 0, max: 5 }),
    progressDeadlineSeconds: fc.constant(600),
  }),
  paused: fc.constant(false),
  status: fc.constant(null),
});

const instanceArb = (id: string): fc.Arbitrary<SchedulerInstance> =>
  fc.record({
    id: fc.constant(id),
    revision: fc.constantFrom(1, 2),
    nodeId: fc.constantFrom(null, ...NODES),
    desired: fc.constantFrom('running', 'running', 'stopped'),
    observed: fc.constantFrom('pending', 'starting', 'running', 'healthy', 'healthy', 'unhealthy', 'failed', 'exited', 'lost'),
    hasHealthCheck: fc.boolean(),
    readySince: fc.option(fc.integer({ min: 0, max: 10 }).map(at)),
    createdAt: fc.integer({ min: 0, max: 10 }).map(at),
  });

export const stateArb = fc.record({
  deployment: deploymentArb,
  instances: fc.integer({ min: 0, max: 14 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => instanceArb(`i${i}`)))),
  tainted: fc.dictionary(fc.constantFrom(...NODES), fc.constantFrom('down', 'draining', 'ineligible') as fc.Arbitrary<'down' | 'draining' | 'ineligible'>),
  now: fc.integer({ min: 0, max: 20 }).map(at),
});

/** Restated from the design: counts until lost (or on a down node), or stopped and gone (or never placed). */
export function occupies(i: SchedulerInstance, tainted: TaintedNodes): boolean {
  const onDownNode = i.nodeId !== null && tainted[i.nodeId] === 'down';
  if (onDownNode || i.observed === 'lost') return false;
  return i.desired === 'running' || (i.nodeId !== null && !GONE.has(i.observed));
}

export const limits = (d: SchedulerDeployment) => {
  const { maxSurge, maxUnavailable } = resolveFenceposts(d.update.maxSurge, d.update.maxUnavailable, d.replicas);
  return { maxTotal: d.replicas + maxSurge, minAvailable: Math.max(0, d.replicas - maxUnavailable) };
};

