import type Docker from 'dockerode';
import { Counter, Gauge, type Registry } from 'prom-client';
import { LABEL } from '../runtime/runtime';

/** One running container's resource use, tagged with its deployment (labels stay per deployment: bounded). */
export interface ContainerUsage {
  tenant: string;
  deployment: string;
  /** CPU time used since the container started. */
  cpuSeconds: number;
  /** Memory in use, page cache that can be dropped excluded (as `docker stats` shows it). */
  memoryBytes: number;
}

export type UsageSource = () => Promise<ContainerUsage[]>;

/** Sums container usage per tenant and deployment. */
export function usageByDeployment(samples: readonly ContainerUsage[]): ContainerUsage[] {
  const sums = new Map<string, ContainerUsage>();
  for (const s of samples) {
    const key = `${s.tenant}\u0000${s.deployment}`;
    const sum = sums.get(key) ?? { tenant: s.tenant, deployment: s.deployment, cpuSeconds: 0, memoryBytes: 0 };
    sum.cpuSeconds += s.cpuSeconds;
    sum.memoryBytes += s.memoryBytes;
    sums.set(key, sum);
  }
  return [...sums.values()];
}

/** Docker's one-shot stats (API ≥ 1.41) of the running containers this node owns. */
export function dockerUsage(docker: Docker, node: string): UsageSource {
  return async () => {
    const containers = await docker.listContainers({ filters: { label: [`${LABEL.node}=${node}`], status: ['running'] } });
    const samples = await Promise.all(
      containers.map(async (c): Promise<ContainerUsage | null> => {
        // A container gone between the list and its stats is simply not counted.
        const stats = await docker
          .getContainer(c.Id)
          .stats({ stream: false, 'one-shot': true })
          .catch(() => null);
        if (!stats) return null;
        const memory = stats.memory_stats ?? {};
        const inactive = memory.stats?.inactive_file ?? memory.stats?.total_inactive_file ?? memory.stats?.cache ?? 0;
        return {
          tenant: c.Labels[LABEL.tenant] ?? '',
          deployment: c.Labels[LABEL.deployment] ?? '',
          cpuSeconds: (stats.cpu_stats?.cpu_usage?.total_usage ?? 0) / 1e9,
          memoryBytes: Math.max(0, (memory.usage ?? 0) - inactive),
        };
      }),
    );
    return samples.filter((s): s is ContainerUsage => s !== null);
  };
}

/** Docker stats are slow to gather (one request per container): scrapes within this window share a sample. */
export const USAGE_CACHE_MS = 10_000;

/**
 * Per-deployment CPU and memory of this node's containers, sampled from `source` on scrape (at most once per
 * `cacheMs`). The CPU series is the sum of the running containers' totals: it drops when one stops, which
 * Prometheus' rate() reads as a counter reset.
 */
export function registerContainerUsageMetrics(registry: Registry, source: UsageSource, cacheMs = USAGE_CACHE_MS, now: () => number = Date.now): void {
  let last: { at: number; usage: Promise<ContainerUsage[]> } | undefined;
  const sample = () => {
    const t = now();
    if (!last || t - last.at >= cacheMs) last = { at: t, usage: source().then(usageByDeployment, () => []) };
    return last.usage;
  };
  const registers = [registry];
  new Counter({
    name: 'oja_agent_container_cpu_seconds_total',
    help: "CPU time used by this node's running containers, per deployment",
    labelNames: ['tenant', 'deployment'],
    registers,
    async collect() {
      const usage = await sample();
      this.reset();
      for (const u of usage) this.inc({ tenant: u.tenant, deployment: u.deployment }, u.cpuSeconds);
    },
  });
  new Gauge({
    name: 'oja_agent_container_memory_bytes',
    help: "Memory used by this node's running containers, per deployment",
    labelNames: ['tenant', 'deployment'],
    registers,
    async collect() {
      const usage = await sample();
      this.reset();
      for (const u of usage) this.set({ tenant: u.tenant, deployment: u.deployment }, u.memoryBytes);
    },
  });
}
