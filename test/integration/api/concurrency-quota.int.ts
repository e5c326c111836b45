import { DataSource } from 'typeorm';
import { startControlPlane, type TestControlPlane } from '../../support/control-plane';
import { specDoc, uniqueName } from '../../support/specs';

describe('concurrent applies and quotas', () => {
  let cp: TestControlPlane;
  beforeAll(async () => {
    cp = await startControlPlane();
  });
  afterAll(() => cp?.close());

  it('20 parallel applies with different specs number revisions 1..k without gaps or duplicates; the last write wins', async () => {
    const { token } = await cp.tenant();
    const name = uniqueName();
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => cp.request('PUT', `/v1/deployments/${name}`, { token, body: specDoc({ image: `oja/busybox:${i + 1}` }) })),
    );
    expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 200)).toHaveLength(19);
    // Each apply saw a distinct state: all 20 specs differ, so each made its own revision.
    const answered = responses.map((r) => r.body.revision).sort((a, b) => a - b);
    expect(answered).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));

    const revisions = await cp.request('GET', `/v1/deployments/${name}/revisions`, { token });
    const numbers = revisions.body.items.map((r: { revision: number }) => r.revision).sort((a: number, b: number) => a - b);
    expect(numbers).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const images = new Set(revisions.body.items.map((r: { spec: { image: string } }) => r.spec.image));
    expect(images.size).toBe(20);

    // The current revision is the newest one, and the deployment shows its spec.
    const current = await cp.request('GET', `/v1/deployments/${name}`, { token });
    const newest = revisions.body.items.find((r: { revision: number }) => r.revision === 20);
    expect(current.body).toMatchObject({ revision: 20, spec: { image: newest.spec.image }, generation: 20 });
    expect(revisions.body.items.filter((r: { current: boolean }) => r.current)).toEqual([newest]);
  });

  it('parallel identical applies create one deployment and one revision', async () => {
    const { token } = await cp.tenant();
    const name = uniqueName();
    const responses = await Promise.all(Array.from({ length: 10 }, () => cp.request('PUT', `/v1/deployments/${name}`, { token, body: specDoc() })));
    expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
    expect(responses.every((r) => r.status === 201 || r.status === 200)).toBe(true);
    expect(new Set(responses.map((r) => r.body.revision))).toEqual(new Set([1]));
  });

  it('refuses an apply past the instance quota with 422 naming the limit, changing nothing', async () => {
    const { token } = await cp.tenant(uniqueName('q'), { quota: { instances: 10 } });
    expect((await cp.request('PUT', '/v1/deployments/a', { token, body: specDoc({ replicas: 6 }) })).status).toBe(201);
    const res = await cp.request('PUT', '/v1/deployments/b', { token, body: specDoc({ replicas: 6 }) });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.detail).toContain('quota.instances: 12 requested, limit 10');
    expect(res.body.errors).toEqual([{ path: 'quota.instances', message: '12 requested, limit 10' }]);
    expect((await cp.request('GET', '/v1/deployments/b', { token })).status).toBe(404);
    // Updating a itself counts a's new replicas instead of its old ones: 10 fits exactly.
    const grow = await cp.request('PUT', '/v1/deployments/a', { token, body: specDoc({ replicas: 10 }) });
    expect(grow.status).toBe(200);
  });

  it('refuses a scale past the quota, changing nothing', async () => {
    const { token } = await cp.tenant(uniqueName('q'), { quota: { instances: 100, cpu: 1, memoryMb: 100000 } });
    await cp.request('PUT', '/v1/deployments/web', { token, body: specDoc({ replicas: 2, resources: { cpu: 0.25, memoryMb: 32 } }) });
    const res = await cp.request('PATCH', '/v1/deployments/web/scale', { token, body: { replicas: 5 } });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ path: 'quota.cpu', message: '1.25 requested, limit 1' }]);
    const after = await cp.request('GET', '/v1/deployments/web', { token });
    expect(after.body).toMatchObject({ replicas: 2, generation: 1 });
    expect((await cp.request('PATCH', '/v1/deployments/web/scale', { token, body: { replicas: 4 } })).status).toBe(200);
  });

  it('refuses a template change whose resources exceed the memory quota', async () => {
    const { token } = await cp.tenant(uniqueName('q'), { quota: { memoryMb: 256 } });
    await cp.request('PUT', '/v1/deployments/web', { token, body: specDoc({ replicas: 2, resources: { cpu: 0.1, memoryMb: 64 } }) });
    const res = await cp.request('PUT', '/v1/deployments/web', { token, body: specDoc({ replicas: 2, resources: { cpu: 0.1, memoryMb: 256 } }) });
    expect(res.status).toBe(422);
    expect(res.body.detail).toContain('quota.memoryMb: 512 requested, limit 256');
    const revisions = await cp.request('GET', '/v1/deployments/web/revisions', { token });
    expect(revisions.body.items).toHaveLength(1);
  });

  it('holds the quota under parallel creates: never more admitted than fit', async () => {
    const tenant = await cp.tenant(uniqueName('q'), { quota: { instances: 5 } });
    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, i) => cp.request('PUT', `/v1/deployments/p${i}`, { token: tenant.token, body: specDoc({ replicas: 2 }) })),
    );
    expect(responses.filter((r) => r.status === 201)).toHaveLength(2);
    expect(responses.filter((r) => r.status === 422)).toHaveLength(6);
    const [{ total }] = await cp.app
      .get(DataSource)
      .query(`SELECT sum(replicas)::int AS total FROM deployments WHERE tenant_id = $1`, [tenant.id]);
    expect(total).toBe(4);
  });
});
