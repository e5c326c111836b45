import type { DesiredInstance } from '../../../apps/agent/src/reconcile/types';
import { desiredInstance, docker, nodeContainers, removeNodeContainers, startReconciler, uniqueNode, waitFor, type RunningReconciler } from './support';

/**
 * One node's life against the real dockerd: start three web replicas, scale down, survive a kill,
 * survive an agent restart (adoption), and keep going when one image cannot be pulled.
 */
describe('agent runtime on a real dockerd', () => {
  const node = uniqueNode('reconcile');
  const running: RunningReconciler[] = [];
  let agent: RunningReconciler;
  let web: DesiredInstance[];

  const start = async () => {
    // No periodic resync here: reacting to the kill below must come from the engine's die event.
    const r = await startReconciler(node, { resyncIntervalMs: 3_600_000 });
    running.push(r);
    return r;
  };
  const healthyAll = (r: RunningReconciler, ids: string[]) => ids.every((id) => r.report(id)?.state === 'healthy');

  beforeAll(async () => {
    agent = await start();
    web = Array.from({ length: 3 }, () =>
      desiredInstance({
        deployment: `web-${node.slice(-8)}`,
        env: { GREETING: 'hello' },
        health: { http: { path: '/index.html', port: 8080 }, intervalSeconds: 1, timeoutSeconds: 1, failureThreshold: 2, initialDelaySeconds: 0 },
      }),
    );
  });

  afterAll(async () => {
    await Promise.all(running.map((r) => r.reconciler.stop()));
    await removeNodeContainers(node);
  });

  it('runs three replicas, healthy, with the labels and limits set', async () => {
    await agent.reconciler.apply(1, web);
    await waitFor(() => healthyAll(agent, web.map((w) => w.id)), 'three healthy replicas', 30_000);

    const containers = await nodeContainers(node);
    expect(containers).toHaveLength(3);
    for (const w of web) {
      const info = await docker.getContainer(agent.report(w.id)!.containerId!).inspect();
      expect(info.State.Running).toBe(true);
      expect(info.Name).toBe(`/oja-${w.deployment}-${w.id.replace(/-/g, '').slice(0, 12)}`);
      expect(info.Config.Labels).toMatchObject({
        'oja.tenant': 'acme', 'oja.deployment': w.deployment, 'oja.instance': w.id, 'oja.revision': '1', 'oja.node': node,
      });
      expect(info.Config.Labels['oja.spec-hash']).toMatch(/^[0-9a-f]{16}$/);
      expect(info.Config.Env).toContain('GREETING=hello');
      expect(info.HostConfig).toMatchObject({
        Memory: 32 * 1024 * 1024,
        MemorySwap: 32 * 1024 * 1024,
        NanoCpus: 100_000_000,
        PidsLimit: 512,
        SecurityOpt: ['no-new-privileges'],
        CapDrop: ['ALL'],
        Privileged: false,
        RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
      });
      expect(agent.report(w.id)).toMatchObject({ healthy: true, restarts: 0, overlayIp: info.NetworkSettings.Networks.bridge.IPAddress });
      expect(agent.report(w.id)!.lastChecks!.at(-1)).toMatchObject({ ok: true, output: 'HTTP 200' });
    }
    const metrics = await agent.metrics.registry.metrics();
    expect(metrics).toMatch(/oja_agent_containers\{state="healthy"\} 3/);
    expect(metrics).toMatch(/oja_agent_container_op_duration_seconds_count\{op="create"\} 3/);
    expect(metrics).toMatch(/oja_agent_health_checks_total\{result="success"\} [1-9]/);
  });

  it('removes the two replicas dropped from the desired set', async () => {
    const [keep, ...dropped] = web;
    await agent.reconciler.apply(2, [keep]);
    web = [keep];

    const left = await nodeContainers(node);
    expect(left.map((c) => c.Labels['oja.instance'])).toEqual([keep.id]);
    for (const d of dropped) expect(agent.reports.filter((r) => r.id === d.id).at(-1)).toMatchObject({ state: 'exited' });
    expect(agent.report(keep.id)?.state).toBe('healthy');
  });

  it('restarts a killed container, counting the restart and reporting the exit code', async () => {
    const id = web[0].id;
    const containerId = agent.report(id)!.containerId!;
    await docker.getContainer(containerId).kill();

    await waitFor(() => agent.report(id)?.restarts === 1 && agent.report(id)?.state === 'healthy', 'restart after kill', 30_000);
    expect(agent.report(id)).toMatchObject({ containerId, exitCode: 137 });
    expect(agent.reports.filter((r) => r.id === id && r.state === 'exited').at(-1)).toMatchObject({ exitCode: 137, reason: expect.stringMatching(/^exited with code 137; restarting in 1s$/) });
    expect(await agent.metrics.registry.getSingleMetricAsString('oja_agent_restarts_total')).toMatch(/oja_agent_restarts_total 1/);
    expect(await nodeContainers(node)).toHaveLength(1);
  });

  it('adopts the running container after an agent restart instead of recreating it', async () => {
    const id = web[0].id;
    const before = (await nodeContainers(node)).map((c) => [c.Id, c.Created]);
    await agent.reconciler.stop();
    expect((await docker.getContainer(before[0][0] as string).inspect()).State.Running).toBe(true);

    agent = await start();
    // Reported for Register before any desired set arrives.
    expect(agent.reconciler.observed()).toEqual([expect.objectContaining({ id, state: 'running', healthy: true, containerId: before[0][0] })]);
    await agent.reconciler.apply(3, web);
    await waitFor(() => agent.report(id)?.state === 'healthy', 'adopted replica healthy');
    expect((await nodeContainers(node)).map((c) => [c.Id, c.Created])).toEqual(before);
    expect(await agent.metrics.registry.metrics()).not.toMatch(/oja_agent_container_op_duration_seconds_count\{op="create"\}/);
  });

  it('fails an instance whose image does not exist, with a clear reason, leaving the others alone', async () => {
    const missing = desiredInstance({ deployment: web[0].deployment, image: `127.0.0.1:1/oja/${node}:1` });
    await agent.reconciler.apply(4, [...web, missing]);

    expect(agent.report(missing.id)).toMatchObject({ state: 'failed', containerId: null, healthy: false });
    expect(agent.report(missing.id)!.reason).toMatch(new RegExp(`^pull failed: 127\\.0\\.0\\.1:1/oja/${node}:1: .*connection refused.* \\(retrying in \\d+s\\)$`));
    expect(agent.report(web[0].id)?.state).toBe('healthy');
    expect(await nodeContainers(node)).toHaveLength(1);
  });
});
