import { Global, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { CONFIG, type Config } from '../config/config';
import { createDataSource, migrate } from './data-source';
import { isRetryableConflict } from './errors';

const TRANSACTION_ATTEMPTS = 3;

/**
 * Runs a unit of work in one transaction; services use this instead of touching the DataSource. A
 * transaction Postgres aborts as a deadlock victim (or serialization failure) is run again, a few times.
 */
@Injectable()
export class Transactor {
  constructor(private readonly ds: DataSource) {}

  async run<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.ds.transaction(work);
      } catch (err) {
        if (attempt >= TRANSACTION_ATTEMPTS || !isRetryableConflict(err)) throw err;
      }
    }
  }
}

@Injectable()
class DataSourceCloser implements OnApplicationShutdown {
  constructor(private readonly ds: DataSource) {}
  async onApplicationShutdown(): Promise<void> {
    if (this.ds.isInitialized) await this.ds.destroy();
  }
}

/** The Postgres DataSource, connected and migrated before any other provider uses it. */
@Global()
@Module({
  providers: [
    {
      provide: DataSource,
      inject: [CONFIG],
      useFactory: async (config: Config) => {
        const ds = createDataSource(config);
        await ds.initialize();
        try {
          await migrate(ds);
        } catch (err) {
          await ds.destroy();
          throw err;
        }
        return ds;
      },
    },
    Transactor,
    DataSourceCloser,
  ],
  exports: [DataSource, Transactor],
})
export class DbModule {}
