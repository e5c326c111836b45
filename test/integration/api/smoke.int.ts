import { startControlPlane, type TestControlPlane } from '../../support/control-plane';

describe('control plane boot', () => {
  let cp: TestControlPlane;
  beforeAll(async () => {
    cp = await startControlPlane();
  });
  afterAll(() => cp?.close());

  it('serves healthz, readyz, metrics without a token', async () => {
    expect((await cp.request('GET', '/healthz')).status).toBe(200);
    const ready = await cp.request('GET', '/readyz');
    expect(ready.body).toEqual({ status: 'ok', checks: { postgres: 'ok', redis: 'ok' } });
    const metrics = await cp.request('GET', '/metrics');
    expect(metrics.text).toContain('oja_http_request_duration_seconds_bucket');
  });

  it('answers problem+json for unknown routes and missing tokens', async () => {
    const res = await cp.request('GET', '/nope');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const ev = await cp.request('GET', '/v1/events');
    expect(ev.status).toBe(401);
    const ok = await cp.request('GET', '/v1/events', { token: cp.adminToken });
    expect(ok.status).toBe(200);
  });
});
