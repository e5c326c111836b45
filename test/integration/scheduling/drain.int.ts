import { startControlPlane, type TestControlPlane } from '../../support/control-plane';
import { type FakeAgent, waitFor } from '../../support/fake-agent';
import { spec, sql, startAgent, totalDesired } from '../gateway/cluster';
import { nodeAction, TenantApi } from './tenant-api';

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
    expect(node.status).toBe('draining');

    await nodeAction(cp, drained.name, 'undrain');
    await api.apply(spec('after', 3));
    await waitFor(() => drained.desiredIds().length === 1, 'the undrained node takes instances again');
    const after = new Set((await api.instances('after')).map((i) => i.node));
    expect(after).toEqual(new Set(agents.map((agent) => agent.name)));
  });
});
