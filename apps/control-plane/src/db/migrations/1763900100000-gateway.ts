import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Agent-side state: the cluster CA (one row, key encrypted with the secret box), the node key each node
 * joined with, the agent's health flag and when the last applied report was observed (orders out-of-order
 * reports), and the deployment generation the scheduler last evaluated (the sweep finds missed wake-ups).
 */
export class Gateway1763900100000 implements MigrationInterface {
  name = 'Gateway1763900100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE cluster_ca (
        id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
        cert_pem text NOT NULL,
        key_ciphertext bytea NOT NULL,
        fingerprint text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      ALTER TABLE nodes ADD COLUMN key_fingerprint text;
      ALTER TABLE instances ADD COLUMN reported_at timestamptz;
      ALTER TABLE instances ADD COLUMN healthy boolean NOT NULL DEFAULT false;
      ALTER TABLE deployments ADD COLUMN evaluated_generation bigint NOT NULL DEFAULT 0;
      CREATE INDEX instances_pending_idx ON instances (deployment_id) WHERE observed = 'pending' AND desired = 'running';
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX instances_pending_idx;
      ALTER TABLE deployments DROP COLUMN evaluated_generation;
      ALTER TABLE instances DROP COLUMN healthy;
      ALTER TABLE instances DROP COLUMN reported_at;
      ALTER TABLE nodes DROP COLUMN key_fingerprint;
      DROP TABLE cluster_ca;
    `);
  }
}
