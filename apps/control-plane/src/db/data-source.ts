import { DataSource } from 'typeorm';
import type { Config } from '../config/config';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

/** Fail fast rather than hang when Postgres is unreachable or slow: callers answer 503. */
export const DB_CONNECT_TIMEOUT_MS = 2000;
export const DB_STATEMENT_TIMEOUT_MS = 5000;

export function createDataSource(config: Pick<Config, 'databaseUrl'>, poolSize = 10): DataSource {
  return new DataSource({
    type: 'postgres',
    url: config.databaseUrl,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    connectTimeoutMS: DB_CONNECT_TIMEOUT_MS,
    extra: {
      max: poolSize,
      connectionTimeoutMillis: DB_CONNECT_TIMEOUT_MS,
      statement_timeout: DB_STATEMENT_TIMEOUT_MS,
      // A client-side bound too, for a connection whose peer vanished without a FIN.
      query_timeout: DB_STATEMENT_TIMEOUT_MS + 1000,
      idle_in_transaction_session_timeout: 10_000,
      keepAlive: true,
    },
  });
}

/** Arbitrary constant identifying "oja schema migration" among advisory locks. */
const MIGRATION_LOCK_KEY = 0x6f6a61_01;

/** Runs `fn` holding a session-level Postgres advisory lock, so replicas starting together take turns. */
export async function withAdvisoryLock<T>(ds: DataSource, key: number, fn: () => Promise<T>): Promise<T> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [key]);
    try {
      return await fn();
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [key]);
    }
  } finally {
    await runner.release();
  }
}

/** Applies pending migrations, each in its own transaction, under the migration lock. */
export async function migrate(ds: DataSource): Promise<void> {
  await withAdvisoryLock(ds, MIGRATION_LOCK_KEY, async () => {
    await ds.runMigrations({ transaction: 'each' });
  });
}
