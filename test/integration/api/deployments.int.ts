import { DataSource } from 'typeorm';
import { EventsService } from '../../../apps/control-plane/src/events/events.service';
import { startControlPlane, type TestControlPlane } from '../../support/control-plane';
import { specDoc, uniqueName } from '../../support/specs';

describe('deployments API', () => {
  let cp: TestControlPlane;
  let token: string;
  beforeAll(async () => {
    cp = await startControlPlane();
    token = (await cp.tenant()).token;
  });
  afterAll(() => cp?.close());

  const put = (name: string, body: unknown) => cp.request('PUT', `/v1/deployments/${name}`, { token, body });

  it('creates with 201, then an identical apply changes nothing (same revision and generation)', async () => {
    const name = uniqueName();
    const created = await put(name, specDoc({ name }));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name, revision: 1, replicas: 2, paused: false, generation: 1 });
    expect(created.body.status).toMatchObject({ phase: 'progressing', desired: 2, updated: 0, ready: 0, available: 0 });
    expect(created.body.spec).toMatchObject({ name, image: 'oja/busybox:1', replicas: 2, update: { maxSurge: 1, maxUnavailable: 0 } });

    // Same document, key order changed and defaults spelled out: still no new revision.
    const again = await put(name, { resources: { memoryMb: 32, cpu: 0.1 }, replicas: 2, image: 'oja/busybox:1', env: {}, ports: [] });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ revision: 1, generation: 1 });
    const revisions = await cp.request('GET', `/v1/deployments/${name}/revisions`, { token });
    expect(revisions.body.items).toHaveLength(1);
  });

  it('makes a new revision only when the template changes; replicas alone never do', async () => {
    const name = uniqueName();
    await put(name, specDoc());
    const scaled = await put(name, specDoc({ replicas: 4 }));
    expect(scaled.body).toMatchObject({ revision: 1, replicas: 4, generation: 2 });
    const updated = await put(name, specDoc({ replicas: 4, image: 'oja/busybox:2' }));
    expect(updated.body).toMatchObject({ revision: 2, replicas: 4, generation: 3 });
    const viaPatch = await cp.request('PATCH', `/v1/deployments/${name}/scale`, { token, body: { replicas: 1 } });
    expect(viaPatch.status).toBe(200);
    expect(viaPatch.body).toMatchObject({ revision: 2, replicas: 1, generation: 4, spec: { replicas: 1 } });
    const revisions = await cp.request('GET', `/v1/deployments/${name}/revisions`, { token });
    expect(revisions.body.items.map((r: { revision: number; current: boolean }) => [r.revision, r.current])).toEqual([
      [2, true],
      [1, false],
    ]);
  });

  it('fills the name from the URL when the document omits it', async () => {
    const name = uniqueName();
    const res = await put(name, specDoc());
    expect(res.status).toBe(201);
    expect(res.body.spec.name).toBe(name);
  });

  it('rolls back to the previous revision as a new revision, and to an explicit one', async () => {
    const name = uniqueName();
    await put(name, specDoc({ image: 'oja/busybox:1' }));
    await put(name, specDoc({ image: 'oja/busybox:2' }));
    const back = await cp.request('POST', `/v1/deployments/${name}/rollback`, { token });
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ revision: 3, spec: { image: 'oja/busybox:1' } });
    const forth = await cp.request('POST', `/v1/deployments/${name}/rollback`, { token, body: { revision: 2 } });
    expect(forth.body).toMatchObject({ revision: 4, spec: { image: 'oja/busybox:2' } });
    // Rolling back to the current template is a no-op.
    const same = await cp.request('POST', `/v1/deployments/${name}/rollback`, { token, body: { revision: 4 } });
    expect(same.body).toMatchObject({ revision: 4 });
    const missing = await cp.request('POST', `/v1/deployments/${name}/rollback`, { token, body: { revision: 99 } });
    expect(missing.status).toBe(404);
    expect(missing.body.errors).toEqual([{ path: 'revision', message: 'no such revision' }]);
  });

  it('refuses to roll back a deployment without history', async () => {
    const name = uniqueName();
    await put(name, specDoc());
    const res = await cp.request('POST', `/v1/deployments/${name}/rollback`, { token, body: {} });
    expect(res.status).toBe(409);
  });

  it('pauses and resumes', async () => {
    const name = uniqueName();
    await put(name, specDoc());
    const paused = await cp.request('POST', `/v1/deployments/${name}/pause`, { token });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ paused: true, status: { phase: 'paused' } });
    const resumed = await cp.request('POST', `/v1/deployments/${name}/resume`, { token });
    expect(resumed.body).toMatchObject({ paused: false, status: { phase: 'progressing' } });
  });

  it('lists deployments and their instances, computing status from observed state', async () => {
    const name = uniqueName();
    const created = await put(name, specDoc({ replicas: 3 }));
    const ds = cp.app.get(DataSource);
    const [{ id: deploymentId }] = await ds.query(`SELECT id FROM deployments WHERE name = $1`, [name]);
    // The scheduler makes the 3 instances (pending: this test has no nodes); then play the agent's reports.
    let ids: { id: string }[] = [];
    for (let i = 0; i < 100 && ids.length < 3; i++) {
      ids = await ds.query(`SELECT id FROM instances WHERE deployment_id = $1 AND desired = 'running' ORDER BY id`, [deploymentId]);
      if (ids.length < 3) await new Promise((r) => setTimeout(r, 100));
    }
    expect(ids).toHaveLength(3);
    await ds.query(`UPDATE instances SET observed = 'running', overlay_ip = '10.42.0.2', observed_at = now() - interval '1 hour' WHERE id = $1`, [ids[0].id]);
    await ds.query(`UPDATE instances SET observed = 'starting', observed_at = now() WHERE id = $1`, [ids[1].id]);

    const view = await cp.request('GET', `/v1/deployments/${name}`, { token });
    expect(view.body.status).toMatchObject({ desired: 3, updated: 3, ready: 1, available: 1 });
    expect(view.body.generation).toBe(created.body.generation);

    const list = await cp.request('GET', '/v1/deployments', { token });
    expect(list.body.items.find((d: { name: string }) => d.name === name).status.ready).toBe(1);

    const instances = await cp.request('GET', `/v1/deployments/${name}/instances`, { token });
    expect(instances.status).toBe(200);
    expect(instances.body.items.map((i: { state: string }) => i.state).sort()).toEqual(['pending', 'running', 'starting']);
    expect(instances.body.items.find((i: { id: string }) => i.id === ids[0].id)).toMatchObject({
      state: 'running',
      overlayIp: '10.42.0.2',
      healthy: false,
      restarts: 0,
      revision: 1,
      node: null,
    });
  });

  it('deletes a deployment with its revisions and instances, bumping the generation of affected nodes', async () => {
    const name = uniqueName();
    await put(name, specDoc());
    const ds = cp.app.get(DataSource);
    const [{ id: nodeId, generation }] = await ds.query(
      `INSERT INTO nodes (name, underlay_address) VALUES ($1, '127.0.0.1') RETURNING id, generation`,
      [uniqueName('node')],
    );
    const [{ id: deploymentId }] = await ds.query(`SELECT id FROM deployments WHERE name = $1`, [name]);
    await ds.query(`INSERT INTO instances (deployment_id, revision, node_id) VALUES ($1, 1, $2)`, [deploymentId, nodeId]);

    const res = await cp.request('DELETE', `/v1/deployments/${name}`, { token });
    expect(res.status).toBe(204);
    expect((await cp.request('GET', `/v1/deployments/${name}`, { token })).status).toBe(404);
    const counts = await ds.query(
      `SELECT (SELECT count(*)::int FROM revisions WHERE deployment_id = $1) AS revisions,
              (SELECT count(*)::int FROM instances WHERE deployment_id = $1) AS instances,
              (SELECT generation FROM nodes WHERE id = $2) AS generation`,
      [deploymentId, nodeId],
    );
    expect(counts[0]).toEqual({ revisions: 0, instances: 0, generation: String(BigInt(generation) + 1n) });
    expect((await cp.request('DELETE', `/v1/deployments/${name}`, { token })).status).toBe(404);
  });

  it('records events, newest first, filtered by deployment and paged with before', async () => {
    const name = uniqueName();
    await put(name, specDoc());
    await put(name, specDoc({ replicas: 3 }));
    await cp.request('POST', `/v1/deployments/${name}/pause`, { token });
    const events = await cp.request('GET', `/v1/events?deployment=${name}`, { token });
    expect(events.status).toBe(200);
    // The scheduler adds instance.* events of its own in between.
    const ours = events.body.items.filter((e: { type: string }) => !e.type.startsWith('instance.'));
    expect(ours.map((e: { type: string }) => e.type)).toEqual(['rollout.paused', 'deployment.updated', 'deployment.created']);
    expect(ours[0]).toMatchObject({ deployment: name, id: expect.any(String), at: expect.any(String) });
    const ids = events.body.items.map((e: { id: string }) => BigInt(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => (a > b ? -1 : 1)));
    const page = await cp.request('GET', `/v1/events?deployment=${name}&limit=1&before=${ours[0].id}`, { token });
    expect(page.body.items).toEqual([events.body.items[events.body.items.indexOf(ours[0]) + 1]]);
    const typed = await cp.request('GET', `/v1/events?type=deployment.created&deployment=${name}`, { token });
    expect(typed.body.items).toHaveLength(1);
  });

  it('shows a tenant only its own events; the admin sees all', async () => {
    const other = await cp.tenant();
    const name = uniqueName();
    await cp.request('PUT', `/v1/deployments/${name}`, { token: other.token, body: specDoc() });
    const mine = await cp.request('GET', `/v1/events?deployment=${name}`, { token });
    expect(mine.body.items).toEqual([]);
    const admin = await cp.request('GET', `/v1/events?deployment=${name}&type=deployment.created`, { token: cp.adminToken });
    expect(admin.body.items.map((e: { type: string }) => e.type)).toEqual(['deployment.created']);
  });

  it('deletes events older than the retention period', async () => {
    const ds = cp.app.get(DataSource);
    await ds.query(`INSERT INTO events (type, message, at) VALUES ('test.old', 'old', now() - interval '30 days'), ('test.new', 'new', now())`);
    const deleted = await cp.app.get(EventsService).pruneExpired();
    expect(deleted).toBeGreaterThanOrEqual(1);
    const left = await ds.query(`SELECT type FROM events WHERE type LIKE 'test.%'`);
    expect(left).toEqual([{ type: 'test.new' }]);
  });
});
