import { Global, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { CONFIG, type Config } from '../config/config';
import { createDataSource, migrate } from './data-source';

/** Runs a unit of work in one transaction; services use this instead of touching the DataSource. */
@Injectable()
export class Transactor {
  constructor(private readonly ds: DataSource) {}

  run<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.ds.transaction(work);
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
