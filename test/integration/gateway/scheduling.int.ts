import { startControlPlane, type TestControlPlane } from '../../support/control-plane';
import { type FakeAgent, waitFor } from '../../support/fake-agent';
import { desiredByAgent, spec, sql, startAgent, totalDesired } from './cluster';
import { AgentSessions } from '../../../apps/control-plane/src/gateway/agent-sessions.service';

describe('scheduling over fake agents (BullMQ worker, real gRPC)', () => {
  let cp: TestControlPlane;
  let tenant: { id: string; name: string; token: string };
  let agents: FakeAgent[] = [];

  const apply = async (body: Record<string, unknown>) => {
    const res = await cp.request('PUT', `/v1/deployments/${body.name}`, { token: tenant.token, body });
    expect([200, 201]).toContain(res.status);
  };
  const scale = async (name: string, replicas: number) => {
    const res = await cp.request('PATCH', `/v1/deployments/${name}/scale`, { token: tenant.token, body: { replicas } });
    expect(res.status).toBe(200);
  };
  const instances = async (name: string) => (await cp.request('GET', `/v1/deployments/${name}/instances`, { token: tenant.token })).body.items as {
    id: string; node: string | null; state: string;
  }[];
  const deployment = async (name: string) => (await cp.request('GET', `/v1/deployments/${name}`, { token: tenant.token })).body;

  beforeAll(async () => {
    cp = await startControlPlane();
    tenant = await cp.tenant();
    agents = [await startAgent(cp, 'sched-a'), await startAgent(cp, 'sched-b'), await startAgent(cp, 'sched-c')];
  });
  afterAll(async () => {
    for (const a of agents) a.disconnect();
    await cp?.close();
  });

  it('spreads 3 replicas one per node; each agent is sent exactly its own instance', async () => {
    await apply(spec('web', 3));
    await waitFor(() => agents.every((a) => a.desiredIds().length === 1), 'one instance per agent');
    const listed = await instances('web');
    expect(listed).toHaveLength(3);
    expect(new Set(listed.map((i) => i.node))).toEqual(new Set(['sched-a', 'sched-b', 'sched-c']));
    for (const a of agents) {
      const [only] = a.desired!.instances;
      expect(listed.find((i) => i.id === only.id)?.node).toBe(a.name);
      expect(only).toMatchObject({ tenant: tenant.name, deployment: 'web', revision: 1, image: 'oja/busybox:1', command: ['httpd', '-f', '-p', '8080', '-h', '/www'] });
      expect(only.resources).toEqual({ cpu: 0.1, memoryMb: 32 });
    }
    const events = await sql<{ type: string }>(cp, `SELECT type FROM events WHERE deployment_name = 'web' AND type = 'instance.scheduled'`);
    expect(events).toHaveLength(3);
  });

  it('tells every node about its WireGuard peers, including nodes that registered after it', () => {
    const [a, b, c] = agents;
    const latestPeers = a.peerUpdates[a.peerUpdates.length - 1].map((p) => p.nodeName).sort();
    expect(latestPeers).toEqual(['sched-b', 'sched-c']);
    expect(a.registered[0].peers).toEqual([]);
    expect(c.registered[0].peers.map((p) => p.nodeName)).toEqual(['sched-a', 'sched-b']);
    expect(b.peerUpdates[b.peerUpdates.length - 1][0]).toMatchObject({ nodeName: 'sched-a', endpoint: '127.0.0.1:51820' });
    expect(b.peerUpdates[b.peerUpdates.length - 1][0].allowedIps).toEqual([a.registered[0].overlaySubnet]);
  });

  it('sends registry credentials only with the instances whose spec names one', async () => {
    const cred = await cp.request('POST', '/v1/registry-credentials', {
      token: tenant.token,
      body: { name: 'private', server: '127.0.0.1:5000', username: 'robot', password: 's3cret-pass' },
    });
    expect(cred.status).toBe(201);
    await apply(spec('private-app', 1, { image: '127.0.0.1:5000/acme/app:1', registryCredential: 'private' }));
    const holder = await waitFor(() => agents.find((a) => a.desired?.instances.some((i) => i.deployment === 'private-app')), 'the private instance');
    const byDeployment = Object.fromEntries(holder.desired!.instances.map((i) => [i.deployment, i]));
    expect(byDeployment['private-app'].registryAuth).toEqual({ server: '127.0.0.1:5000', username: 'robot', password: 's3cret-pass' });
    expect(byDeployment.web.registryAuth).toBeUndefined();
    expect((await cp.request('DELETE', '/v1/deployments/private-app', { token: tenant.token })).status).toBe(204);
    await waitFor(() => !holder.desired?.instances.some((i) => i.deployment === 'private-app'), 'the private instance removed');
  });

  it('counts follow reported states: ready when running (no probe), status complete when all are', async () => {
    const [a, b] = agents;
    a.reportAllRunning();
    b.report(b.desiredIds()[0], { state: 'starting', healthy: false });
    await waitFor(async () => (await deployment('web')).status.ready === 1 || undefined, 'ready = 1');
    expect((await deployment('web')).status.phase).toBe('progressing');
    for (const x of agents) x.reportAllRunning();
    await waitFor(async () => (await deployment('web')).status.phase === 'complete' || undefined, 'phase complete');
    expect((await deployment('web')).status).toMatchObject({ desired: 3, updated: 3, ready: 3, available: 3 });
    expect((await instances('web')).map((i) => i.state)).toEqual(['running', 'running', 'running']);
  });

  it('ignores an out-of-order report observed before the stored one', async () => {
    const [a] = agents;
    const id = a.desiredIds()[0];
    const later = new Date(Date.now() + 60_000).toISOString();
    a.report(id, { state: 'running', healthy: true, restarts: 2, exitCode: 137, at: later });
    await waitFor(async () => (await instances('web')).find((i) => i.id === id && (i as { restarts?: number }).restarts === 2), 'restarts = 2');
    // Observed earlier but delivered later (a retry after a reconnect): must not regress the state.
    a.report(id, { state: 'failed', healthy: false, reason: 'stale', at: new Date(Date.now() - 60_000).toISOString() });
    a.report(id, { state: 'running', healthy: true, restarts: 3, exitCode: 1, at: new Date(Date.now() + 61_000).toISOString() });
    await waitFor(async () => (await instances('web')).find((i) => i.id === id && (i as { restarts?: number }).restarts === 3), 'restarts = 3');
    const [row] = await sql<{ observed: string; reason: string | null }>(cp, `SELECT observed, reason FROM instances WHERE id = $1`, [id]);
    expect(row).toEqual({ observed: 'running', reason: null });
    const types = (await sql<{ type: string }>(cp, `SELECT type FROM events WHERE instance_id = $1 ORDER BY id`, [id])).map((e) => e.type);
    expect(types).not.toContain('instance.failed');
    expect(types.filter((t) => t === 'instance.restarted')).toHaveLength(2);
  });

  it('ignores a report about an instance on another node', async () => {
    const [a, b] = agents;
    const notMine = b.desiredIds()[0];
    a.report(notMine, { state: 'failed', healthy: false, reason: 'forged by another node', at: new Date(Date.now() + 120_000).toISOString() });
    a.heartbeat();
    // A later report from the owner goes through, so the forged one was handled (and dropped) before it.
    b.report(notMine, { state: 'running', healthy: true, restarts: 7, at: new Date(Date.now() + 130_000).toISOString() });
    await waitFor(async () => (await instances('web')).find((i) => i.id === notMine && (i as { restarts?: number }).restarts === 7), 'owner report');
    const [row] = await sql<{ reason: string | null }>(cp, `SELECT reason FROM instances WHERE id = $1`, [notMine]);
    expect(row.reason).toBeNull();
  });

  it('scales to 5 (spread 2/2/1), to 1, to 0; stopped instances leave the desired sets and then the table', async () => {
    await scale('web', 5);
    await waitFor(() => totalDesired(agents) === 5, '5 desired instances');
    expect(agents.map((a) => a.desiredIds().length).sort()).toEqual([1, 2, 2]);
    const ids = new Set(Object.values(desiredByAgent(agents)).flat());
    expect(ids.size).toBe(5);

    await scale('web', 1);
    await waitFor(() => totalDesired(agents) === 1, '1 desired instance');
    // Agents converge (heartbeat with the new generation): stopped rows are deleted.
    await waitFor(async () => (await instances('web')).length === 1 || undefined, 'one instance row');

    await scale('web', 0);
    await waitFor(() => totalDesired(agents) === 0, 'no desired instance');
    await waitFor(async () => (await instances('web')).length === 0 || undefined, 'no instance rows');
    expect((await deployment('web')).status).toMatchObject({ desired: 0, updated: 0 });
  });

  it('after a dropped stream, the reconnecting agent gets the same full desired set again', async () => {
    await scale('web', 3);
    await waitFor(() => agents.every((a) => a.desiredIds().length === 1), 'one instance per agent');
    const [a] = agents;
    const before = a.desiredIds();
    const received = a.desiredStates.length;
    a.disconnect();
    a.connect();
    await waitFor(() => a.desiredStates.length > received && a.registered.length > 1, 'a new desired state after reconnecting');
    expect(a.desiredIds()).toEqual(before);
    expect(a.desired!.generation).toBeGreaterThan(a.desiredStates[received - 1].generation);
  });

  it('relays log requests to the agent holding the stream and its chunks back', async () => {
    const sessions = cp.app.get(AgentSessions);
    const [a] = agents;
    const instanceId = a.desiredIds()[0];
    a.log(instanceId, { ts: new Date().toISOString(), stream: 'stdout', line: 'hello' });
    const chunks: string[] = [];
    const ends: string[] = [];
    const handlers = { onChunk: (c: { line: string }) => chunks.push(c.line), onEnd: (e: { requestId: string; error: string }) => ends.push(`${e.requestId}:${e.error}`) };
    const cancel = sessions.requestLogs(a.nodeId, { requestId: 'r1', instanceId, follow: true, tail: 10, since: '', timestamps: false }, handlers);
    expect(cancel).not.toBeNull();
    await waitFor(() => chunks.length === 1, 'the existing line');
    a.log(instanceId, { ts: new Date().toISOString(), stream: 'stderr', line: 'followed' });
    await waitFor(() => chunks.length === 2, 'the followed line');
    cancel!();
    await waitFor(() => a.logCancels.includes('r1'), 'a LogCancel');
    // After a cancel, late chunks are dropped; a request the agent cannot serve ends with its error.
    a.send({ $case: 'logChunk', value: { requestId: 'r1', instanceId, stream: 'stdout', ts: '', line: 'late' } });
    sessions.requestLogs(a.nodeId, { requestId: 'r2', instanceId: 'gone', follow: false, tail: -1, since: '', timestamps: false }, handlers);
    await waitFor(() => ends.length === 1, 'the end of r2');
    expect(ends).toEqual(['r2:instance gone has no container on this node']);
    expect(chunks).toEqual(['hello', 'followed']);
    const unknownNode = '00000000-0000-4000-8000-000000000000';
    expect(sessions.requestLogs(unknownNode, { requestId: 'r3', instanceId, follow: false, tail: 1, since: '', timestamps: false }, handlers)).toBeNull();
  });

  it('exposes scheduler metrics', async () => {
    const text = (await cp.request('GET', '/metrics')).text;
    const placements = Number(/^oja_placements_total (\d+)/m.exec(text)?.[1]);
    expect(placements).toBeGreaterThanOrEqual(8);
    expect(text).toMatch(/^oja_scheduling_duration_seconds_count [1-9]/m);
    expect(text).toMatch(/^oja_evaluations_waiting \d+/m);
  });

  it('keeps an instance pending with a reason when no node fits, and places it when capacity appears', async () => {
    await apply(spec('big', 1, { resources: { cpu: 1, memoryMb: 8000 } }));
    await waitFor(async () => (await instances('big'))[0]?.state === 'pending' || undefined, 'a pending instance');
    const [pending] = await instances('big');
    expect(pending.node).toBeNull();
    expect((pending as { reason?: string }).reason).toMatch(/MiB|memory/);
    const events = await sql<{ message: string }>(cp, `SELECT message FROM events WHERE deployment_name = 'big' AND type = 'instance.pending'`);
    expect(events.length).toBeGreaterThan(0);
    const large = await startAgent(cp, 'sched-large', { capacity: { cpu: 8, memoryMb: 16_000 } });
    agents.push(large);
    await waitFor(() => large.desiredIds().length === 1, 'the big instance on the large node');
    expect(large.desiredIds()).toEqual([pending.id]);
  });
});
