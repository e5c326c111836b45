import { startPrivateRegistry, type PrivateRegistry } from './private-registry';
import { desiredInstance, docker, nodeContainers, nodeUnderTest, waitFor, type RunningReconciler } from './support';

/** Images from a private registry with credentials: pulled only when absent, failures reported plainly. */
describe('agent runtime: private registry pulls', () => {
  const ctx = nodeUnderTest('pull');
  const node = ctx.node;
  const password = `pw-${node}`;
  let registry: PrivateRegistry;
  let agent: RunningReconciler;
  let image: string;

  beforeAll(async () => {
    registry = await startPrivateRegistry('acme', password);
    image = await registry.push('oja/busybox:1', `acme/${node}:1`);
    agent = ctx.agent;
  });
  afterAll(async () => {
    await registry?.stop();
  });

  /** The reason plus the back-off note (a slow apply may already have retried, so any delay). */
  const failedWith = (reason: string) => new RegExp(`^${reason.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(retrying in \\d+s\\)$`);
  const auth = (pw: string) => ({ server: registry.address, username: registry.username, password: pw });

  it('pulls with the right credentials, reports the pull and runs; reports bad credentials, missing images and missing credentials clearly', async () => {
    const good = desiredInstance({ deployment: 'good', image, registryAuth: auth(password) });
    const badPassword = desiredInstance({ deployment: 'badpw', image: `${registry.address}/acme/other-${node}:1`, registryAuth: auth('wrong') });
    const missing = desiredInstance({ deployment: 'missing', image: `${registry.address}/acme/nope-${node}:1`, registryAuth: auth(password) });
    const anonymous = desiredInstance({ deployment: 'anon', image: `${registry.address}/acme/anon-${node}:1` });
    await agent.reconciler.apply(1, [good, badPassword, missing, anonymous]);

    await waitFor(() => agent.report(good.id)?.state === 'running', 'pulled instance running');
    expect(agent.report(badPassword.id)).toMatchObject({ state: 'failed', containerId: null });
    expect(agent.report(badPassword.id)!.reason).toMatch(failedWith('pull denied: bad credentials'));
    expect(agent.report(missing.id)!.reason).toMatch(failedWith(`image not found: ${missing.image}`));
    expect(agent.report(anonymous.id)!.reason).toMatch(failedWith(`pull denied: ${anonymous.image} needs registry credentials`));
    // The pull is reported once (the control plane records it as instance.pulled); failed pulls are not.
    expect(agent.reports.filter((r) => r.pulledImage).map((r) => [r.id, r.pulledImage])).toEqual([[good.id, image]]);
    for (const r of agent.reconciler.observed()) expect(JSON.stringify(r)).not.toContain(password);
    expect((await nodeContainers(node)).map((c) => c.Image)).toEqual([image]);
  });

  it('reports a pull that fails after it started (a layer missing from the registry)', async () => {
    // An image with a layer of its own, so nothing of it can come from the local cache.
    const builder = await docker.createContainer({ Image: 'oja/busybox:1', Cmd: ['sh', '-c', `echo ${node} > /unique`] });
    await builder.start();
    await builder.wait();
    const local = `oja-e2e/${node}:unique`;
    await builder.commit({ repo: `oja-e2e/${node}`, tag: 'unique' });
    await builder.remove();
    const broken = await registry.push(local, `acme/broken-${node}:1`);
    await docker.getImage(local).remove();
    await registry.breakTopLayer(`acme/broken-${node}:1`);

    // (apply also removes the first test's instances, which takes a grace period: a retry may come first.)
    const d = desiredInstance({ deployment: 'broken', image: broken, registryAuth: auth(password) });
    await agent.reconciler.apply(2, [d]);
    expect(agent.report(d.id)).toMatchObject({ state: 'failed', containerId: null });
    expect(agent.report(d.id)!.reason).toMatch(new RegExp(`^(image not found: ${broken}|pull failed: ${broken}: .+) \\(retrying in \\d+s\\)$`));
  });
});
