import { startControlPlane, type TestControlPlane } from '../../support/control-plane';
import { type FakeAgent, waitFor } from '../../support/fake-agent';
import { spec, sql, startAgent } from './cluster';

describe('two control-plane replicas on one database and queue', () => {
  let a: TestControlPlane;
  let b: TestControlPlane;
  let agents: FakeAgent[] = [];

  beforeAll(async () => {
    a = await startControlPlane();
    // Replicas share everything but the process: database, queue prefix, admin token, secret key.
    b = await startControlPlane({ database: a.database, queuePrefix: a.config.queuePrefix, env: { OJA_ADMIN_TOKEN: a.adminToken } });
  });
  afterAll(async () => {
    for (const agent of agents) agent.disconnect();
    await b?.close();
    await a?.close();
  });

  it('share one cluster CA: a token minted on A joins through B', async () => {
    const [ca] = await sql<{ n: string }>(a, `SELECT count(*) AS n FROM cluster_ca`);
    expect(ca.n).toBe('1');
    const res = await a.request('POST', '/v1/join-tokens', { token: a.adminToken, body: {} });
    const viaB = await startAgent(b, 'rep-b', { token: res.body.token });
    agents.push(viaB, await startAgent(a, 'rep-a'));
  });

  it('a change made through replica A reaches the agent connected to replica B, and back', async () => {
    const tenant = await a.tenant();
    const [onB, onA] = agents;
    const applied = await a.request('PUT', '/v1/deployments/web', { token: tenant.token, body: spec('web', 2) });
    expect(applied.status).toBe(201);
    await waitFor(() => onA.desiredIds().length === 1 && onB.desiredIds().length === 1, 'one instance on each agent');

    const scaled = await b.request('PATCH', '/v1/deployments/web/scale', { token: tenant.token, body: { replicas: 4 } });
    expect(scaled.status).toBe(200);
    await waitFor(() => onA.desiredIds().length === 2 && onB.desiredIds().length === 2, 'two instances on each agent');

    // Reports through B are visible through A.
    onB.reportAllRunning();
    onA.reportAllRunning();
    await waitFor(async () => (await a.request('GET', '/v1/deployments/web', { token: tenant.token })).body.status.ready === 4 || undefined, 'ready 4');
  });

  it('assigns distinct overlay subnets to nodes registering on different replicas', async () => {
    const rows = await sql<{ overlay_subnet: string }>(a, `SELECT overlay_subnet FROM nodes ORDER BY overlay_subnet`);
    expect(rows.map((r) => r.overlay_subnet)).toEqual(['10.42.0.0/24', '10.42.1.0/24']);
  });
});
