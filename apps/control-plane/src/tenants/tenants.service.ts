import { Injectable } from '@nestjs/common';
import { DEFAULT_QUOTA, type CreateTenantResponse, type createTenantRequest, type TenantView } from '@oja/contracts';
import type { z } from 'zod';
import { conflict } from '../api/problem';
import { ApiTokenRepository } from '../auth/api-token.repository';
import { generateToken } from '../auth/token';
import { isUniqueViolation } from '../db/errors';
import { Transactor } from '../db/db.module';
import { EventsService } from '../events/events.service';
import { mapTenant } from './tenant.mapper';
import { TenantRepository } from './tenant.repository';

@Injectable()
export class TenantsService {
  constructor(
    private readonly transactor: Transactor,
    private readonly tenants: TenantRepository,
    private readonly tokens: ApiTokenRepository,
    private readonly events: EventsService,
  ) {}

  /** Creates a tenant and its first token (shown once). */
  async create(req: z.output<typeof createTenantRequest>): Promise<CreateTenantResponse> {
    const quota = { ...DEFAULT_QUOTA, ...req.quota };
    const minted = generateToken();
    try {
      return await this.transactor.run(async (tx) => {
        const tenant = await this.tenants.insert(tx, { name: req.name, dedicated: req.dedicated, quota });
        await this.tokens.insert(tx, minted, { tenantId: tenant.id, name: 'initial' });
        await this.events.record({ tenantId: tenant.id, type: 'tenant.created', message: `tenant ${tenant.name} created` }, tx);
        return { tenant: mapTenant(tenant), token: minted.token };
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`tenant "${req.name}" already exists`, [{ path: 'name', message: 'already exists' }]);
      throw err;
    }
  }

  async list(): Promise<TenantView[]> {
    return (await this.tenants.list()).map(mapTenant);
  }
}
