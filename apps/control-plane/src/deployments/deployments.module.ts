import { Module } from '@nestjs/common';
import { TenantsModule } from '../tenants/tenants.module';
import { DeploymentRepository } from './deployment.repository';
import { DeploymentsController } from './deployments.controller';
import { DeploymentsService } from './deployments.service';
import { QuotaService } from './quota.service';
import { ApplyDeploymentUseCase } from './usecases/apply-deployment/apply-deployment.usecase';
import { RollbackDeploymentUseCase } from './usecases/rollback-deployment/rollback-deployment.usecase';

@Module({
  imports: [TenantsModule],
  controllers: [DeploymentsController],
  providers: [DeploymentRepository, DeploymentsService, QuotaService, ApplyDeploymentUseCase, RollbackDeploymentUseCase],
  exports: [DeploymentRepository],
})
export class DeploymentsModule {}
