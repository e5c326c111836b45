import type { HealthSpec } from '@oja/contracts';
import { desiredInstance, nodeUnderTest, waitFor } from './support';

const every = { intervalSeconds: 1, timeoutSeconds: 1, failureThreshold: 2, initialDelaySeconds: 0 };

/** HTTP, TCP and exec probes against real containers: healthy after a success, unhealthy after the threshold. */
describe('agent runtime: health probes', () => {
  const ctx = nodeUnderTest('health');

  const withProbe = (deployment: string, health: HealthSpec) => desiredInstance({ deployment, health });

  it('tells healthy from unhealthy for each probe kind', async () => {
    const cases = [
      { d: withProbe('http-ok', { http: { path: '/index.html', port: 8080 }, ...every }), state: 'healthy', output: 'HTTP 200' },
      { d: withProbe('http-404', { http: { path: '/missing', port: 8080 }, ...every }), state: 'unhealthy', output: 'HTTP 404' },
      { d: withProbe('tcp-ok', { tcp: { port: 8080 }, ...every }), state: 'healthy', output: /^connected to / },
      { d: withProbe('tcp-closed', { tcp: { port: 9 }, ...every }), state: 'unhealthy', output: /ECONNREFUSED/ },
      { d: withProbe('exec-ok', { exec: { command: ['test', '-f', '/www/index.html'] }, ...every }), state: 'healthy', output: 'exit code 0' },
      { d: withProbe('exec-fail', { exec: { command: ['sh', '-c', 'echo broken >&2; exit 3'] }, ...every }), state: 'unhealthy', output: 'broken' },
      { d: withProbe('exec-slow', { exec: { command: ['sleep', '30'] }, ...every }), state: 'unhealthy', output: 'timed out after 1000 ms' },
    ];
    const { agent } = ctx;
    await agent.reconciler.apply(1, cases.map((c) => c.d));
    await waitFor(() => cases.every((c) => agent.report(c.d.id)?.state === c.state), 'every probe verdict', 30_000);

    for (const c of cases) {
      const report = agent.report(c.d.id)!;
      expect(report.healthy).toBe(c.state === 'healthy');
      expect(report.lastChecks!.at(-1)!.output).toEqual(typeof c.output === 'string' ? c.output : expect.stringMatching(c.output));
      if (c.state === 'unhealthy') {
        expect(report.lastChecks!.slice(-2).map((x) => x.ok)).toEqual([false, false]);
        expect(report.reason).toMatch(/^health check failed: /);
      }
    }
    const text = await agent.metrics.registry.getSingleMetricAsString('oja_agent_health_checks_total');
    expect(text).toMatch(/result="success"\} [1-9]/);
    expect(text).toMatch(/result="failure"\} [1-9]/);
  });
});
