import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Drain as a flag beside the status: a drained node that goes silent is `down` like any other (its instances lost
 * and replaced) and comes back `draining`, not `ready`, because the flag outlives the outage until undrain.
 */
export class NodeDrained1763900400000 implements MigrationInterface {
  name = 'NodeDrained1763900400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE nodes ADD COLUMN drained boolean NOT NULL DEFAULT false;
      UPDATE nodes SET drained = true WHERE status = 'draining';
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE nodes DROP COLUMN drained`);
  }
}
