import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { RegistryCredentialEntity } from '../db/entities';

/** Rows are always looked up with their tenant: another tenant's credential is simply not found. */
@Injectable()
export class RegistryCredentialRepository {
  constructor(private readonly ds: DataSource) {}

  insert(tx: EntityManager, row: Pick<RegistryCredentialEntity, 'tenantId' | 'name' | 'server' | 'username' | 'secret'>): Promise<RegistryCredentialEntity> {
    const repo = tx.getRepository(RegistryCredentialEntity);
    return repo.save(repo.create(row));
  }

  list(tenantId: string): Promise<RegistryCredentialEntity[]> {
    return this.ds.getRepository(RegistryCredentialEntity).find({ where: { tenantId }, order: { name: 'ASC' } });
  }

  find(tenantId: string, name: string): Promise<RegistryCredentialEntity | null> {
    return this.ds.getRepository(RegistryCredentialEntity).findOne({ where: { tenantId, name } });
  }

  /** Deletes and returns the row, or null when the tenant has no credential of that name. */
  async delete(tx: EntityManager, tenantId: string, name: string): Promise<RegistryCredentialEntity | null> {
    const rows: [{ id: string; server: string }[], number] = await tx.query(
      `DELETE FROM registry_credentials WHERE tenant_id = $1 AND name = $2 RETURNING id, server`,
      [tenantId, name],
    );
    const row = rows[0]?.[0];
    return row ? Object.assign(new RegistryCredentialEntity(), { id: row.id, server: row.server, tenantId, name }) : null;
  }
}
