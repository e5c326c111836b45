import { Injectable } from '@nestjs/common';
import type { Quota } from '@oja/contracts';
import { DataSource, EntityManager } from 'typeorm';
import { TenantEntity } from '../db/entities';

@Injectable()
export class TenantRepository {
  constructor(private readonly ds: DataSource) {}

  insert(tx: EntityManager, t: { name: string; dedicated: boolean; quota: Quota }): Promise<TenantEntity> {
    return tx.getRepository(TenantEntity).save(
      tx.getRepository(TenantEntity).create({
        name: t.name,
        dedicated: t.dedicated,
        quotaInstances: t.quota.instances,
        quotaCpu: t.quota.cpu,
        quotaMemoryMb: t.quota.memoryMb,
      }),
    );
  }

  list(): Promise<TenantEntity[]> {
    return this.ds.getRepository(TenantEntity).find({ order: { name: 'ASC' } });
  }

  /**
   * Locks the tenant row for the rest of the transaction: every change of a tenant's deployments
   * takes it first, so quota checks and revision numbering see no concurrent writer. FOR NO KEY UPDATE,
   * so that rows referencing the tenant (events, deployments) can still be inserted meanwhile.
   */
  async lock(tx: EntityManager, tenantId: string): Promise<TenantEntity> {
    const tenant = await tx.getRepository(TenantEntity).findOne({ where: { id: tenantId }, lock: { mode: 'for_no_key_update' } });
    if (!tenant) throw new Error(`tenant ${tenantId} vanished`);
    return tenant;
  }
}
