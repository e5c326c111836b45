import { Queue } from 'bullmq';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { createApp } from '../../../apps/control-plane/src/app.factory';
import { configFromEnv } from '../../../apps/control-plane/src/config/config';
import { BullEvaluationQueue } from '../../../apps/control-plane/src/queue/bullmq-evaluation.queue';
import { failFastRedisOptions, redisOptionsFromUrl } from '../../../apps/control-plane/src/queue/redis-options';
import { deleteRedisKeys, startControlPlane } from '../../support/control-plane';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { redisUrl, secretKeyHex } from '../../support/env';

describe('start-up', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(() => db.drop());

  it('two replicas starting together on an empty database migrate once and share one admin token', async () => {
    const env = { OJA_ADMIN_TOKEN: `oja_admin_${randomBytes(16).toString('hex')}` };
    const [a, b] = await Promise.all([startControlPlane({ database: db, env }), startControlPlane({ database: db, env })]);
    try {
      const ds = a.app.get(DataSource);
      expect(await ds.query(`SELECT name FROM migrations`)).toEqual(expect.arrayContaining([{ name: 'InitialSchema1763900000000' }]));
      const admins = await ds.query(`SELECT count(*)::int AS n FROM api_tokens WHERE tenant_id IS NULL`);
      expect(admins[0].n).toBe(1);
      // A tenant created through one replica is served by the other.
      expect((await b.request('GET', '/v1/tenants', { token: a.adminToken })).status).toBe(200);
      const t = await a.tenant();
      expect((await b.request('GET', '/v1/deployments', { token: t.token })).status).toBe(200);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('generates an admin token on first start only, and it works', async () => {
    const config = configFromEnv({
      OJA_DATABASE_URL: db.url,
      OJA_REDIS_URL: redisUrl(),
      OJA_SECRET_KEY: secretKeyHex(),
      OJA_QUEUE_PREFIX: `ojatest-${randomBytes(5).toString('hex')}`,
      OJA_GRPC_ADDR: '127.0.0.1:0',
    });
    const first = await createApp(config, { logger: ['error'] });
    try {
      expect(first.generatedAdminToken).toMatch(/^oja_[A-Za-z0-9_-]{43}$/);
      const res = await first.app.inject({ method: 'GET', url: '/v1/tenants', headers: { authorization: `Bearer ${first.generatedAdminToken}` } });
      expect(res.statusCode).toBe(200);
    } finally {
      await first.app.close();
    }
    const second = await createApp(config, { logger: ['error'] });
    try {
      expect(second.generatedAdminToken).toBeUndefined();
      const res = await second.app.inject({ method: 'GET', url: '/v1/tenants', headers: { authorization: `Bearer ${first.generatedAdminToken}` } });
      expect(res.statusCode).toBe(200);
    } finally {
      await second.app.close();
      await deleteRedisKeys(config.queuePrefix);
    }
  });

  it('serves OpenAPI at /docs/json with the deployment spec schema, without a token', async () => {
    const cp = await startControlPlane({ database: db });
    try {
      const res = await cp.request('GET', '/docs/json');
      expect(res.status).toBe(200);
      expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/v1/deployments/{name}', '/v1/tenants', '/v1/events', '/readyz']));
      expect(res.body.components.schemas.DeploymentSpec.required).toEqual(expect.arrayContaining(['image', 'replicas']));
      expect(res.body.paths['/v1/deployments/{name}'].put.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/DeploymentSpec' });
      expect((await cp.request('GET', '/docs')).status).toBe(200);
    } finally {
      await cp.close();
    }
  });

  it('/docs/json describes the request body of every mutating route with the contracts schema', async () => {
    const cp = await startControlPlane({ database: db, env: { OJA_MAX_REPLICAS: '77' } });
    try {
      const doc = (await cp.request('GET', '/docs/json')).body;
      const bodyOf = (method: string, path: string) => {
        const body = doc.paths[path]?.[method]?.requestBody;
        const ref: string | undefined = body?.content?.['application/json']?.schema?.$ref;
        return ref && { required: body.required, schema: doc.components.schemas[ref.replace('#/components/schemas/', '')] };
      };
      // Actions named by their path take no body; every other POST/PUT/PATCH must describe one.
      const bodyless = ['post /v1/deployments/{name}/pause', 'post /v1/deployments/{name}/resume', 'post /v1/nodes/{name}/drain', 'post /v1/nodes/{name}/undrain', 'post /v1/nodes/{name}/undedicate'];
      const mutating = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
        Object.keys(ops).filter((m) => ['post', 'put', 'patch'].includes(m)).map((m) => `${m} ${path}`),
      );
      expect(mutating).toEqual(expect.arrayContaining(bodyless));
      const undescribed = mutating.filter((op) => !bodyless.includes(op) && !bodyOf(...(op.split(' ') as [string, string])));
      expect(undescribed).toEqual([]);

      expect(bodyOf('put', '/v1/deployments/{name}')).toMatchObject({ required: true, schema: { required: expect.arrayContaining(['image', 'replicas']) } });
      expect(bodyOf('patch', '/v1/deployments/{name}/scale')).toMatchObject({
        required: true,
        schema: { required: ['replicas'], additionalProperties: false, properties: { replicas: { type: 'integer', minimum: 0, maximum: 77 } } },
      });
      expect(bodyOf('post', '/v1/deployments/{name}/rollback')).toMatchObject({ required: false, schema: { properties: { revision: { minimum: 1 } } } });
      expect(bodyOf('post', '/v1/tenants')).toMatchObject({ required: true, schema: { required: ['name'], properties: { dedicated: {}, quota: { properties: { instances: {}, cpu: {}, memoryMb: {} } } } } });
      expect(bodyOf('post', '/v1/tokens')).toMatchObject({ required: false, schema: { properties: { name: {}, expiresInSeconds: { minimum: 60 } } } });
      expect(bodyOf('post', '/v1/join-tokens')).toMatchObject({ required: false, schema: { properties: { ttlSeconds: { minimum: 60 } } } });
      expect(bodyOf('post', '/v1/nodes/{name}/dedicate')).toMatchObject({ required: true, schema: { required: ['tenant'] } });
      expect(bodyOf('post', '/v1/registry-credentials')).toMatchObject({
        required: true,
        schema: { required: ['name', 'server', 'username', 'password'], properties: { password: { writeOnly: true } } },
      });
    } finally {
      await cp.close();
    }
  });
});

describe('BullMQ evaluation queue', () => {
  it('coalesces a burst for one deployment into one waiting job (job id = deployment id)', async () => {
    const prefix = `ojatest-${randomBytes(5).toString('hex')}`;
    const connection = new Redis(failFastRedisOptions(redisUrl()));
    connection.on('error', () => undefined);
    const queue = new BullEvaluationQueue(connection, prefix);
    const inspect = new Queue('evaluations', { connection: redisOptionsFromUrl(redisUrl()) as never, prefix });
    try {
      await Promise.all([queue.enqueue('dep-a'), queue.enqueue('dep-a'), queue.enqueue('dep-a'), queue.enqueue('dep-b')]);
      expect(await inspect.getWaitingCount()).toBe(2);
      expect((await inspect.getJob('dep-a'))?.data).toEqual({ deploymentId: 'dep-a' });
    } finally {
      await queue.close();
      connection.disconnect();
      await inspect.close();
      await deleteRedisKeys(prefix);
    }
  });
});
