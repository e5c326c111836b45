import { DataSource } from 'typeorm';
import { startControlPlane, type TestControlPlane } from '../../support/control-plane';
import { specDoc, uniqueName } from '../../support/specs';

/** Another tenant's resource is a 404, indistinguishable from a missing one, on every verb; nothing changes. */
describe("another tenant's resources", () => {
  let cp: TestControlPlane;
  let owner: { token: string };
  let intruder: { token: string };
  const name = uniqueName();

  beforeAll(async () => {
    cp = await startControlPlane();
    owner = await cp.tenant();
    intruder = await cp.tenant();
    expect((await cp.request('PUT', `/v1/deployments/${name}`, { token: owner.token, body: specDoc({ image: 'oja/busybox:1' }) })).status).toBe(201);
    expect((await cp.request('PUT', `/v1/deployments/${name}`, { token: owner.token, body: specDoc({ image: 'oja/busybox:2' }) })).status).toBe(200);
  });
  afterAll(() => cp?.close());

  const verbs: { verb: string; method: string; suffix: string; body?: unknown }[] = [
    { verb: 'get', method: 'GET', suffix: '' },
    { verb: 'scale', method: 'PATCH', suffix: '/scale', body: { replicas: 1 } },
    { verb: 'delete', method: 'DELETE', suffix: '' },
    { verb: 'revisions', method: 'GET', suffix: '/revisions' },
    { verb: 'rollback', method: 'POST', suffix: '/rollback', body: {} },
    { verb: 'pause', method: 'POST', suffix: '/pause' },
    { verb: 'resume', method: 'POST', suffix: '/resume' },
    { verb: 'instances', method: 'GET', suffix: '/instances' },
  ];

  it.each(verbs)('$verb answers exactly as for a missing deployment', async ({ method, suffix, body }) => {
    const theirs = await cp.request(method, `/v1/deployments/${name}${suffix}`, { token: intruder.token, body });
    const missing = await cp.request(method, `/v1/deployments/${uniqueName()}${suffix}`, { token: intruder.token, body });
    expect(theirs.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(theirs.headers.get('content-type')).toContain('application/problem+json');
    // Same shape, only the name differs.
    expect(theirs.body.title).toBe(missing.body.title);
    expect(theirs.body.detail.replace(name, 'X')).toBe(missing.body.detail.replace(/d-[0-9a-f]{8}/, 'X'));
  });

  it('a put with the same name makes the intruder its own deployment, not an update of the owner\'s', async () => {
    const res = await cp.request('PUT', `/v1/deployments/${name}`, { token: intruder.token, body: specDoc({ image: 'evil/image:1', replicas: 1 }) });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ revision: 1, replicas: 1 });
    const mine = await cp.request('GET', `/v1/deployments/${name}`, { token: owner.token });
    expect(mine.body).toMatchObject({ revision: 2, replicas: 2, spec: { image: 'oja/busybox:2' } });
    await cp.request('DELETE', `/v1/deployments/${name}`, { token: intruder.token });
  });

  it("leaves the owner's deployment untouched and lists only one's own", async () => {
    const mine = await cp.request('GET', `/v1/deployments/${name}`, { token: owner.token });
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({ revision: 2, replicas: 2, paused: false, generation: 2 });
    const revisions = await cp.request('GET', `/v1/deployments/${name}/revisions`, { token: owner.token });
    expect(revisions.body.items).toHaveLength(2);
    const theirList = await cp.request('GET', '/v1/deployments', { token: intruder.token });
    expect(theirList.body.items.map((d: { name: string }) => d.name)).not.toContain(name);
    const rows = await cp.app.get(DataSource).query(`SELECT count(*)::int AS n FROM deployments WHERE name = $1`, [name]);
    expect(rows[0].n).toBe(1);
  });

  it("cannot revoke another tenant's token", async () => {
    const minted = await cp.request('POST', '/v1/tokens', { token: owner.token, body: {} });
    const res = await cp.request('DELETE', `/v1/tokens/${minted.body.id}`, { token: intruder.token });
    expect(res.status).toBe(404);
    expect((await cp.request('GET', '/v1/deployments', { token: minted.body.token })).status).toBe(200);
  });
});
