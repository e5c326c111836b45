import { randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Redis } from 'ioredis';
import { createApp, type CreateAppOptions } from '../../apps/control-plane/src/app.factory';
import { configFromEnv, type Config } from '../../apps/control-plane/src/config/config';
import { createTestDatabase, type TestDatabase } from './database';
import { redisUrl, secretKeyHex } from './env';

export interface TestControlPlane {
  app: NestFastifyApplication;
  config: Config;
  baseUrl: string;
  adminToken: string;
  database: TestDatabase;
  /** Creates a tenant (admin API) and returns its first token. */
  tenant(name?: string, body?: Record<string, unknown>): Promise<{ id: string; name: string; token: string }>;
  /** fetch against the app with an optional bearer token and JSON body. */
  request(method: string, path: string, opts?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<TestResponse>;
  close(): Promise<void>;
}

export interface TestResponse {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export interface StartOptions extends CreateAppOptions {
  /** Overrides of OJA_* settings (e.g. a proxied OJA_DATABASE_URL). */
  env?: Record<string, string>;
  /** Reuse a database (e.g. a second replica); otherwise a fresh one is created and dropped on close. */
  database?: TestDatabase;
  queuePrefix?: string;
}

/**
 * Boots the control plane in-process on 127.0.0.1:0 with its own database and queue prefix.
 * close() stops it, deletes its Redis keys and drops the database it created.
 */
export async function startControlPlane(opts: StartOptions = {}): Promise<TestControlPlane> {
  const ownDatabase = !opts.database;
  const database = opts.database ?? (await createTestDatabase());
  const adminToken = opts.env?.OJA_ADMIN_TOKEN ?? `oja_admin_${randomBytes(16).toString('hex')}`;
  const queuePrefix = opts.queuePrefix ?? `ojatest-${randomBytes(5).toString('hex')}`;
  const config = configFromEnv({
    OJA_DATABASE_URL: database.url,
    OJA_REDIS_URL: redisUrl(),
    OJA_SECRET_KEY: secretKeyHex(),
    OJA_ADMIN_TOKEN: adminToken,
    OJA_QUEUE_PREFIX: queuePrefix,
    OJA_HTTP_ADDR: '127.0.0.1:0',
    OJA_GRPC_ADDR: '127.0.0.1:0',
    ...opts.env,
  });
  let created;
  try {
    created = await createApp(config, { logger: opts.logger ?? ['error'], queue: opts.queue });
  } catch (err) {
    if (ownDatabase) await database.drop();
    throw err;
  }
  const { app } = created;
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.getHttpServer().address();
  const baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  const request: TestControlPlane['request'] = async (method, path, o = {}) => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    let body: string | undefined;
    if (o.body !== undefined) {
      body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(baseUrl + path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  };

  return {
    app,
    config,
    baseUrl,
    adminToken,
    database,
    request,
    async tenant(name = `t-${randomBytes(4).toString('hex')}`, body = {}) {
      const res = await request('POST', '/v1/tenants', { token: adminToken, body: { name, ...body } });
      if (res.status !== 201) throw new Error(`creating tenant ${name}: ${res.status} ${res.text}`);
      return { id: res.body.tenant.id, name, token: res.body.token };
    },
    async close() {
      await app.close();
      await deleteRedisKeys(queuePrefix);
      if (ownDatabase) await database.drop();
    },
  };
}

/** Removes every Redis key under a test's prefix. */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
