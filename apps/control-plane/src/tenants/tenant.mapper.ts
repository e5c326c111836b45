import type { Quota, TenantView } from '@oja/contracts';
import type { TenantEntity } from '../db/entities';

export function tenantQuota(t: TenantEntity): Quota {
  return { instances: t.quotaInstances, cpu: t.quotaCpu, memoryMb: t.quotaMemoryMb };
}

export function mapTenant(t: TenantEntity): TenantView {
  return { id: t.id, name: t.name, dedicated: t.dedicated, quota: tenantQuota(t), createdAt: t.createdAt.toISOString() };
}
