import { Body, Controller, Delete, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { createTokenRequest, type TokenResponse } from '@oja/contracts';
import { parseRequest } from '../api/validation';
import type { TenantContext } from '../auth/auth-context';
import { CurrentTenant, TenantScoped } from '../auth/auth.decorators';
import { requestBody } from '../docs/openapi';
import { TokensService } from './tokens.service';

@ApiTags('tokens')
@ApiBearerAuth()
@TenantScoped()
@Controller('v1/tokens')
export class TokensController {
  constructor(private readonly tokens: TokensService) {}

  /** Mints a token for the caller's tenant; the secret is in this answer only. */
  @Post()
  @HttpCode(201)
  @ApiBody(requestBody('CreateTokenRequest', { required: false }))
  mint(@CurrentTenant() tenant: TenantContext, @Body() body: unknown): Promise<TokenResponse> {
    return this.tokens.mint(tenant, parseRequest(createTokenRequest, body ?? {}));
  }

  /** Revokes one of the caller's tokens; another tenant's token is a 404. */
  @Delete(':id')
  @HttpCode(204)
  async revoke(@CurrentTenant() tenant: TenantContext, @Param('id') id: string): Promise<void> {
    await this.tokens.revoke(tenant, id);
  }
}
