import { startControlPlane, type TestControlPlane } from '../../support/control-plane';
import { type FakeAgent, waitFor } from '../../support/fake-agent';
import { spec, sql, startAgent, totalDesired } from '../gateway/cluster';
import { nodeAction, nodeEvents, TenantApi } from './tenant-api';

// Draining moves a node's instances off it as a rolling replacement (the new one runs before the old one stops)
// and keeps it out of placement until it is undrained.
describe('drain and undrain', () => {
  let cp: TestControlPlane;
  let api: TenantApi;
  let agents: FakeAgent[] = [];
  let drained: FakeAgent;
  let others: FakeAgent[];

  beforeAll(async () => {
    cp = await startControlPlane();
    api = new TenantApi(cp, await cp.tenant());
    agents = [await startAgent(cp, 'dr-1'), await startAgent(cp, 'dr-2'), await startAgent(cp, 'dr-3')];
    [drained, ...others] = agents;
  });
  afterAll(async () => {
    for (const agent of agents) agent.disconnect();
    await cp?.close();
  });

  it('starts the replacement before it stops the instance on the drained node', async () => {
    await api.apply(spec('web', 3));
    await waitFor(() => agents.every((agent) => agent.desiredIds().length === 1), 'one instance per node');
    for (const agent of agents) agent.reportAllRunning();
    await waitFor(async () => (await api.deployment('web')).status.phase === 'complete' || undefined, 'rollout complete');
    const [old] = drained.desiredIds();
    const before = new Set(agents.flatMap((agent) => agent.desiredIds()));

    await nodeAction(cp, drained.name, 'drain');
    const replacement = await waitFor(() => others.flatMap((agent) => agent.desiredIds()).find((id) => !before.has(id)), 'a replacement');
    // Not running yet: the old instance must still be wanted on the drained node.
    expect(drained.desiredIds()).toEqual([old]);
    const [row] = await sql<{ desired: string; stop_requested_at: Date | null }>(cp, `SELECT desired, stop_requested_at FROM instances WHERE id = $1`, [old]);
    expect(row).toEqual({ desired: 'running', stop_requested_at: null });

    const host = others.find((agent) => agent.desiredIds().includes(replacement))!;
    host.report(replacement, { state: 'running', healthy: true });
    await waitFor(() => drained.desiredIds().length === 0, 'the drained node emptied');
    expect(totalDesired(others)).toBe(3);
    await waitFor(async () => (await sql(cp, `SELECT 1 FROM instances WHERE id = $1`, [old])).length === 0 || undefined, 'the old row gone');
    expect(await api.events('web', 'instance.scheduled')).toHaveLength(4);
  });

  it('places nothing on a drained node until it is undrained', async () => {
    await api.scale('web', 6);
    await api.apply(spec('other', 2));
    await waitFor(() => totalDesired(others) === 8, 'eight instances on the two other nodes');
    expect(drained.desiredIds()).toEqual([]);
    const [node] = (await cp.request('GET', '/v1/nodes', { token: cp.adminToken })).body.items.filter((n: { name: string }) => n.name === drained.name);
    expect(node).toMatchObject({ status: 'draining', drained: true });

    await nodeAction(cp, drained.name, 'undrain');
    await api.apply(spec('after', 3));
    await waitFor(() => drained.desiredIds().length === 1, 'the undrained node takes instances again');
    const after = new Set((await api.instances('after')).map((i) => i.node));
    expect(after).toEqual(new Set(agents.map((agent) => agent.name)));
  });
});

// Drain is a flag beside the status: a drained node that dies goes down like any other, and comes back draining.
// Two control-plane replicas on one database and queue, both running the monitor; the pool's agents on either.
describe('a drained node that goes silent, two control-plane replicas', () => {
  const GRACE_SECONDS = '3';
  // The monitor waits grace + the agents' reconnect time after a start before it judges silence.
  const DOWN_TIMEOUT_MS = 45_000;
  const onPool = { placement: { constraints: ['label.pool == drain-down'] } };
  let a: TestControlPlane;
  let b: TestControlPlane;
  let api: TenantApi;
  let pool: FakeAgent[] = [];

  const statusOf = async (name: string) => (await sql<{ status: string }>(a, `SELECT status FROM nodes WHERE name = $1`, [name]))[0].status;
  const nodeOf = async (name: string) => (await api.instances(name)).map((i) => i.node);

  beforeAll(async () => {
    a = await startControlPlane({ env: { OJA_NODE_GRACE_SECONDS: GRACE_SECONDS } });
    b = await startControlPlane({
      database: a.database, queuePrefix: a.config.queuePrefix, env: { OJA_ADMIN_TOKEN: a.adminToken, OJA_NODE_GRACE_SECONDS: GRACE_SECONDS },
    });
    api = new TenantApi(a, await a.tenant());
    const labels = { pool: 'drain-down' };
    pool = [await startAgent(a, 'dd-1', { labels }), await startAgent(b, 'dd-2', { labels }), await startAgent(a, 'dd-3', { labels })];
  });
  afterAll(async () => {
    for (const agent of pool) agent.disconnect();
    await b?.close();
    await a?.close();
  });

  it('goes down with its instances lost and replaced, and comes back draining: no placements, stale copies stopped', async () => {
    await api.apply(spec('batch', 4, onPool));
    await waitFor(() => totalDesired(pool) === 4, 'four desired instances');
    for (const agent of pool) agent.reportAllRunning();
    await waitFor(async () => (await api.deployment('batch')).status.phase === 'complete' || undefined, 'rollout complete');
    const [drained, ...rest] = [...pool].sort((x, y) => y.desiredIds().length - x.desiredIds().length);
    const stale = drained.desiredIds();
    expect(stale).toHaveLength(2);

    // Drained: a replacement is placed, but it never reports running, so the drained node keeps its instances.
    await nodeAction(a, drained.name, 'drain');
    await waitFor(() => totalDesired(rest) > 2, 'a replacement on another pool node');
    expect(drained.desiredIds()).toEqual(stale);

    drained.stopHeartbeats();
    await waitFor(async () => (await statusOf(drained.name)) === 'down' || undefined, `${drained.name} down`, DOWN_TIMEOUT_MS);
    expect(await nodeEvents(a, drained.name, 'node.down')).toHaveLength(1);
    const [shown] = (await a.request('GET', '/v1/nodes', { token: a.adminToken })).body.items.filter((n: { name: string }) => n.name === drained.name);
    expect(shown).toMatchObject({ status: 'down', drained: true });
    await waitFor(() => totalDesired(rest) === 4, 'every lost instance replaced on the other pool nodes', DOWN_TIMEOUT_MS);
    expect(rest.flatMap((agent) => agent.desiredIds()).filter((id) => stale.includes(id))).toEqual([]);
    const lost = await sql<{ observed: string; desired: string }>(a, `SELECT observed, desired FROM instances WHERE id = ANY($1::uuid[])`, [stale]);
    expect(lost).toEqual([{ observed: 'lost', desired: 'stopped' }, { observed: 'lost', desired: 'stopped' }]);

    // Heartbeats again: back draining, told to stop the stale copies, and forgets them once it converged.
    const beating = setInterval(() => drained.heartbeat(), 300);
    try {
      await waitFor(async () => (await nodeEvents(a, drained.name, 'node.up')).length === 1 || undefined, `${drained.name} up`);
      expect(await statusOf(drained.name)).toBe('draining');
      await waitFor(() => drained.desiredIds().length === 0, 'a desired set without the stale copies');
      await waitFor(async () => (await sql(a, `SELECT 1 FROM instances WHERE id = ANY($1::uuid[])`, [stale])).length === 0 || undefined, 'stale rows forgotten');

      for (const agent of rest) agent.reportAllRunning();
      await api.scale('batch', 6);
      await waitFor(async () => {
        const nodes = await nodeOf('batch');
        return nodes.length === 6 && nodes.every((n) => n !== null) && nodes;
      }, 'six instances placed');
      expect((await nodeOf('batch')).filter((n) => n === drained.name)).toEqual([]);
      expect(drained.desiredIds()).toEqual([]);
      expect(await statusOf(drained.name)).toBe('draining');
    } finally {
      clearInterval(beating);
    }

    // Down again, then back by registering (a restarted agent): draining too; undrained it takes instances again.
    await waitFor(async () => (await statusOf(drained.name)) === 'down' || undefined, `${drained.name} down again`, DOWN_TIMEOUT_MS);
    drained.disconnect();
    drained.connect();
    await waitFor(async () => (await nodeEvents(a, drained.name, 'node.up')).length === 2 || undefined, `${drained.name} registered again`);
    expect(await statusOf(drained.name)).toBe('draining');
    await nodeAction(a, drained.name, 'undrain');
    expect(await statusOf(drained.name)).toBe('ready');
  });
});
