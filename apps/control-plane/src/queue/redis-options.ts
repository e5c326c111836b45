import type { RedisOptions } from 'ioredis';

/** ioredis options from a redis:// or rediss:// URL (user, password, db index in the path). */
export function redisOptionsFromUrl(url: string): RedisOptions {
  const u = new URL(url);
  const db = u.pathname.replace(/^\//, '');
  if (db !== '' && !/^[0-9]+$/.test(db)) throw new Error(`redis URL: database index must be a number, got "${db}"`);
  return {
    host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    db: db === '' ? 0 : Number(db),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/**
 * Reconnect back-off of every oja Redis connection: at most 1 s between attempts, so each is back within a second
 * of Redis. (BullMQ's default for the connections it creates grows to 20 s: after a 20 s outage its worker came back
 * 18 s after Redis did.)
 */
export const reconnectBackoff = (attempt: number): number => Math.min(attempt * 100, 1000);

/**
 * Options for connections that serve API requests: commands fail at once while Redis is down
 * (no offline queue, one retry) instead of hanging; reconnection continues in the background.
 */
export function failFastRedisOptions(url: string): RedisOptions {
  return {
    ...redisOptionsFromUrl(url),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 2000,
    retryStrategy: reconnectBackoff,
  };
}

/** Options for the BullMQ worker's connections: blocking reads wait through outages (BullMQ wants maxRetriesPerRequest null). */
export function workerRedisOptions(url: string): RedisOptions {
  return { ...redisOptionsFromUrl(url), maxRetriesPerRequest: null, retryStrategy: reconnectBackoff };
}
