import { startControlPlane, type TestControlPlane } from '../../support/control-plane';
import { specDoc, uniqueName } from '../../support/specs';

// Template-only changes of an existing deployment take the optimistic one-statement path (no transaction); racing
// writers must still never lose an update nor number a revision twice, and each change keeps its event.
describe('parallel template changes of an existing deployment', () => {
  let cp: TestControlPlane;
  beforeAll(async () => {
    cp = await startControlPlane();
  });
  afterAll(() => cp?.close());

  it('make one revision each, numbered without gaps or duplicates, each with its event; the newest is current', async () => {
    const { token } = await cp.tenant();
    const name = uniqueName();
    expect((await cp.request('PUT', `/v1/deployments/${name}`, { token, body: specDoc() })).status).toBe(201);
    const changes = 20;
    const responses = await Promise.all(
      Array.from({ length: changes }, (_, i) => cp.request('PUT', `/v1/deployments/${name}`, { token, body: specDoc({ image: `oja/busybox:v${i}` }) })),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(changes).fill(200));
    expect(responses.map((r) => r.body.revision).sort((a, b) => a - b)).toEqual(Array.from({ length: changes }, (_, i) => i + 2));
    // Each answer shows the spec it made a revision of.
    for (const [i, r] of responses.entries()) expect(r.body.spec.image).toBe(`oja/busybox:v${i}`);

    const revisions = await cp.request('GET', `/v1/deployments/${name}/revisions`, { token });
    const byNumber = new Map(revisions.body.items.map((r: { revision: number; spec: { image: string } }) => [r.revision, r.spec.image]));
    expect([...byNumber.keys()].sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: changes + 1 }, (_, i) => i + 1));
    const current = await cp.request('GET', `/v1/deployments/${name}`, { token });
    expect(current.body).toMatchObject({ revision: changes + 1, generation: changes + 1, spec: { image: byNumber.get(changes + 1) } });

    const events = await cp.request('GET', `/v1/events?deployment=${name}&type=deployment.updated&limit=100`, { token });
    const messages = events.body.items.map((e: { message: string }) => e.message).sort();
    const expected = Array.from({ length: changes }, (_, i) => `updated: revision ${i + 2} (${byNumber.get(i + 2)})`).sort();
    expect(messages).toEqual(expected);
  });
});
