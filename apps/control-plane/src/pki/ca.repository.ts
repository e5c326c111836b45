import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { withAdvisoryLock } from '../db/data-source';

export interface StoredCa {
  certPem: string;
  keyCiphertext: Buffer;
  fingerprint: string;
}

/** Arbitrary constant identifying "cluster CA creation" among advisory locks. */
const CA_LOCK_KEY = 0x6f6a61_02;

/** The single cluster_ca row. */
@Injectable()
export class CaRepository {
  constructor(private readonly ds: DataSource) {}

  /** Returns the stored CA, creating it with `create` first if there is none — under a lock, so replicas share one. */
  async loadOrCreate(create: () => StoredCa): Promise<StoredCa> {
    const existing = await this.load();
    if (existing) return existing;
    return withAdvisoryLock(this.ds, CA_LOCK_KEY, async () => {
      const again = await this.load();
      if (again) return again;
      const ca = create();
      await this.ds.query('INSERT INTO cluster_ca (cert_pem, key_ciphertext, fingerprint) VALUES ($1, $2, $3)', [
        ca.certPem,
        ca.keyCiphertext,
        ca.fingerprint,
      ]);
      return ca;
    });
  }

  private async load(): Promise<StoredCa | null> {
    const rows: { cert_pem: string; key_ciphertext: Buffer; fingerprint: string }[] = await this.ds.query(
      'SELECT cert_pem, key_ciphertext, fingerprint FROM cluster_ca WHERE id = 1',
    );
    return rows[0] ? { certPem: rows[0].cert_pem, keyCiphertext: rows[0].key_ciphertext, fingerprint: rows[0].fingerprint } : null;
  }
}
