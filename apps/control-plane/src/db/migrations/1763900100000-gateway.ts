import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Agent-side state: the cluster CA (one row, key encrypted with the secret box), the node key each node
 * joined with, and when the last applied agent report was observed (orders out-of-order reports).
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
      CREATE INDEX instances_pending_idx ON instances (deployment_id) WHERE observed = 'pending' AND desired = 'running';
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX instances_pending_idx;
      ALTER TABLE instances DROP COLUMN reported_at;
      ALTER TABLE nodes DROP COLUMN key_fingerprint;
      DROP TABLE cluster_ca;
    `);
  }
}
