import { httpdSpec, OverlayCluster, type Tenant } from './overlay-cluster';
import { waitFor } from './processes';
import { containersByHost, containersOn, measurePartition, waitConverged } from './scheduling-failover';

const HOSTS = 3;
const REPLICAS = 6;
const GRACE_SECONDS = 4;
/** Moves (drain, dedicate) replace up to 3 at a time, still new-before-old: keeps the run short. */
const UPDATE = { update: { maxSurge: 3, maxUnavailable: 0 } };

// Scheduling for real: the built control plane, a real agent and dockerd per host. Counts are taken from each
// host's dockerd (containers by oja labels), not only from the API.
describe('scheduling across 3 lab hosts: failure, recovery, drain, dedicated hosts', () => {
  let cluster: OverlayCluster;
  let acme: Tenant;
  let startedAt: number;
  const hostWithMost = async (tenant: Tenant, deployment: string, among: number[]) => {
    const byHost = await containersByHost(cluster, HOSTS, tenant, deployment);
    return among.reduce((best, n) => ((byHost.get(n)?.length ?? 0) > (byHost.get(best)?.length ?? 0) ? n : best));
  };
  const nodeAction = async (n: number, action: string, body: Record<string, unknown> = {}) => {
    const res = await cluster.api('POST', `/v1/nodes/${cluster.lab.hostName(n)}/${action}`, body);
    if (res.status !== 200) throw new Error(`${action} host ${n}: ${res.status} ${JSON.stringify(res.body)}`);
  };

  beforeAll(async () => {
    startedAt = Date.now();
    cluster = await OverlayCluster.start(HOSTS, { env: { OJA_NODE_GRACE_SECONDS: String(GRACE_SECONDS) } });
    acme = await cluster.tenant('acme');
    await cluster.deploy(acme, httpdSpec('web', REPLICAS, 'acme-web', UPDATE));
    await cluster.waitRunning(acme, 'web', REPLICAS);
    await waitConverged(cluster, HOSTS, acme, 'web', REPLICAS);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('replaces the instances of a partitioned host on the others; after the heal its stale copies are stopped', async () => {
    const host = await hostWithMost(acme, 'web', [1, 2, 3]);
    const stale = await containersOn(cluster, host, acme, 'web');
    expect(stale.length).toBeGreaterThan(0);
    // The node monitor judges silence only from grace + the agents' reconnect time (10 s) after its start: the
    // logged time would include that wait otherwise.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, startedAt + (GRACE_SECONDS + 11) * 1000 - Date.now())));
    const measured = await measurePartition(cluster, acme, 'web', REPLICAS, host, GRACE_SECONDS);
    console.log(`partition of host ${host}: ${JSON.stringify(measured)}`);
    // Cut off, the host still runs its copies: the plan's count is restored on the others.
    const others = [1, 2, 3].filter((n) => n !== host);
    const running = await containersByHost(cluster, HOSTS, acme, 'web');
    expect(others.flatMap((n) => running.get(n) ?? []).length).toBeGreaterThanOrEqual(REPLICAS);

    await cluster.lab.heal(host);
    await waitFor(`host ${host} ready again`, async () => (await cluster.node(host))?.status === 'ready', 90_000);
    const converged = await waitConverged(cluster, HOSTS, acme, 'web', REPLICAS, [host]);
    expect([...converged.values()].flat().filter((id) => stale.includes(id))).toEqual([]);
  });

  it('an agent dead for longer than the grace period comes back without duplicates', async () => {
    const host = await hostWithMost(acme, 'web', [1, 2, 3]);
    const before = await containersOn(cluster, host, acme, 'web');
    expect(before.length).toBeGreaterThan(0);
    await cluster.lab.killAgent(host);
    await waitFor(`host ${host} down`, async () => (await cluster.node(host))?.status === 'down', 60_000);
    // Its containers outlive the agent; the others take over the plan's count.
    await waitFor('replacements running', async () => {
      const rows = (await cluster.instances(acme, 'web')).filter((i) => i.node !== cluster.lab.hostName(host) && ['running', 'healthy'].includes(i.state));
      return rows.length === REPLICAS;
    }, 120_000);
    expect(await containersOn(cluster, host, acme, 'web')).toEqual(expect.arrayContaining(before));

    cluster.startAgent(host);
    await waitFor(`host ${host} ready again`, async () => (await cluster.node(host))?.status === 'ready', 90_000);
    await waitConverged(cluster, HOSTS, acme, 'web', REPLICAS, [host]);
  });

  it('drains a host: its containers move and none is left on it; undrained it takes new ones', async () => {
    const host = await hostWithMost(acme, 'web', [1, 2, 3]);
    await nodeAction(host, 'drain');
    await waitConverged(cluster, HOSTS, acme, 'web', REPLICAS, [host]);
    expect((await cluster.instances(acme, 'web')).filter((i) => i.node === cluster.lab.hostName(host))).toEqual([]);
    await nodeAction(host, 'undrain');
    await cluster.deploy(acme, httpdSpec('spread', HOSTS, 'acme-spread', UPDATE));
    const spread = await waitConverged(cluster, HOSTS, acme, 'spread', HOSTS);
    expect(spread.get(host)).toHaveLength(1);
  });

  it("dedicates a host to a tenant: other tenants' containers leave it, the tenant's stay", async () => {
    const globex = await cluster.tenant('globex');
    await cluster.deploy(globex, httpdSpec('db', HOSTS, 'globex-db', UPDATE));
    const before = await waitConverged(cluster, HOSTS, globex, 'db', HOSTS);
    const host = await hostWithMost(acme, 'web', [1, 2, 3]);
    const globexOnHost = before.get(host) ?? [];
    expect(globexOnHost).toHaveLength(1);

    await nodeAction(host, 'dedicate', { tenant: globex.name });
    await waitConverged(cluster, HOSTS, acme, 'web', REPLICAS, [host]);
    await waitConverged(cluster, HOSTS, acme, 'spread', HOSTS, [host]);
    expect(await containersOn(cluster, host, globex, 'db')).toEqual(globexOnHost);
    await nodeAction(host, 'undedicate');
  });

  it("keeps a dedicated tenant's instance pending with a reason when its hosts are full, never on a shared host", async () => {
    const name = `solo-${Date.now().toString(36)}`;
    const created = await cluster.api('POST', '/v1/tenants', { name, dedicated: true });
    expect(created.status).toBe(201);
    const tenant: Tenant = { name, token: created.body.token };
    const own = await hostWithMost(acme, 'web', [1, 2, 3]);
    await nodeAction(own, 'dedicate', { tenant: tenant.name });
    const nodes: { name: string; capacity: { memoryMb: number } }[] = (await cluster.api('GET', '/v1/nodes')).body.items;
    const capacity = nodes.find((node) => node.name === cluster.lab.hostName(own))!.capacity.memoryMb;
    // Two instances that each take over half the host: one fits, one waits.
    const memoryMb = Math.floor(capacity * 0.6);
    await cluster.deploy(tenant, httpdSpec('big', 2, 'solo-big', { resources: { cpu: 0.1, memoryMb } }));
    await cluster.waitRunning(tenant, 'big', 1);
    const waiting = await waitFor('a pending instance with a reason', async () =>
      (await cluster.instances(tenant, 'big')).find((i) => i.node === null && i.reason), 60_000);
    expect(waiting.reason).toBe(`no node with ${memoryMb} MiB free among 1 eligible`);
    const byHost = await containersByHost(cluster, HOSTS, tenant, 'big');
    expect(byHost.get(own)).toHaveLength(1);
    expect([...byHost.values()].flat()).toHaveLength(1);
    const events = await cluster.api('GET', '/v1/events?deployment=big', undefined, tenant.token);
    expect(events.body.items.map((e: { type: string }) => e.type)).toContain('instance.pending');
  });
});
