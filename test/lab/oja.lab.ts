import { randomBytes } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { deleteRedisKeys } from '../support/control-plane';
import { redisUrl, secretKeyHex } from '../support/env';
import { Lab, type ControlPlane } from './lab';
import { waitFor } from './processes';

// The lab's hooks for the real binaries: oja-control-plane in the root netns on the bridge,
// oja-agent inside a lab host, joining over the underlay. Needs `npx nx run-many -t build` first
// (Lab.startControlPlane/startAgent fail with "not built" otherwise).
describe('oja binaries in the lab', () => {
  let lab: Lab;
  let database: TestDatabase;
  let controlPlane: ControlPlane;
  const adminToken = `oja_admin_${randomBytes(16).toString('hex')}`;
  const queuePrefix = `ojalab-${randomBytes(5).toString('hex')}`;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(controlPlane.httpUrl + path, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const nodeStatus = async (name: string) => (await api('GET', '/v1/nodes')).body.items.find((n: { name: string }) => n.name === name);

  beforeAll(async () => {
    database = await createTestDatabase();
    lab = await Lab.up({ hosts: 2 });
    controlPlane = await lab.startControlPlane({
      env: {
        OJA_DATABASE_URL: database.url,
        OJA_REDIS_URL: redisUrl(),
        OJA_SECRET_KEY: secretKeyHex(),
        OJA_ADMIN_TOKEN: adminToken,
        OJA_QUEUE_PREFIX: queuePrefix,
        // Short, so the killed agent is seen down quickly; twice the 2 s heartbeat, so a late one on a loaded machine is no outage.
        OJA_NODE_GRACE_SECONDS: '4',
      },
    });
  });
  afterAll(async () => {
    await lab?.down();
    await database?.drop();
    await deleteRedisKeys(queuePrefix);
  });

  it('serves the control plane on the bridge address', async () => {
    expect(controlPlane.httpUrl).toMatch(/^http:\/\/192\.168\.78\.1:\d+$/);
    expect((await fetch(`${controlPlane.httpUrl}/healthz`)).status).toBe(200);
  });

  it('joins an agent on host 2 over the underlay; a killed agent goes down and comes back from its data dir', async () => {
    const joinToken = await api('POST', '/v1/join-tokens', {});
    expect(joinToken.status).toBe(201);
    lab.startAgent(2, { join: controlPlane.grpcAddress, token: joinToken.body.token });
    const joined = await waitFor('ojahost2 ready', async () => {
      const node = await nodeStatus('ojahost2');
      return node?.status === 'ready' ? node : undefined;
    }, 60_000);
    expect(joined.underlayAddress).toBe(lab.hostAddress(2));

    await lab.killAgent(2);
    await waitFor('ojahost2 down', async () => (await nodeStatus('ojahost2'))?.status === 'down', 60_000);

    lab.startAgent(2); // no token: the data dir holds its identity
    await waitFor('ojahost2 ready again', async () => (await nodeStatus('ojahost2'))?.status === 'ready', 60_000);
  });
});
