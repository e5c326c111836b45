import type { InstanceRow, OverlayCluster, Tenant } from './overlay-cluster';
import { waitFor } from './processes';

/**
 * Scheduling checks in the lab that count the truth: containers in each host's dockerd, by oja labels. Shared by
 * scheduling.lab.ts and the failover bench (scheduling-failover.bench.ts).
 */

const RUNNING = new Set(['running', 'healthy']);

/** The oja.instance labels of the deployment's running containers on host N. */
export async function containersOn(cluster: OverlayCluster, n: number, tenant: Tenant, deployment: string): Promise<string[]> {
  const { stdout } = await cluster.lab.docker(n, [
    'ps', '--filter', `label=oja.tenant=${tenant.name}`, '--filter', `label=oja.deployment=${deployment}`, '--format', '{{.Label "oja.instance"}}',
  ]);
  return stdout.split('\n').filter(Boolean);
}

/** Running containers of the deployment on every host, by host number. */
export async function containersByHost(cluster: OverlayCluster, hosts: number, tenant: Tenant, deployment: string): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  for (let n = 1; n <= hosts; n++) out.set(n, await containersOn(cluster, n, tenant, deployment));
  return out;
}

/** Waits until exactly `replicas` containers of the deployment run, all on hosts other than `excluded`, none twice. */
export async function waitConverged(
  cluster: OverlayCluster, hosts: number, tenant: Tenant, deployment: string, replicas: number, excluded: number[] = [], timeoutMs = 120_000,
): Promise<Map<number, string[]>> {
  return waitFor(`${replicas} containers of ${deployment} off hosts [${excluded.join(', ')}]`, async () => {
    const byHost = await containersByHost(cluster, hosts, tenant, deployment);
    const all = [...byHost.values()].flat();
    const onExcluded = excluded.some((n) => (byHost.get(n) ?? []).length > 0);
    return all.length === replicas && new Set(all).size === replicas && !onExcluded ? byHost : undefined;
  }, timeoutMs);
}

export interface FailoverMeasurement {
  graceSeconds: number;
  replicas: number;
  /** Instances of the deployment on the partitioned host. */
  lost: number;
  /** From the cut to the node reported down by the API. */
  downSeconds: number;
  /** From the cut to `replicas` instances running (as their agents report) on the other hosts. */
  replacedSeconds: number;
}

/**
 * Cuts host `n` off the underlay and measures how long until the API shows it down and the deployment running at
 * full strength on the other hosts. The host stays cut: the caller heals it.
 */
export async function measurePartition(
  cluster: OverlayCluster, tenant: Tenant, deployment: string, replicas: number, n: number, graceSeconds: number,
): Promise<FailoverMeasurement> {
  const host = cluster.lab.hostName(n);
  const lost = (await cluster.instances(tenant, deployment)).filter((i) => i.node === host).length;
  const cutAt = Date.now();
  await cluster.lab.partition(n);
  let downSeconds: number | undefined;
  await waitFor(`${replicas} instances of ${deployment} running off ${host}`, async () => {
    if (downSeconds === undefined && (await cluster.node(n))?.status === 'down') downSeconds = (Date.now() - cutAt) / 1000;
    const running = (await cluster.instances(tenant, deployment)).filter((i: InstanceRow) => i.node !== host && RUNNING.has(i.state));
    return running.length === replicas;
  }, 180_000);
  const replacedSeconds = (Date.now() - cutAt) / 1000;
  return { graceSeconds, replicas, lost, downSeconds: downSeconds ?? replacedSeconds, replacedSeconds };
}
