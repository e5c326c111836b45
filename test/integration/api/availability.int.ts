import { startControlPlane, type TestControlPlane, type TestResponse } from '../../support/control-plane';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { redisUrl } from '../../support/env';
import { specDoc, uniqueName } from '../../support/specs';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy';

/** Polls `probe` until `done` holds (bounded attempts, no timing assertion). */
async function eventually(probe: () => Promise<TestResponse>, done: (r: TestResponse) => boolean, attempts = 60): Promise<TestResponse> {
  let last: TestResponse | undefined;
  for (let i = 0; i < attempts; i++) {
    last = await probe();
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`condition not reached; last answer ${last?.status} ${last?.text}`);
}

/**
 * Postgres and Redis go away (through TCP proxies, the shared servers keep running): requests fail fast
 * with 503 problems, /readyz says which backend failed, and everything recovers by itself.
 */
describe('backend outages', () => {
  let db: TestDatabase;
  let pg: TcpProxy;
  let redis: TcpProxy;
  let cp: TestControlPlane;
  let token: string;
  const name = uniqueName();

  beforeAll(async () => {
    db = await createTestDatabase();
    const dbUrl = new URL(db.url);
    pg = await startTcpProxy(dbUrl.hostname, Number(dbUrl.port || 5432));
    const r = new URL(redisUrl());
    redis = await startTcpProxy(r.hostname, Number(r.port || 6379));
    cp = await startControlPlane({ database: db, env: { OJA_DATABASE_URL: pg.url(db.url), OJA_REDIS_URL: redis.url(redisUrl()) } });
    token = (await cp.tenant()).token;
    expect((await cp.request('PUT', `/v1/deployments/${name}`, { token, body: specDoc() })).status).toBe(201);
  });
  afterAll(async () => {
    pg?.restore();
    redis?.restore();
    await cp?.close();
    await pg?.close();
    await redis?.close();
    await db?.drop();
  });

  const ready = () => cp.request('GET', '/readyz');
  const isProblem503 = (r: TestResponse) => r.status === 503 && (r.headers.get('content-type') ?? '').includes('application/problem+json');

  it('Postgres down: readyz and API requests answer 503 problems, then recover', async () => {
    pg.cut();
    const notReady = await ready();
    expect(notReady.status).toBe(503);
    expect(notReady.body.checks.redis).toBe('ok');
    expect(notReady.body.checks.postgres).toMatch(/unavailable/);
    expect(notReady.body.detail).toMatch(/postgres/);

    for (const [method, path, body] of [
      ['GET', `/v1/deployments/${name}`],
      ['GET', '/v1/deployments'],
      ['PUT', `/v1/deployments/${name}`, specDoc({ replicas: 3 })],
      ['GET', '/v1/events'],
    ] as const) {
      const res = await cp.request(method, path, { token, body });
      expect(isProblem503(res)).toBe(true);
    }
    // Liveness does not depend on backends.
    expect((await cp.request('GET', '/healthz')).status).toBe(200);

    pg.restore();
    await eventually(ready, (r) => r.status === 200);
    const back = await eventually(() => cp.request('GET', `/v1/deployments/${name}`, { token }), (r) => r.status === 200);
    expect(back.body.replicas).toBe(2);
  });

  it('Postgres hung (blackholed): requests still answer 503 instead of hanging, then recover', async () => {
    pg.blackhole();
    const notReady = await ready();
    expect(notReady.status).toBe(503);
    expect(notReady.body.checks.postgres).toMatch(/unavailable/);
    expect(isProblem503(await cp.request('GET', `/v1/deployments/${name}`, { token }))).toBe(true);
    pg.restore();
    await eventually(() => cp.request('GET', `/v1/deployments/${name}`, { token }), (r) => r.status === 200);
  });

  it('Redis down: readyz names redis, a change answers 503, and a retry after recovery succeeds', async () => {
    redis.cut();
    const notReady = await eventually(ready, (r) => r.status === 503);
    expect(notReady.body.checks).toMatchObject({ postgres: 'ok', redis: expect.stringMatching(/unavailable/) });

    // The change is saved in Postgres but its evaluation cannot be queued: 503, so the client retries.
    const res = await cp.request('PUT', `/v1/deployments/${name}`, { token, body: specDoc({ replicas: 3 }) });
    expect(isProblem503(res)).toBe(true);
    // Reads need no Redis.
    expect((await cp.request('GET', `/v1/deployments/${name}`, { token })).status).toBe(200);

    redis.restore();
    await eventually(ready, (r) => r.status === 200);
    const retry = await eventually(
      () => cp.request('PUT', `/v1/deployments/${name}`, { token, body: specDoc({ replicas: 3 }) }),
      (r) => r.status === 200,
    );
    expect(retry.body.replicas).toBe(3);
  });
});
