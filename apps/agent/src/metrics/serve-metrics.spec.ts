import { AgentMetrics } from './agent-metrics';
import { serveMetrics } from './serve-metrics';

describe('serveMetrics', () => {
  it('serves the agent registry on /metrics and 404s elsewhere', async () => {
    const metrics = new AgentMetrics();
    metrics.setContainerStateSource(() => ['healthy', 'healthy', 'failed']);
    metrics.logStreams.inc();
    const server = await serveMetrics(metrics.registry, { host: '127.0.0.1', port: 0 });
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(res.status).toBe(200);
      const body = await res.text();
      expect(body).toMatch(/oja_agent_containers\{state="healthy"\} 2/);
      expect(body).toMatch(/oja_agent_containers\{state="failed"\} 1/);
      expect(body).toMatch(/oja_agent_log_streams 1/);
      expect(body).toContain('# TYPE oja_agent_container_op_duration_seconds histogram');
      expect(body).toContain('oja_agent_restarts_total 0');
      expect(body).toContain('process_resident_memory_bytes');
      expect((await fetch(`http://127.0.0.1:${server.port}/other`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
