import * as grpc from '@grpc/grpc-js';
import { startControlPlane, type TestControlPlane } from '../../support/control-plane';
import { FakeAgent, waitFor } from '../../support/fake-agent';
import { grpcAddress, joinToken, spec, sql, startAgent } from './cluster';

describe('overlay subnets', () => {
  let cp: TestControlPlane;
  const agents: FakeAgent[] = [];

  beforeAll(async () => {
    // Room for exactly two nodes.
    cp = await startControlPlane({ env: { OJA_OVERLAY_CIDR: '10.77.4.0/23' } });
  });
  afterAll(async () => {
    for (const a of agents) a.disconnect();
    await cp?.close();
  });

  it('gives each node the lowest free /24, keeps it across reconnects, and says so clearly when the pool is exhausted', async () => {
    const first = await startAgent(cp, 'ipam-1');
    const second = await startAgent(cp, 'ipam-2');
    agents.push(first, second);
    expect(first.registered[0]).toMatchObject({ overlaySubnet: '10.77.4.0/24', overlayCidr: '10.77.4.0/23' });
    expect(second.registered[0].overlaySubnet).toBe('10.77.5.0/24');

    first.disconnect();
    first.connect();
    await waitFor(() => first.registered[1], 'a second Registered');
    expect(first.registered[1].overlaySubnet).toBe('10.77.4.0/24');

    const third = new FakeAgent({ address: grpcAddress(cp), name: 'ipam-3' });
    agents.push(third);
    await third.join(await joinToken(cp));
    third.connect();
    await waitFor(() => third.streamError, 'the stream to be refused');
    expect(third.streamError).toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, details: 'overlay 10.77.4.0/23 has no free /24 left (all 2 allocated)' });
    expect(third.registered).toEqual([]);
  });

  it('keeps the refused node down with an event, and places nothing on it', async () => {
    const third = agents[2];
    // It keeps trying, as an agent does: still refused, and the event is not repeated.
    third.connect();
    await waitFor(() => third.streamError, 'the second attempt to be refused');
    expect(third.streamError?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const [node] = await sql(cp, `SELECT status, overlay_subnet FROM nodes WHERE id = $1`, [third.nodeId]);
    expect(node).toEqual({ status: 'down', overlay_subnet: null });
    const events = await sql(cp, `SELECT type, message FROM events WHERE node_id = $1 ORDER BY id`, [third.nodeId]);
    expect(events).toEqual([
      { type: 'node.joined', message: 'node ipam-3 joined' },
      { type: 'node.refused', message: 'node ipam-3 refused: overlay 10.77.4.0/23 has no free /24 left (all 2 allocated)' },
    ]);

    // Spread over every eligible node: three replicas land on the two with a subnet only.
    const tenant = await cp.tenant();
    const res = await cp.request('PUT', '/v1/deployments/ipam-web', { token: tenant.token, body: spec('ipam-web', 3) });
    expect(res.status).toBe(201);
    const placed = await waitFor(async () => {
      const rows = await sql<{ node: string | null }>(
        cp, `SELECT n.name AS node FROM instances i LEFT JOIN nodes n ON n.id = i.node_id WHERE i.desired = 'running' ORDER BY n.name`,
      );
      return rows.length === 3 && rows.every((r) => r.node) && rows.map((r) => r.node);
    }, 'three instances placed');
    expect(new Set(placed)).toEqual(new Set(['ipam-1', 'ipam-2']));
  });
});
