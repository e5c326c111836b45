import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The rollout status an evaluation saves and the next one reads back (libs/scheduler RolloutStatus, as JSON).
 * `IF NOT EXISTS` repeats two columns of the gateway migration, whose first committed version lacked them.
 */
export class Scheduling1763900200000 implements MigrationInterface {
  name = 'Scheduling1763900200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE deployments ADD COLUMN rollout_status jsonb;
      ALTER TABLE deployments ADD COLUMN IF NOT EXISTS evaluated_generation bigint NOT NULL DEFAULT 0;
      ALTER TABLE instances ADD COLUMN IF NOT EXISTS healthy boolean NOT NULL DEFAULT false;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE deployments DROP COLUMN rollout_status`);
  }
}
