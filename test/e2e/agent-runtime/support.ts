import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { DOCKER_API_VERSION, DockerRuntime } from '../../../apps/agent/src/runtime/docker-runtime';
import { LABEL } from '../../../apps/agent/src/runtime/runtime';
import { AgentMetrics } from '../../../apps/agent/src/metrics/agent-metrics';
import { Reconciler, type ReconcilerOptions } from '../../../apps/agent/src/reconcile/reconciler';
import type { InstanceStatusReport } from '../../../apps/agent/src/reconcile/types';

export { waitFor } from '../../support/fake-agent';
export { desiredInstance } from '../../../apps/agent/src/reconcile/fixtures';

/** The engine the tests (and the runtime under test) talk to: DOCKER_HOST or /var/run/docker.sock. */
export const docker = new Docker({ version: DOCKER_API_VERSION });

/** A node name of its own per test file, so concurrent runs never see each other's containers. */
export function uniqueNode(prefix: string): string {
  return `e2e-${prefix}-${randomBytes(4).toString('hex')}`;
}

export async function nodeContainers(node: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`${LABEL.node}=${node}`] } });
}

/** Removes every container the node's reconcilers created (afterAll, whether or not the tests passed). */
export async function removeNodeContainers(node: string): Promise<void> {
  for (const c of await nodeContainers(node)) {
    await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  }
}

export interface RunningReconciler {
  reconciler: Reconciler;
  runtime: DockerRuntime;
  metrics: AgentMetrics;
  /** Every status report so far, in order. */
  reports: InstanceStatusReport[];
  report(id: string): InstanceStatusReport | undefined;
}

export interface NodeUnderTest {
  node: string;
  /** Set in beforeAll. */
  agent: RunningReconciler;
}

/**
 * For a test file: a node name of its own and a Reconciler started in beforeAll; afterAll stops it and
 * removes every container of the node, whether or not the tests passed.
 */
export function nodeUnderTest(prefix: string, extra: Partial<ReconcilerOptions> = {}): NodeUnderTest {
  const ctx = { node: uniqueNode(prefix) } as NodeUnderTest;
  beforeAll(async () => {
    ctx.agent = await startReconciler(ctx.node, extra);
  });
  afterAll(async () => {
    await ctx.agent?.reconciler.stop();
    await removeNodeContainers(ctx.node);
  });
  return ctx;
}

/** A started Reconciler over the real engine, as the agent wires it (resync shortened for the tests). */
export async function startReconciler(node: string, extra: Partial<ReconcilerOptions> = {}): Promise<RunningReconciler> {
  const metrics = new AgentMetrics();
  const runtime = new DockerRuntime(docker, metrics);
  const reconciler = new Reconciler({ runtime, node, metrics, resyncIntervalMs: 1000, ...extra });
  const reports: InstanceStatusReport[] = [];
  reconciler.onStatus((r) => reports.push(r));
  await reconciler.start();
  return { reconciler, runtime, metrics, reports, report: (id) => reconciler.observed().find((r) => r.id === id) };
}
