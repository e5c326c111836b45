import { deploymentSpec, type NodeView } from '@oja/contracts';
import { DataSource } from 'typeorm';
import { EVALUATION_QUEUE, type EvaluationQueue } from '../../../apps/control-plane/src/queue/evaluation-queue';
import { startControlPlane, type TestControlPlane } from '../../support/control-plane';

// Nodes API on real Postgres + Redis: nodes, deployments and instances are inserted directly (no agent).
describe('nodes API', () => {
  let cp: TestControlPlane;
  let ds: DataSource;
  let tenant: { id: string; name: string; token: string };
  let enqueue: jest.SpyInstance;
  let placedDeployment: string;
  let unplaceableDeployment: string;
  const suffix = Math.random().toString(36).slice(2, 8);
  const n1 = `n1-${suffix}.lab`;
  const n2 = `n2-${suffix}.lab`;

  async function insertNode(name: string, octet: number): Promise<string> {
    const [row] = await ds.query(
      `INSERT INTO nodes (name, underlay_address, overlay_subnet, capacity_cpu, capacity_memory_mb, labels, status, last_heartbeat_at, agent_version)
       VALUES ($1, $2, $3, 4, 8192, '{"zone":"a"}', 'ready', now(), '0.1.0') RETURNING id`,
      [name, `192.168.77.${octet}`, `10.42.${octet}.0/24`],
    );
    return row.id;
  }

  async function insertDeployment(name: string, replicas: number, resources: { cpu: number; memoryMb: number }): Promise<string> {
    const spec = deploymentSpec.parse({ name, image: 'oja/busybox:1', replicas, resources });
    const [row] = await ds.query(`INSERT INTO deployments (tenant_id, name, replicas, current_revision) VALUES ($1, $2, $3, 1) RETURNING id`, [
      tenant.id,
      name,
      replicas,
    ]);
    await ds.query(`INSERT INTO revisions (deployment_id, number, spec) VALUES ($1, 1, $2)`, [row.id, JSON.stringify(spec)]);
    return row.id;
  }

  async function insertInstance(deploymentId: string, nodeId: string | null, desired: 'running' | 'stopped'): Promise<void> {
    await ds.query(`INSERT INTO instances (deployment_id, revision, node_id, desired, observed) VALUES ($1, 1, $2, $3, 'running')`, [
      deploymentId,
      nodeId,
      desired,
    ]);
  }

  const generation = async (deploymentId: string): Promise<bigint> =>
    BigInt((await ds.query(`SELECT generation FROM deployments WHERE id = $1`, [deploymentId]))[0].generation);
  const node = async (name: string): Promise<NodeView> => {
    const res = await cp.request('GET', '/v1/nodes', { token: cp.adminToken });
    expect(res.status).toBe(200);
    return res.body.items.find((n: NodeView) => n.name === name);
  };
  const nodeEvents = async (name: string) =>
    (await cp.request('GET', `/v1/events?node=${name}`, { token: cp.adminToken })).body.items.map((e: { type: string }) => e.type);

  beforeAll(async () => {
    // No agent heartbeats here: a long grace keeps the inserted nodes from being marked down mid-test.
    cp = await startControlPlane({ env: { OJA_NODE_GRACE_SECONDS: '3600' } });
    ds = cp.app.get(DataSource);
    tenant = await cp.tenant();
    const node1 = await insertNode(n1, 11);
    await insertNode(n2, 12);
    // The real scheduler runs alongside: "placed" is already satisfied on n1 and "unplaceable" fits
    // no node, so neither moves until the test drains n1.
    placedDeployment = await insertDeployment('placed', 2, { cpu: 0.25, memoryMb: 64 });
    unplaceableDeployment = await insertDeployment('unplaceable', 1, { cpu: 64, memoryMb: 262144 });
    await insertInstance(placedDeployment, node1, 'running');
    await insertInstance(placedDeployment, node1, 'running');
    await insertInstance(placedDeployment, node1, 'stopped'); // on its way out: reserves nothing
    await insertInstance(unplaceableDeployment, null, 'running'); // waits for a node
    enqueue = jest.spyOn(cp.app.get<EvaluationQueue>(EVALUATION_QUEUE), 'enqueue');
  });
  afterAll(() => cp?.close());
  beforeEach(() => enqueue.mockClear());
  const enqueued = () => enqueue.mock.calls.map(([id]) => id);

  it('lists nodes with capacity, what running instances reserve, and heartbeat', async () => {
    expect(await node(n1)).toEqual({
      name: n1,
      status: 'ready',
      drained: false,
      underlayAddress: '192.168.77.11',
      overlaySubnet: '10.42.11.0/24',
      labels: { zone: 'a' },
      capacity: { cpu: 4, memoryMb: 8192 },
      allocated: { cpu: 0.5, memoryMb: 128 },
      instances: 2,
      dedicatedTenant: null,
      lastHeartbeatAt: expect.any(String),
      agentVersion: '0.1.0',
    });
    expect(await node(n2)).toMatchObject({ allocated: { cpu: 0, memoryMb: 0 }, instances: 0 });
  });

  it('is for the admin only', async () => {
    expect((await cp.request('GET', '/v1/nodes', { token: tenant.token })).status).toBe(403);
    expect((await cp.request('POST', `/v1/nodes/${n1}/drain`, { token: tenant.token })).status).toBe(403);
    expect((await cp.request('GET', '/v1/nodes')).status).toBe(401);
  });

  it("dedicates a node to a tenant: event, and evaluations for the tenant's waiting instances", async () => {
    const dedicated = await cp.request('POST', `/v1/nodes/${n2}/dedicate`, { token: cp.adminToken, body: { tenant: tenant.name } });
    expect(dedicated.status).toBe(200);
    expect(dedicated.body.dedicatedTenant).toBe(tenant.name);
    expect((await node(n2)).dedicatedTenant).toBe(tenant.name);
    expect(await nodeEvents(n2)).toContain('node.dedicate');
    expect(enqueued()).toEqual([unplaceableDeployment]);
  });

  it('undedicates it: open to all, an event, evaluations for waiting instances', async () => {
    const open = await cp.request('POST', `/v1/nodes/${n2}/undedicate`, { token: cp.adminToken });
    expect(open.status).toBe(200);
    expect(open.body.dedicatedTenant).toBeNull();
    expect(await nodeEvents(n2)).toContain('node.undedicate');
    expect(enqueued()).toEqual([unplaceableDeployment]);
  });

  it('drains a node: status draining, a node.drain event, evaluations for the deployments on it', async () => {
    const before = await generation(placedDeployment);
    const res = await cp.request('POST', `/v1/nodes/${n1}/drain`, { token: cp.adminToken });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: n1, status: 'draining' });
    expect(await nodeEvents(n1)).toContain('node.drain');
    expect(enqueued()).toEqual([placedDeployment]);
    // Bumped, so a worker already evaluating it (with the node still ready) evaluates again.
    expect(await generation(placedDeployment)).toBe(before + 1n);
  });

  it('undrains it: ready again, a node.undrain event, evaluations for waiting instances', async () => {
    const res = await cp.request('POST', `/v1/nodes/${n1}/undrain`, { token: cp.adminToken });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ready');
    expect(await nodeEvents(n1)).toContain('node.undrain');
    expect(enqueued()).toContain(unplaceableDeployment);
  });

  it('answers 404 for an unknown node or tenant, 400 for bad input, naming the field', async () => {
    const unknownNode = await cp.request('POST', '/v1/nodes/nope/drain', { token: cp.adminToken });
    expect(unknownNode.status).toBe(404);
    expect(unknownNode.body.detail).toBe('node "nope" not found');

    const unknownTenant = await cp.request('POST', `/v1/nodes/${n2}/dedicate`, { token: cp.adminToken, body: { tenant: 'no-such-tenant' } });
    expect(unknownTenant.status).toBe(404);
    expect(unknownTenant.body.detail).toBe('tenant "no-such-tenant" not found');
    expect(unknownTenant.body.errors[0].path).toBe('tenant');
    expect((await node(n2)).dedicatedTenant).toBeNull();

    for (const body of [{}, { tenant: 'Not A Label' }, { tenant: 'a', extra: 1 }]) {
      const res = await cp.request('POST', `/v1/nodes/${n2}/dedicate`, { token: cp.adminToken, body });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(res.body.errors.map((e: { path: string }) => e.path).join(' ')).toMatch(/tenant|extra/);
    }
    const badName = await cp.request('POST', '/v1/nodes/Bad_Node/drain', { token: cp.adminToken });
    expect(badName.status).toBe(400);
    expect(badName.body.errors[0].path).toBe('name');
  });
});
