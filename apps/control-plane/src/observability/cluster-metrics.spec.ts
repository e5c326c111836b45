import { Registry } from 'prom-client';
import type { ClusterCounts, ClusterCountsRepository } from './cluster-counts.repository';
import { ClusterMetrics } from './cluster-metrics';

const counts: ClusterCounts = {
  nodesByStatus: [{ status: 'ready', count: 2 }],
  instancesByTenantState: [{ tenant: 'acme', state: 'healthy', count: 3 }],
  deploymentsByTenant: [{ tenant: 'acme', count: 1 }, { tenant: 'globex', count: 0 }],
  deploymentsByPhase: [{ phase: 'complete', count: 1 }],
};

function metricsWith(load: () => Promise<ClusterCounts>): Registry {
  const registry = new Registry();
  new ClusterMetrics(registry, { counts: load } as ClusterCountsRepository);
  return registry;
}

describe('ClusterMetrics', () => {
  it('shows every status, state and phase (zeros included) and the counts from Postgres', async () => {
    const text = await metricsWith(async () => counts).metrics();
    expect(text).toContain('oja_nodes{status="ready"} 2');
    expect(text).toContain('oja_nodes{status="down"} 0');
    expect(text).toContain('oja_instances{state="healthy",tenant="acme"} 3');
    expect(text).toContain('oja_instances{state="failed",tenant="acme"} 0');
    expect(text).toContain('oja_deployments{tenant="globex"} 0');
    expect(text).toContain('oja_rollouts{phase="complete"} 1');
    expect(text).toContain('oja_rollouts{phase="failed"} 0');
  });

  it('loads once for all gauges of a scrape', async () => {
    let loads = 0;
    await metricsWith(async () => {
      loads += 1;
      return counts;
    }).metrics();
    expect(loads).toBe(1);
  });

  it('scrapes without cluster series when Postgres is away', async () => {
    const text = await metricsWith(() => Promise.reject(new Error('connection refused'))).metrics();
    expect(text).toContain('# TYPE oja_nodes gauge');
    expect(text).not.toMatch(/^oja_nodes\{/m);
  });
});
