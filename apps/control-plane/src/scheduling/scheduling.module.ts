import { Module } from '@nestjs/common';
import { RolloutModule } from '../rollout/rollout.module';
import { EvaluationSweep } from './evaluation-sweep';
import { EvaluationWorker } from './evaluation.worker';
import { SchedulingMetrics } from './scheduling.metrics';
import { SchedulingRepository } from './scheduling.repository';
import { SchedulingService } from './scheduling.service';

@Module({
  imports: [RolloutModule],
  providers: [SchedulingRepository, SchedulingService, SchedulingMetrics, EvaluationWorker, EvaluationSweep],
  exports: [SchedulingService],
})
export class SchedulingModule {}
