import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import { withTimeout } from '../api/unavailable';
import { CONFIG, type Config } from '../config/config';
import { BullEvaluationQueue } from '../queue/bullmq-evaluation.queue';
import { EvaluationHandlers } from '../queue/evaluation-handlers';
import { EVALUATION_QUEUE, EVALUATIONS_QUEUE_NAME, type EvaluationJobData, type EvaluationQueue } from '../queue/evaluation-queue';
import { redisOptionsFromUrl } from '../queue/redis-options';
import { SchedulingMetrics } from './scheduling.metrics';
import { SchedulingService } from './scheduling.service';

const CONCURRENCY = 4;
const CLOSE_TIMEOUT_MS = 5000;
/**
 * Evaluations take milliseconds. A job whose replica died (SIGKILL mid-rollout) stays active, and its deployment's
 * enqueues coalesce into it, until BullMQ finds it stalled: short locks and checks make that seconds, not a minute.
 */
const LOCK_DURATION_MS = 10_000;
const STALLED_INTERVAL_MS = 5000;

/**
 * Takes evaluation jobs: registers SchedulingService as the handler (the inline queue calls it directly) and,
 * when evaluations go through BullMQ, runs the worker on queue "evaluations" — a thin job that only calls evaluate().
 */
@Injectable()
export class EvaluationWorker implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('EvaluationWorker');
  private worker?: Worker<EvaluationJobData>;
  private counter?: Queue;

  constructor(
    private readonly scheduling: SchedulingService,
    private readonly handlers: EvaluationHandlers,
    private readonly metrics: SchedulingMetrics,
    @Inject(EVALUATION_QUEUE) private readonly queue: EvaluationQueue,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  onModuleInit(): void {
    this.handlers.register(this.scheduling);
    if (!(this.queue instanceof BullEvaluationQueue)) return;
    // Blocking worker connections must wait through Redis outages (BullMQ wants maxRetriesPerRequest null).
    const connection = { ...redisOptionsFromUrl(this.config.redisUrl), maxRetriesPerRequest: null } as ConnectionOptions;
    this.worker = new Worker<EvaluationJobData>(EVALUATIONS_QUEUE_NAME, (job) => this.scheduling.evaluate(job.data.deploymentId), {
      connection,
      prefix: this.config.queuePrefix,
      concurrency: CONCURRENCY,
      lockDuration: LOCK_DURATION_MS,
      stalledInterval: STALLED_INTERVAL_MS,
    });
    this.worker.on('failed', (job, err) => this.logger.error(`evaluation of deployment ${job?.data.deploymentId} failed: ${err.message}`));
    this.worker.on('error', (err) => this.logger.warn(`evaluation worker: ${err.message}`));
    const counter = new Queue(EVALUATIONS_QUEUE_NAME, { connection, prefix: this.config.queuePrefix });
    counter.on('error', () => undefined);
    this.counter = counter;
    // A scrape must not hang while Redis is away.
    this.metrics.countWaitingWith(() => withTimeout(counter.getWaitingCount(), 1000, 'redis (evaluation queue)'));
  }

  /** Lets running evaluations finish, but not forever (a job left active is picked up again as stalled). */
  async onApplicationShutdown(): Promise<void> {
    const worker = this.worker;
    if (worker) await withTimeout(worker.close(), CLOSE_TIMEOUT_MS, 'evaluation worker close').catch(() => worker.close(true));
    await this.counter?.close();
  }
}
