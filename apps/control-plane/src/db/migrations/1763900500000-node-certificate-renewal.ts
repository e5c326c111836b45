import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Certificate renewal: the certificate issued by Renew waits beside the current one until the node first presents it,
 * and only then replaces it. Until then the current one keeps working, so a Renew answer lost on the way never locks a
 * node out (it renews again with the certificate it still holds).
 */
export class NodeCertificateRenewal1763900500000 implements MigrationInterface {
  name = 'NodeCertificateRenewal1763900500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE nodes ADD COLUMN pending_cert_fingerprint text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE nodes DROP COLUMN pending_cert_fingerprint`);
  }
}
