import { startPrivateRegistry, type PrivateRegistry } from './private-registry';
import { desiredInstance, nodeContainers, removeNodeContainers, startReconciler, uniqueNode, waitFor, type RunningReconciler } from './support';

/** Images from a private registry with credentials: pulled only when absent, failures reported plainly. */
describe('agent runtime: private registry pulls', () => {
  const node = uniqueNode('pull');
  const password = `pw-${node}`;
  let registry: PrivateRegistry;
  let agent: RunningReconciler;
  let image: string;

  beforeAll(async () => {
    registry = await startPrivateRegistry('acme', password);
    image = await registry.push('oja/busybox:1', `acme/${node}:1`);
    agent = await startReconciler(node);
  });

  afterAll(async () => {
    await agent?.reconciler.stop();
    await removeNodeContainers(node);
    await registry?.stop();
  });

  const auth = (pw: string) => ({ server: registry.address, username: registry.username, password: pw });

  it('pulls with the right credentials and runs; reports bad credentials, missing images and missing credentials clearly', async () => {
    const good = desiredInstance({ deployment: 'good', image, registryAuth: auth(password) });
    const badPassword = desiredInstance({ deployment: 'badpw', image: `${registry.address}/acme/other-${node}:1`, registryAuth: auth('wrong') });
    const missing = desiredInstance({ deployment: 'missing', image: `${registry.address}/acme/nope-${node}:1`, registryAuth: auth(password) });
    const anonymous = desiredInstance({ deployment: 'anon', image: `${registry.address}/acme/anon-${node}:1` });
    await agent.reconciler.apply(1, [good, badPassword, missing, anonymous]);

    await waitFor(() => agent.report(good.id)?.state === 'running', 'pulled instance running');
    expect(agent.report(badPassword.id)).toMatchObject({ state: 'failed', containerId: null });
    expect(agent.report(badPassword.id)!.reason).toMatch(/^pull denied: bad credentials \(retrying in 1s\)$/);
    expect(agent.report(missing.id)!.reason).toBe(`image not found: ${missing.image} (retrying in 1s)`);
    expect(agent.report(anonymous.id)!.reason).toBe(`pull denied: ${anonymous.image} needs registry credentials (retrying in 1s)`);
    for (const r of agent.reconciler.observed()) expect(JSON.stringify(r)).not.toContain(password);
    expect((await nodeContainers(node)).map((c) => c.Image)).toEqual([image]);
  });
});
