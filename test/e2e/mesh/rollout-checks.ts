import type { DeploymentView, InstanceView } from '@oja/contracts';
import { waitFor } from '../../support/fake-agent';
import { get, type LoadReport } from './load';

/** Calls the REST API as the deployment's tenant; rejects on a status ≥ 300. */
export type TenantApi = (method: string, path: string, body?: unknown) => Promise<any>;

/** The rollout to `revision` is complete: `replicas` healthy instances, all of that revision, nothing else left. */
export async function rolledOutTo(api: TenantApi, name: string, revision: number, replicas: number, timeoutMs: number): Promise<void> {
  let last = '';
  await waitFor(
    async () => {
      const [d, instances] = await Promise.all([
        api('GET', `/v1/deployments/${name}`) as Promise<DeploymentView>,
        api('GET', `/v1/deployments/${name}/instances`) as Promise<{ items: InstanceView[] }>,
      ]);
      last = `${d.status.phase} r${d.revision}: ${JSON.stringify(instances.items.map((i) => [i.revision, i.state, i.node]))}`;
      return (
        d.revision === revision && d.status.phase === 'complete' && instances.items.length === replicas &&
        instances.items.every((i) => i.revision === revision && i.state === 'healthy')
      );
    },
    `rollout of ${name} to revision ${revision}`,
    timeoutMs,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; last seen: ${last}`);
  });
}

/** The mesh at host:port answers `body` on 20 requests in a row (the routes reached its HAProxy). */
export async function meshAnswers(host: string, port: number, body: string, timeoutMs: number): Promise<void> {
  let streak = 0;
  await waitFor(
    async () => {
      const res = await get(host, port, 2000);
      streak = res.status === 200 && res.body === body ? streak + 1 : 0;
      return streak >= 20;
    },
    `the mesh on ${host}:${port} answering "${body}"`,
    timeoutMs,
  );
}

export function expectNoFailure(report: LoadReport): void {
  expect({ failed: report.failed, badStatus: report.badStatus, errors: report.errors }).toEqual({ failed: 0, badStatus: {}, errors: {} });
  expect(report.ok).toBeGreaterThan(0);
}
