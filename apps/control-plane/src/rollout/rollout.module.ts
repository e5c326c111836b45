import { Module } from '@nestjs/common';
import { DeploymentsModule } from '../deployments/deployments.module';
import { RolloutRepository } from './rollout.repository';

/** Rollout pieces the evaluation worker and the gateway share: the two-phase stop and auto-rollback. */
@Module({
  imports: [DeploymentsModule],
  providers: [RolloutRepository],
  exports: [RolloutRepository],
})
export class RolloutModule {}
