import { Injectable } from '@nestjs/common';
import type { createTokenRequest, TokenResponse } from '@oja/contracts';
import type { z } from 'zod';
import { notFound } from '../api/problem';
import { ApiTokenRepository } from '../auth/api-token.repository';
import type { TenantContext } from '../auth/auth-context';
import { generateToken } from '../auth/token';
import { Transactor } from '../db/db.module';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Injectable()
export class TokensService {
  constructor(
    private readonly transactor: Transactor,
    private readonly tokens: ApiTokenRepository,
  ) {}

  async mint(tenant: TenantContext, req: z.output<typeof createTokenRequest>): Promise<TokenResponse> {
    const minted = generateToken();
    const expiresAt = req.expiresInSeconds ? new Date(Date.now() + req.expiresInSeconds * 1000) : undefined;
    const id = await this.transactor.run((tx) => this.tokens.insert(tx, minted, { tenantId: tenant.tenantId, name: req.name, expiresAt }));
    return { id, token: minted.token, ...(expiresAt ? { expiresAt: expiresAt.toISOString() } : {}) };
  }

  async revoke(tenant: TenantContext, id: string): Promise<void> {
    // A malformed id names no token of this tenant, exactly like another tenant's id.
    if (!UUID.test(id) || !(await this.tokens.revoke(tenant.tenantId, id))) throw notFound(`token ${id} not found`);
  }
}
