import * as grpc from '@grpc/grpc-js';
import { startControlPlane, type TestControlPlane } from '../../support/control-plane';
import { FakeAgent, waitFor } from '../../support/fake-agent';
import { grpcAddress, joinToken, startAgent } from './cluster';

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
});
