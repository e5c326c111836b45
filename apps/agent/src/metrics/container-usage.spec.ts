import { Registry } from 'prom-client';
import { registerContainerUsageMetrics, usageByDeployment, type ContainerUsage } from './container-usage';

const usage = (deployment: string, cpuSeconds: number, memoryBytes: number, tenant = 'acme'): ContainerUsage => ({ tenant, deployment, cpuSeconds, memoryBytes });

describe('usageByDeployment', () => {
  it('sums containers per tenant and deployment', () => {
    expect(usageByDeployment([usage('web', 1, 100), usage('web', 2.5, 50), usage('db', 4, 10), usage('web', 1, 1, 'other')])).toEqual([
      usage('web', 3.5, 150),
      usage('db', 4, 10),
      usage('web', 1, 1, 'other'),
    ]);
  });
});

describe('registerContainerUsageMetrics', () => {
  it('exposes per-deployment series sampled at most once per cache window, without instance labels', async () => {
    let t = 0;
    let calls = 0;
    let samples = [usage('web', 1.5, 1000), usage('web', 0.5, 24)];
    const registry = new Registry();
    registerContainerUsageMetrics(registry, async () => {
      calls += 1;
      return samples;
    }, 10_000, () => t);

    const first = await registry.metrics();
    expect(first).toContain('oja_agent_container_cpu_seconds_total{tenant="acme",deployment="web"} 2');
    expect(first).toContain('oja_agent_container_memory_bytes{tenant="acme",deployment="web"} 1024');
    expect(calls).toBe(1); // both metrics read one sample

    samples = [usage('db', 3, 7)];
    t = 5_000;
    expect(await registry.metrics()).toContain('deployment="web"');
    t = 10_000;
    const later = await registry.metrics();
    expect(later).not.toContain('deployment="web"');
    expect(later).toContain('oja_agent_container_memory_bytes{tenant="acme",deployment="db"} 7');
    expect(calls).toBe(2);
  });

  it('shows no series when the engine cannot be asked', async () => {
    const registry = new Registry();
    registerContainerUsageMetrics(registry, () => Promise.reject(new Error('docker down')));
    expect(await registry.metrics()).not.toMatch(/^oja_agent_container_memory_bytes\{/m);
  });
});
