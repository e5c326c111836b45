import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Put, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import {
  dnsLabel,
  rollbackRequest,
  scaleRequest,
  type DeploymentView,
  type InstanceView,
  type List,
  type RevisionView,
} from '@oja/contracts';
import type { FastifyReply } from 'fastify';
import { parseParam, parseRequest } from '../api/validation';
import type { TenantContext } from '../auth/auth-context';
import { CurrentTenant, TenantScoped } from '../auth/auth.decorators';
import { CONFIG, type Config } from '../config/config';
import { requestBody } from '../docs/openapi';
import { DeploymentsService } from './deployments.service';
import { ApplyDeploymentUseCase } from './usecases/apply-deployment/apply-deployment.usecase';
import { RollbackDeploymentUseCase } from './usecases/rollback-deployment/rollback-deployment.usecase';

const name = (value: string) => parseParam(dnsLabel, value, 'name');

@ApiTags('deployments')
@ApiBearerAuth()
@TenantScoped()
@Controller('v1/deployments')
export class DeploymentsController {
  private readonly scaleSchema;

  constructor(
    @Inject(CONFIG) config: Config,
    private readonly deployments: DeploymentsService,
    private readonly applyDeployment: ApplyDeploymentUseCase,
    private readonly rollbackDeployment: RollbackDeploymentUseCase,
  ) {
    this.scaleSchema = scaleRequest(config.maxReplicas);
  }

  /** Create (201) or update (200) from the spec document; a new revision only when the spec changed. */
  @Put(':name')
  @ApiBody(requestBody('DeploymentSpec'))
  async apply(
    @CurrentTenant() tenant: TenantContext,
    @Param('name') deployment: string,
    @Body() document: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<DeploymentView> {
    const { view, created } = await this.applyDeployment.execute({ ...tenant, name: deployment, document });
    reply.status(created ? 201 : 200);
    return view;
  }

  @Get()
  async list(@CurrentTenant() tenant: TenantContext): Promise<List<DeploymentView>> {
    return { items: await this.deployments.list(tenant) };
  }

  @Get(':name')
  get(@CurrentTenant() tenant: TenantContext, @Param('name') deployment: string): Promise<DeploymentView> {
    return this.deployments.get(tenant, name(deployment));
  }

  @Patch(':name/scale')
  @ApiBody(requestBody('ScaleRequest'))
  scale(@CurrentTenant() tenant: TenantContext, @Param('name') deployment: string, @Body() body: unknown): Promise<DeploymentView> {
    return this.deployments.scale(tenant, name(deployment), parseRequest(this.scaleSchema, body).replicas);
  }

  /** Removes the deployment with its revisions and instances; agents stop the containers. */
  @Delete(':name')
  @HttpCode(204)
  async remove(@CurrentTenant() tenant: TenantContext, @Param('name') deployment: string): Promise<void> {
    await this.deployments.delete(tenant, name(deployment));
  }

  @Get(':name/revisions')
  async revisions(@CurrentTenant() tenant: TenantContext, @Param('name') deployment: string): Promise<List<RevisionView>> {
    return { items: await this.deployments.revisions(tenant, name(deployment)) };
  }

  /** Back to `revision` (default: the previous one), as a new revision. */
  @Post(':name/rollback')
  @HttpCode(200)
  @ApiBody(requestBody('RollbackRequest', { required: false }))
  rollback(@CurrentTenant() tenant: TenantContext, @Param('name') deployment: string, @Body() body: unknown): Promise<DeploymentView> {
    const { revision } = parseRequest(rollbackRequest, body ?? {});
    return this.rollbackDeployment.execute({ ...tenant, name: name(deployment), revision });
  }

  @Post(':name/pause')
  @HttpCode(200)
  pause(@CurrentTenant() tenant: TenantContext, @Param('name') deployment: string): Promise<DeploymentView> {
    return this.deployments.setPaused(tenant, name(deployment), true);
  }

  @Post(':name/resume')
  @HttpCode(200)
  resume(@CurrentTenant() tenant: TenantContext, @Param('name') deployment: string): Promise<DeploymentView> {
    return this.deployments.setPaused(tenant, name(deployment), false);
  }

  @Get(':name/instances')
  async instances(@CurrentTenant() tenant: TenantContext, @Param('name') deployment: string): Promise<List<InstanceView>> {
    return { items: await this.deployments.instances(tenant, name(deployment)) };
  }
}
