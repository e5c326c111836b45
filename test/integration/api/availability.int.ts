import { Queue } from 'bullmq';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { ProblemFilter } from '../../../apps/control-plane/src/api/problem.filter';
import { isUnavailableError } from '../../../apps/control-plane/src/api/unavailable';
import { BullEvaluationQueue } from '../../../apps/control-plane/src/queue/bullmq-evaluation.queue';
import { failFastRedisOptions, redisOptionsFromUrl } from '../../../apps/control-plane/src/queue/redis-options';
import { deleteRedisKeys, startControlPlane, type TestControlPlane, type TestResponse } from '../../support/control-plane';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { redisUrl } from '../../support/env';
import { specDoc, uniqueName } from '../../support/specs';
import { type FakeAgent, waitFor } from '../../support/fake-agent';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy';
import { sql, startAgent } from '../gateway/cluster';

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

/** A TCP proxy in front of the shared Redis (the server keeps running for other tests). */
async function startRedisProxy(): Promise<TcpProxy> {
  const r = new URL(redisUrl());
  return startTcpProxy(r.hostname, Number(r.port || 6379));
}

/**
 * Backends go away through TCP proxies (the shared servers keep running): requests fail fast with 503
 * problems, /readyz says which backend failed, and everything recovers by itself.
 */
describe('Postgres outage', () => {
  let db: TestDatabase;
  let pg: TcpProxy;
  let cp: TestControlPlane;
  let token: string;
  const name = uniqueName();

  beforeAll(async () => {
    db = await createTestDatabase();
    const dbUrl = new URL(db.url);
    pg = await startTcpProxy(dbUrl.hostname, Number(dbUrl.port || 5432));
    cp = await startControlPlane({ database: db, env: { OJA_DATABASE_URL: pg.url(db.url) } });
    token = (await cp.tenant()).token;
    expect((await cp.request('PUT', `/v1/deployments/${name}`, { token, body: specDoc() })).status).toBe(201);
  });
  afterAll(async () => {
    pg?.restore();
    await cp?.close();
    await pg?.close();
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
});

/**
 * Redis goes away under the real BullMQ driver: the evaluation queue, its worker (scheduling/) and the gateway's
 * wake-up subscriber all lose their connections. Requests fail fast; when Redis returns, the same worker takes jobs
 * again by itself (bullmq 6.7 recovers its blocking connection; taskforcesh/bullmq#2964 was a 5.x worker that never
 * resumed) — promptly, because its connections reconnect at least once a second rather than BullMQ's default
 * back-off, which grows to 20 s.
 */
describe('Redis outage with the BullMQ evaluation queue and worker', () => {
  let redis: TcpProxy;
  let cp: TestControlPlane;
  let closed = false;
  let agent: FakeAgent;
  let token: string;
  const before = uniqueName();
  const after = uniqueName();

  beforeAll(async () => {
    redis = await startRedisProxy();
    cp = await startControlPlane({ queue: 'bullmq', env: { OJA_REDIS_URL: redis.url(redisUrl()) } });
    token = (await cp.tenant()).token;
    agent = await startAgent(cp, uniqueName('node'));
  });
  afterAll(async () => {
    redis?.restore();
    agent?.disconnect();
    if (!closed) await cp?.close();
    await redis?.close();
  });

  const desiredOf = (deployment: string) => (agent.desired?.instances ?? []).filter((i) => i.deployment === deployment);

  it('503 while Redis is down; after it returns, readyz 200 and an apply is evaluated by the worker and placed', async () => {
    expect((await cp.request('PUT', `/v1/deployments/${before}`, { token, body: specDoc({ replicas: 1 }) })).status).toBe(201);
    await waitFor(() => desiredOf(before).length === 1, 'the first deployment placed before the outage');

    redis.cut();
    const notReady = await eventually(() => cp.request('GET', '/readyz'), (r) => r.status === 503);
    expect(notReady.body.checks).toMatchObject({ postgres: 'ok', redis: expect.stringMatching(/unavailable/) });
    expect(notReady.body.detail).toMatch(/redis/);

    // The scale commits; its evaluation cannot be queued: 503, neither a hang nor a 500.
    const scaled = await cp.request('PATCH', `/v1/deployments/${before}/scale`, { token, body: { replicas: 2 } });
    expect(scaled.status).toBe(503);
    expect(scaled.headers.get('content-type')).toContain('application/problem+json');
    expect(scaled.body).toMatchObject({ status: 503, type: 'urn:oja:problem:unavailable' });

    // Down for 20 s: long enough for BullMQ's default back-off to reach its 20 s step (reconnects at 10 s, 18 s, 38 s).
    await new Promise((r) => setTimeout(r, 20_000));
    redis.restore();
    // Ready means both connections requests use are back, so the next apply is accepted.
    await eventually(() => cp.request('GET', '/readyz'), (r) => r.status === 200);

    expect((await cp.request('PUT', `/v1/deployments/${after}`, { token, body: specDoc({ replicas: 2 }) })).status).toBe(201);
    await waitFor(() => desiredOf(after).length === 2, 'the deployment applied after the outage placed by the worker');
    // The scale answered 503 was committed: the sweep queues its evaluation once Redis is back.
    await waitFor(() => desiredOf(before).length === 2, 'the scale made during the outage placed');
    const [row] = await sql<{ n: number }>(cp, `SELECT count(*)::int AS n FROM instances WHERE node_id = $1 AND desired = 'running'`, [agent.nodeId]);
    expect(row.n).toBe(4);
  });

  it('shuts down while Redis is down (the BullMQ worker alone never finishes closing then)', async () => {
    redis.cut();
    await eventually(() => cp.request('GET', '/readyz'), (r) => r.status === 503);
    closed = true;
    await cp.close();
  });
});

/**
 * Redis goes away with the inline evaluation driver: only the readiness check and the Postgres-backed API are
 * involved; the BullMQ enqueue path is also tested directly below.
 */
describe('Redis outage', () => {
  let redis: TcpProxy;
  let cp: TestControlPlane;
  let token: string;
  const name = uniqueName();

  beforeAll(async () => {
    redis = await startRedisProxy();
    cp = await startControlPlane({ queue: 'inline', env: { OJA_REDIS_URL: redis.url(redisUrl()) } });
    token = (await cp.tenant()).token;
    expect((await cp.request('PUT', `/v1/deployments/${name}`, { token, body: specDoc() })).status).toBe(201);
  });
  afterAll(async () => {
    redis?.restore();
    await cp?.close();
    await redis?.close();
  });

  it('readyz names redis; the Postgres-backed API keeps working; readiness recovers', async () => {
    redis.cut();
    const notReady = await eventually(() => cp.request('GET', '/readyz'), (r) => r.status === 503);
    expect(notReady.headers.get('content-type')).toContain('application/problem+json');
    expect(notReady.body.checks).toMatchObject({ postgres: 'ok', redis: expect.stringMatching(/unavailable/) });
    expect((await cp.request('GET', `/v1/deployments/${name}`, { token })).status).toBe(200);
    redis.restore();
    await eventually(() => cp.request('GET', '/readyz'), (r) => r.status === 200);
  });

  it('the BullMQ evaluation queue fails fast while Redis is down (the API answers 503) and works again after', async () => {
    const prefix = `ojatest-${randomBytes(5).toString('hex')}`;
    const connection = new Redis(failFastRedisOptions(redis.url(redisUrl())));
    connection.on('error', () => undefined);
    const queue = new BullEvaluationQueue(connection, prefix);
    try {
      await queue.enqueue('dep-before');
      redis.cut();
      const failure = await queue.enqueue('dep-during').then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure).toBeDefined();
      expect(isUnavailableError(failure)).toBe(true);
      expect(new ProblemFilter().toProblem(failure).status).toBe(503);
      redis.restore();
      for (let i = 0; i < 60; i++) {
        const ok = await queue.enqueue('dep-after').then(
          () => true,
          () => false,
        );
        if (ok) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      const inspect = new Queue('evaluations', { connection: redisOptionsFromUrl(redisUrl()) as never, prefix });
      try {
        // The timed-out add may still land once Redis is back (harmless: a retry coalesces with it).
        expect((await inspect.getJobs(['waiting'])).map((j) => j.id)).toEqual(expect.arrayContaining(['dep-after', 'dep-before']));
      } finally {
        await inspect.close();
      }
    } finally {
      redis.restore();
      await queue.close();
      connection.disconnect();
      await deleteRedisKeys(prefix);
    }
  });
});
