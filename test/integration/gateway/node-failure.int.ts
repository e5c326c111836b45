import { AgentNodesRepository } from '../../../apps/control-plane/src/gateway/agent-nodes.repository';
import { startControlPlane, type TestControlPlane } from '../../support/control-plane';
import { type FakeAgent, waitFor } from '../../support/fake-agent';
import { spec, sql, startAgent, totalDesired } from './cluster';

describe('node monitor: a silent node goes down and its instances are replaced', () => {
  let cp: TestControlPlane;
  let tenant: { token: string };
  let agents: FakeAgent[] = [];

  beforeAll(async () => {
    cp = await startControlPlane({ env: { OJA_NODE_GRACE_SECONDS: '4' } });
    tenant = await cp.tenant();
    agents = [await startAgent(cp, 'mon-a'), await startAgent(cp, 'mon-b'), await startAgent(cp, 'mon-c')];
  });
  afterAll(async () => {
    for (const a of agents) a.disconnect();
    await cp?.close();
  });

  it('marks the node down, its instance lost, places a replacement elsewhere; the node comes back without it', async () => {
    const res = await cp.request('PUT', '/v1/deployments/api', { token: tenant.token, body: spec('api', 3) });
    expect(res.status).toBe(201);
    await waitFor(() => agents.every((a) => a.desiredIds().length === 1), 'one instance per agent');
    for (const a of agents) a.reportAllRunning();
    const [silent, b, c] = agents;
    const lostId = silent.desiredIds()[0];

    silent.stopHeartbeats();
    await waitFor(async () => (await sql(cp, `SELECT 1 FROM nodes WHERE name = 'mon-a' AND status = 'down'`)).length === 1 || undefined, 'mon-a down', 40_000);
    // The replacement lands on the other two nodes; the lost instance is no longer desired anywhere.
    await waitFor(() => totalDesired([b, c]) === 3, 'three instances on the live nodes');
    expect([...b.desiredIds(), ...c.desiredIds()]).not.toContain(lostId);
    const [lost] = await sql<{ observed: string; desired: string }>(cp, `SELECT observed, desired FROM instances WHERE id = $1`, [lostId]);
    expect(lost).toEqual({ observed: 'lost', desired: 'stopped' });
    const nodeEvents = await sql<{ type: string }>(cp, `SELECT type FROM events WHERE node_name = 'mon-a' AND type = 'node.down'`);
    expect(nodeEvents).toHaveLength(1);

    // Back: it must not run the lost copy again (never more copies than planned).
    silent.disconnect();
    silent.connect([{ instanceId: lostId, state: 'running', containerId: 'c1', overlayIp: '', healthy: true, restarts: 0, exitCode: -1, reason: '', lastChecks: [], at: new Date().toISOString(), pulledImage: '' }]);
    await waitFor(async () => (await sql(cp, `SELECT 1 FROM nodes WHERE name = 'mon-a' AND status = 'ready'`)).length === 1 || undefined, 'mon-a ready');
    await waitFor(() => silent.registered.length === 2 && silent.desired && !silent.desiredIds().includes(lostId), 'a desired set without the lost instance');
    expect(silent.desiredIds()).toEqual([]);
    const up = await sql<{ type: string }>(cp, `SELECT type FROM events WHERE node_name = 'mon-a' AND type = 'node.up'`);
    expect(up).toHaveLength(1);
    // Once it converged (heartbeat), the stopped instance is forgotten.
    silent.heartbeat();
    await waitFor(async () => (await sql(cp, `SELECT 1 FROM instances WHERE id = $1`, [lostId])).length === 0 || undefined, 'the lost row deleted');
    const total = await sql<{ n: string }>(cp, `SELECT count(*) AS n FROM instances WHERE desired = 'running'`);
    expect(Number(total[0].n)).toBe(3);
  });

  it("dates a batched heartbeat by when it arrived, and never moves a node's last heartbeat back", async () => {
    const node = agents[2];
    node.stopHeartbeats();
    const secondsSince = async () =>
      Number((await sql<{ s: number }>(cp, `SELECT extract(epoch FROM now() - last_heartbeat_at)::float8 AS s FROM nodes WHERE name = 'mon-c'`))[0].s);
    await sql(cp, `UPDATE nodes SET last_heartbeat_at = now() - interval '1 hour' WHERE name = 'mon-c'`);
    const repository = cp.app.get(AgentNodesRepository);

    await repository.heartbeat([{ nodeId: node.nodeId, ageSeconds: 60 }]);
    const dated = await secondsSince();
    expect(dated).toBeGreaterThanOrEqual(60);
    expect(dated).toBeLessThan(120);
    await repository.heartbeat([{ nodeId: node.nodeId, ageSeconds: 600 }]); // an older beat flushed late
    expect(await secondsSince()).toBeLessThan(120);
  });
});
