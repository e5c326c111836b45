import { startControlPlane, type TestControlPlane } from '../../support/control-plane';
import { type FakeAgent, waitFor } from '../../support/fake-agent';
import { spec, startAgent } from '../gateway/cluster';
import { nodeAction, TenantApi } from './tenant-api';

// Dedicated hosts: a node dedicated to T runs only T's instances (others move off it, replacement first), and a
// tenant created dedicated runs only on its own nodes, waiting with a reason rather than spilling to shared ones.
describe('dedicated nodes and dedicated tenants', () => {
  let cp: TestControlPlane;
  let shared: TenantApi;
  let owner: TenantApi;
  let agents: FakeAgent[] = [];

  const idsOf = async (api: TenantApi, name: string) => new Set((await api.instances(name)).map((i) => i.id));

  beforeAll(async () => {
    cp = await startControlPlane();
    shared = new TenantApi(cp, await cp.tenant());
    owner = new TenantApi(cp, await cp.tenant());
    agents = [await startAgent(cp, 'dd-1'), await startAgent(cp, 'dd-2'), await startAgent(cp, 'dd-3')];
  });
  afterAll(async () => {
    for (const agent of agents) agent.disconnect();
    await cp?.close();
  });

  it("moves other tenants' instances off a node dedicated to T (replacement first) and keeps T's", async () => {
    const [host] = agents;
    await shared.apply(spec('web', 3));
    await owner.apply(spec('app', 3));
    await waitFor(() => agents.every((agent) => agent.desiredIds().length === 2), 'two instances per node');
    for (const agent of agents) agent.reportAllRunning();
    const sharedIds = await idsOf(shared, 'web');
    const ownerIds = await idsOf(owner, 'app');
    const [sharedOnHost] = host.desiredIds().filter((id) => sharedIds.has(id));
    const [ownerOnHost] = host.desiredIds().filter((id) => ownerIds.has(id));

    await nodeAction(cp, host.name, 'dedicate', owner.tenant.name);
    const replacement = await waitFor(async () => [...(await idsOf(shared, 'web'))].find((id) => !sharedIds.has(id)), 'a replacement');
    const replacementHost = await waitFor(() => agents.find((agent) => agent.desiredIds().includes(replacement)), 'the replacement sent to its node');
    expect(replacementHost).not.toBe(host);
    // The replacement is not running yet, so the old one stays.
    expect(host.desiredIds()).toContain(sharedOnHost);

    replacementHost.report(replacement, { state: 'running', healthy: true });
    await waitFor(() => !host.desiredIds().includes(sharedOnHost), "the other tenant's instance stopped on the dedicated node");
    expect(host.desiredIds()).toEqual([ownerOnHost]);
    expect(await idsOf(owner, 'app')).toEqual(ownerIds);
    // Once the node reports it gone, the row is forgotten: nothing of the other tenant is left on the node.
    await waitFor(async () => (await shared.instances('web')).every((i) => i.node !== host.name) || undefined, "no other tenant's row on the node");
  });

  it('keeps a dedicated tenant pending with a reason while it has no room of its own, and places it when capacity appears', async () => {
    const dedicated = new TenantApi(cp, await cp.tenant(undefined, { dedicated: true }));
    const body = spec('db', 2, { resources: { cpu: 0.5, memoryMb: 1024 } });
    await dedicated.apply(body);
    await waitFor(async () => (await dedicated.events('db', 'instance.pending')).length > 0 || undefined, 'an instance.pending event');
    const pending = await dedicated.instances('db');
    expect(pending.map((i) => [i.node, i.state])).toEqual([[null, 'pending'], [null, 'pending']]);
    expect(pending[0].reason).toMatch(/^no eligible node: .*not dedicated to this tenant/);
    expect((await dedicated.events('db', 'instance.pending'))[0]).toMatch(/2 instances pending: no eligible node/);
    const available = (await dedicated.deployment('db')).status.conditions.find((c) => c.type === 'Available');
    expect(available?.status).toBe('False');

    // Its own node, with room for two: both land there and nowhere else.
    const own = await startAgent(cp, 'dd-own-1', { capacity: { cpu: 2, memoryMb: 2048 } });
    agents.push(own);
    await nodeAction(cp, own.name, 'dedicate', dedicated.tenant.name);
    await waitFor(() => own.desiredIds().length === 2, 'both on the dedicated node');
    const placed = await dedicated.instances('db');
    expect(placed.map((i) => i.node)).toEqual([own.name, own.name]);

    // Full: the third waits, naming the shortage, rather than spilling to a shared node.
    await dedicated.scale('db', 3);
    await waitFor(async () => (await dedicated.instances('db')).find((i) => i.state === 'pending' && i.node === null), 'a third, pending');
    const waiting = (await dedicated.instances('db')).find((i) => i.node === null)!;
    expect(waiting.reason).toBe('no node with 1024 MiB free among 1 eligible');
    expect((await dedicated.events('db', 'instance.pending')).at(-1)).toBe('1 instance pending: no node with 1024 MiB free among 1 eligible');

    const second = await startAgent(cp, 'dd-own-2', { capacity: { cpu: 2, memoryMb: 2048 } });
    agents.push(second);
    expect(second.desiredIds()).toEqual([]);
    await nodeAction(cp, second.name, 'dedicate', dedicated.tenant.name);
    await waitFor(() => second.desiredIds().length === 1, 'the third on the new dedicated node');
    expect(second.desiredIds()).toEqual([waiting.id]);
    const all = await dedicated.instances('db');
    expect(all.every((i) => i.node === own.name || i.node === second.name)).toBe(true);
  });
});
