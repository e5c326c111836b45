import { Module } from '@nestjs/common';
import { EvaluationSweep } from './evaluation-sweep';
import { EvaluationWorker } from './evaluation.worker';
import { SchedulingMetrics } from './scheduling.metrics';
import { SchedulingRepository } from './scheduling.repository';
import { SchedulingService } from './scheduling.service';

@Module({
  providers: [SchedulingRepository, SchedulingService, SchedulingMetrics, EvaluationWorker, EvaluationSweep],
  exports: [SchedulingService],
})
export class SchedulingModule {}
