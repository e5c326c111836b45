import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { dnsLabel, registryCredentialRequest, type List, type RegistryCredentialView } from '@oja/contracts';
import { parseParam, parseRequest } from '../api/validation';
import type { TenantContext } from '../auth/auth-context';
import { CurrentTenant, TenantScoped } from '../auth/auth.decorators';
import { requestBody } from '../docs/openapi';
import { RegistryCredentialsService } from './registry-credentials.service';

@ApiTags('registry-credentials')
@ApiBearerAuth()
@TenantScoped()
@Controller('v1/registry-credentials')
export class RegistryCredentialsController {
  constructor(private readonly credentials: RegistryCredentialsService) {}

  /** The password is write-only: it is stored encrypted and never returned. */
  @Post()
  @HttpCode(201)
  @ApiBody(requestBody('RegistryCredentialRequest'))
  create(@CurrentTenant() tenant: TenantContext, @Body() body: unknown): Promise<RegistryCredentialView> {
    return this.credentials.create(tenant, parseRequest(registryCredentialRequest, body));
  }

  @Get()
  async list(@CurrentTenant() tenant: TenantContext): Promise<List<RegistryCredentialView>> {
    return { items: await this.credentials.list(tenant.tenantId) };
  }

  @Delete(':name')
  @HttpCode(204)
  async remove(@CurrentTenant() tenant: TenantContext, @Param('name') name: string): Promise<void> {
    await this.credentials.remove(tenant.tenantId, parseParam(dnsLabel, name, 'name'));
  }
}
