import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { EVALUATION_QUEUE, type EvaluationQueue } from '../queue/evaluation-queue';
import { SchedulingRepository } from './scheduling.repository';

const SWEEP_INTERVAL_MS = 3000;

/**
 * Every few seconds, on every replica: enqueue deployments that an evaluation may owe something (see
 * SchedulingRepository.needingEvaluation). Idempotent — job ids coalesce duplicates — and it heals lost
 * wake-ups and drives the time-based steps of rollouts.
 */
@Injectable()
export class EvaluationSweep implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('EvaluationSweep');
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(
    private readonly repository: SchedulingRepository,
    @Inject(EVALUATION_QUEUE) private readonly queue: EvaluationQueue,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.sweep(), SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async sweep(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (const id of await this.repository.needingEvaluation()) await this.queue.enqueue(id);
    } catch (err) {
      this.logger.warn(`sweep failed: ${(err as Error).message}`);
    } finally {
      this.running = false;
    }
  }
}
