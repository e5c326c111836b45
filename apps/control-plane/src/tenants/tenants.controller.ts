import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { createTenantRequest, type CreateTenantResponse, type List, type TenantView } from '@oja/contracts';
import { parseRequest } from '../api/validation';
import { AdminOnly } from '../auth/auth.decorators';
import { requestBody } from '../docs/openapi';
import { TenantsService } from './tenants.service';

@ApiTags('tenants')
@ApiBearerAuth()
@AdminOnly()
@Controller('v1/tenants')
export class TenantsController {
  constructor(private readonly tenants: TenantsService) {}

  @Post()
  @HttpCode(201)
  @ApiBody(requestBody('CreateTenantRequest'))
  create(@Body() body: unknown): Promise<CreateTenantResponse> {
    return this.tenants.create(parseRequest(createTenantRequest, body));
  }

  @Get()
  async list(): Promise<List<TenantView>> {
    return { items: await this.tenants.list() };
  }
}
