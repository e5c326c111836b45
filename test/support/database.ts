import { adminDatabaseUrl } from './env';
import { createScratchDatabase, type ScratchDatabase } from './scratch-database';

export type TestDatabase = ScratchDatabase;

/** Creates an empty database `oja_test_<random>` with the admin URL; `drop()` removes it (and its sessions). */
export function createTestDatabase(): Promise<TestDatabase> {
  return createScratchDatabase(adminDatabaseUrl(), 'oja_test');
}
