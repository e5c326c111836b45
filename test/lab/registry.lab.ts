import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { OverlayCluster, type Tenant } from './overlay-cluster';
import { hostPaths, RUN_DIR } from './plan';
import { waitFor } from './processes';

// The lab's authenticated registry (htpasswd) on the bridge: an image pushed there runs on agents that pull it with
// a tenant's registry credential; a wrong password fails the instance with a clear reason and an event, and the
// password shows up in no event, instance view or log.
describe('private registry pulls through registry credentials', () => {
  let cluster: OverlayCluster;
  let tenant: Tenant;
  const repo = `ojalab-${randomBytes(4).toString('hex')}/web`;
  let image: string;
  /** Same content under another tag: after `priv` pulled `image`, hosts still have to pull this one. */
  let otherTag: string;
  const wrongPassword = `wrong-${randomBytes(8).toString('hex')}`;

  beforeAll(async () => {
    cluster = await OverlayCluster.start(2);
    const { address, username, password } = cluster.lab.registry;
    image = `${address}/${repo}:1`;
    otherTag = `${address}/${repo}:2`;
    // push from host 1, then drop the tag there: no host has the image until an agent pulls it
    await cluster.lab.docker(1, ['login', address, '-u', username, '--password-stdin'], { input: password });
    for (const tag of [image, otherTag]) {
      await cluster.lab.docker(1, ['tag', cluster.lab.image, tag]);
      await cluster.lab.docker(1, ['push', tag], { timeoutMs: 120_000 });
      await cluster.lab.docker(1, ['rmi', tag]);
    }
    await cluster.lab.docker(1, ['logout', address]);
    tenant = await cluster.tenant('regi');
    for (const [name, pass] of [['lab', password], ['wrong', wrongPassword]]) {
      const res = await cluster.api('POST', '/v1/registry-credentials', { name, server: address, username, password: pass }, tenant.token);
      if (res.status !== 201) throw new Error(`credential ${name}: ${res.status} ${JSON.stringify(res.body)}`);
    }
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  const spec = (name: string, replicas: number, registryCredential: string, ref = image) => ({
    name,
    image: ref,
    replicas,
    command: ['httpd', '-f', '-p', '8080', '-h', '/www'],
    resources: { cpu: 0.1, memoryMb: 32 },
    registryCredential,
  });

  it('runs the private image on every host, pulled with the credential', async () => {
    await cluster.deploy(tenant, spec('priv', 2, 'lab'));
    const running = await cluster.waitRunning(tenant, 'priv', 2);
    expect(new Set(running.map((i) => cluster.hostOf(i)))).toEqual(new Set([1, 2]));
    for (const n of [1, 2]) {
      const { stdout } = await cluster.lab.docker(n, ['image', 'inspect', '--format', '{{.Id}}', image]);
      expect(stdout.trim()).toMatch(/^sha256:/);
    }
  });

  it('fails the instance with a clear reason and an event on a wrong password, never revealing it', async () => {
    await cluster.deploy(tenant, spec('bad', 1, 'wrong', otherTag));
    const failed = await waitFor('the bad instance failed', async () => {
      const [instance] = await cluster.instances(tenant, 'bad');
      return instance?.state === 'failed' && instance.reason ? instance : undefined;
    }, 120_000);
    expect(failed.reason).toMatch(/pull/i);
    expect(failed.reason).toMatch(/auth|denied|unauthorized|credential/i);

    const events = await waitFor('an instance.failed event', async () => {
      const res = await cluster.api('GET', '/v1/events?deployment=bad', undefined, tenant.token);
      return res.body.items.some((e: { type: string }) => e.type === 'instance.failed') ? res.body.items : undefined;
    });
    expect(JSON.stringify(events)).not.toContain(wrongPassword);
    expect(JSON.stringify(await cluster.instances(tenant, 'bad'))).not.toContain(wrongPassword);

    const logs = [`${RUN_DIR}/control-plane.log`, ...[1, 2].map((n) => `${hostPaths(n).logs}/agent.log`)];
    for (const file of logs) {
      const text = readFileSync(file, 'utf8');
      expect(text).not.toContain(wrongPassword);
      expect(text).not.toContain(cluster.lab.registry.password);
    }
  });
});
