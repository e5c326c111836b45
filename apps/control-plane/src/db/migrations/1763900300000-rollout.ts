import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Two-phase stop for the routing mesh: an instance chosen to stop first leaves the routes of every node
 * (`stop_requested_at` set, still desired running); only after the deregistration delay is it desired stopped on
 * its node. Stored so that a restarted control plane carries on with the second phase.
 */
export class Rollout1763900300000 implements MigrationInterface {
  name = 'Rollout1763900300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE instances ADD COLUMN stop_requested_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE instances DROP COLUMN stop_requested_at`);
  }
}
