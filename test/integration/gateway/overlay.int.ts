import type { TenantAddressSet } from '@oja/proto';
import { startControlPlane, type TestControlPlane } from '../../support/control-plane';
import { type FakeAgent, waitFor } from '../../support/fake-agent';
import { joinToken, spec, sql, startAgent } from './cluster';

/** The latest TenantAddresses an agent received, as tenant → sorted ips. */
function latestSets(agent: FakeAgent): Record<string, string[]> | undefined {
  const last = [...agent.messages].reverse().find((m) => m.kind?.$case === 'tenantAddresses');
  if (last?.kind?.$case !== 'tenantAddresses') return undefined;
  return Object.fromEntries(last.kind.value.tenants.map((t: TenantAddressSet) => [t.tenant, [...t.ips].sort()]));
}

/** Equal tenant → ips maps, whatever order the tenants came in (the push does not order them). */
const same = (a: Record<string, string[]> | string[] | undefined, b: Record<string, string[]> | string[]) =>
  JSON.stringify(Array.isArray(a) || !a ? a : Object.entries(a).sort()) === JSON.stringify(Array.isArray(b) ? b : Object.entries(b).sort());

// Overlay bookkeeping in the control plane over fake agents (real gRPC, Postgres, Redis): tenant address sets pushed
// to the nodes that need them, and node removal (DELETE /v1/nodes/:name) freeing the subnet and the peer entries.
describe('overlay: tenant addresses and node removal', () => {
  let cp: TestControlPlane;
  let acme: { name: string; token: string };
  let globex: { name: string; token: string };
  let agents: FakeAgent[] = [];

  beforeAll(async () => {
    cp = await startControlPlane({ env: { OJA_NODE_GRACE_SECONDS: '3' } });
    acme = await cp.tenant();
    globex = await cp.tenant();
    agents = [await startAgent(cp, 'ovl-a'), await startAgent(cp, 'ovl-b'), await startAgent(cp, 'ovl-c')];
  });
  afterAll(async () => {
    for (const a of agents) a.disconnect();
    await cp?.close();
  });

  it("sends each node the addresses of the tenants it runs, from every node, and follows address changes", async () => {
    expect((await cp.request('PUT', '/v1/deployments/web', { token: acme.token, body: spec('web', 3) })).status).toBe(201);
    await waitFor(() => agents.every((a) => a.desiredIds().length === 1), 'one acme instance per agent');
    expect((await cp.request('PUT', '/v1/deployments/db', { token: globex.token, body: spec('db', 1) })).status).toBe(201);
    await waitFor(() => agents.some((a) => a.desiredIds().length === 2), 'the globex instance placed');

    // every instance reports an address derived from its node's subnet
    const ipOf = new Map<string, string>();
    agents.forEach((agent) => {
      agent.desired!.instances.forEach((instance, k) => {
        const ip = agent.registered[0].overlaySubnet.replace(/0\/24$/, String(2 + k));
        ipOf.set(instance.id, ip);
        agent.report(instance.id, { state: 'running', overlayIp: ip });
      });
      expect(agent.registered[0].overlaySubnet).toMatch(/^10\.42\.\d+\.0\/24$/);
    });
    const acmeIps = agents.flatMap((a) => a.desired!.instances.filter((i) => i.tenant === acme.name).map((i) => ipOf.get(i.id)!)).sort();
    const globexIps = agents.flatMap((a) => a.desired!.instances.filter((i) => i.tenant === globex.name).map((i) => ipOf.get(i.id)!));
    const globexNode = agents.find((a) => a.desired!.instances.some((i) => i.tenant === globex.name))!;

    for (const agent of agents) {
      const expected: Record<string, string[]> = { [acme.name]: acmeIps };
      if (agent === globexNode) expected[globex.name] = globexIps;
      await waitFor(() => same(latestSets(agent), expected), `${agent.name}'s tenant sets`);
    }

    // an acme instance exits: every node hears its address is gone
    const gone = agents[1].desired!.instances.find((i) => i.tenant === acme.name)!;
    agents[1].report(gone.id, { state: 'exited', exitCode: 1, overlayIp: ipOf.get(gone.id) });
    const remaining = acmeIps.filter((ip) => ip !== ipOf.get(gone.id));
    for (const agent of [agents[0], agents[2]]) {
      await waitFor(() => same(latestSets(agent)?.[acme.name], remaining), `${agent.name} drops the exited address`);
    }
  });

  it('removes only a down or drained node (admin only), frees its subnet and drops it from the other peer lists', async () => {
    const [a, b, c] = agents;
    const subnetOfC = c.registered[0].overlaySubnet;
    expect((await cp.request('DELETE', '/v1/nodes/ovl-c', { token: acme.token })).status).toBe(403);
    const ready = await cp.request('DELETE', '/v1/nodes/ovl-c', { token: cp.adminToken });
    expect(ready.status).toBe(409);
    expect(ready.body.detail).toMatch(/is ready/);
    expect((await cp.request('DELETE', '/v1/nodes/nope-x', { token: cp.adminToken })).status).toBe(404);
    const bad = await cp.request('DELETE', '/v1/nodes/Bad_Name!', { token: cp.adminToken });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('name');

    c.disconnect();
    await waitFor(async () => (await sql(cp, `SELECT 1 FROM nodes WHERE name = 'ovl-c' AND status = 'down'`)).length === 1 || undefined, 'ovl-c down', 40_000); // the monitor starts counting after grace + agents' reconnect time
    expect((await cp.request('DELETE', '/v1/nodes/ovl-c', { token: cp.adminToken })).status).toBe(204);
    expect(await sql(cp, `SELECT 1 FROM nodes WHERE name = 'ovl-c'`)).toEqual([]);
    for (const agent of [a, b]) {
      await waitFor(() => {
        const peers = agent.peerUpdates[agent.peerUpdates.length - 1] ?? [];
        return !peers.some((p) => p.nodeName === 'ovl-c') && peers.length === 1;
      }, `${agent.name} drops ovl-c as a peer`);
    }
    const events = await sql<{ type: string }>(cp, `SELECT type FROM events WHERE node_name = 'ovl-c' AND type = 'node.removed'`);
    expect(events).toHaveLength(1);

    // the freed /24 is the lowest free one: the next node to join gets it
    const d = await startAgent(cp, 'ovl-d', { token: await joinToken(cp) });
    agents.push(d);
    expect(d.registered[0].overlaySubnet).toBe(subnetOfC);
  });
});
