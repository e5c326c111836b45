import { desiredInstance, docker, nodeUnderTest, removeNodeContainers, waitFor } from './support';

/** Instances attached to a named bridge network (the overlay network in production) report their IP on it. */
describe('agent runtime: networks', () => {
  const ctx = nodeUnderTest('net');
  const network = `oja-${ctx.node}`;
  afterAll(async () => {
    await removeNodeContainers(ctx.node); // the network can go only once nothing is attached
    await docker.getNetwork(network).remove().catch(() => undefined);
  });

  it('creates the network once and attaches containers to it', async () => {
    const { agent } = ctx;
    await agent.runtime.ensureNetwork(network);
    await agent.runtime.ensureNetwork(network);
    expect((await docker.listNetworks({ filters: { name: [network] } })).filter((n) => n.Name === network)).toHaveLength(1);

    const d = desiredInstance({ network, health: { tcp: { port: 8080 }, intervalSeconds: 1, timeoutSeconds: 1, failureThreshold: 2, initialDelaySeconds: 0 } });
    await agent.reconciler.apply(1, [d]);
    await waitFor(() => agent.report(d.id)?.state === 'healthy', 'healthy on the network');
    const info = await docker.getContainer(agent.report(d.id)!.containerId!).inspect();
    expect(Object.keys(info.NetworkSettings.Networks)).toEqual([network]);
    expect(agent.report(d.id)!.overlayIp).toBe(info.NetworkSettings.Networks[network].IPAddress);
  });
});
