import { Injectable } from '@nestjs/common';
import { describeFieldErrors } from '@oja/contracts';
import type { EntityManager } from 'typeorm';
import { ApiProblem } from '../api/problem';
import type { TenantEntity } from '../db/entities';
import { tenantQuota } from '../tenants/tenant.mapper';
import { TenantRepository } from '../tenants/tenant.repository';
import { DeploymentRepository } from './deployment.repository';
import { quotaViolations, type DeploymentClaim } from './quota';

/** Tenant quotas, checked under the tenant row lock so that concurrent changes cannot overrun them together. */
@Injectable()
export class QuotaService {
  constructor(
    private readonly tenants: TenantRepository,
    private readonly deployments: DeploymentRepository,
  ) {}

  /** Every change of a tenant's deployments takes this lock first. */
  lockTenant(tx: EntityManager, tenantId: string): Promise<TenantEntity> {
    return this.tenants.lock(tx, tenantId);
  }

  /** Throws a 422 problem naming each exceeded limit when `claim` (replacing its deployment's) does not fit. */
  async assertFits(tx: EntityManager, tenant: TenantEntity, claim: DeploymentClaim): Promise<void> {
    const errors = quotaViolations(tenantQuota(tenant), await this.deployments.claims(tx, tenant.id), claim);
    if (errors.length) throw new ApiProblem(422, `quota exceeded: ${describeFieldErrors(errors)}`, errors, 'quota-exceeded');
  }
}
