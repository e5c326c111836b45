import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Worker, type ConnectionOptions } from 'bullmq';
import { withTimeout } from '../api/unavailable';
import { CONFIG, type Config } from '../config/config';
import { BullEvaluationQueue } from '../queue/bullmq-evaluation.queue';
import { EvaluationHandlers } from '../queue/evaluation-handlers';
import { EVALUATION_QUEUE, EVALUATIONS_QUEUE_NAME, type EvaluationJobData, type EvaluationQueue } from '../queue/evaluation-queue';
import { workerRedisOptions } from '../queue/redis-options';
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

  constructor(
    private readonly scheduling: SchedulingService,
    private readonly handlers: EvaluationHandlers,
    private readonly metrics: SchedulingMetrics,
    @Inject(EVALUATION_QUEUE) private readonly queue: EvaluationQueue,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  onModuleInit(): void {
    this.handlers.register(this.scheduling);
    const queue = this.queue;
    if (!(queue instanceof BullEvaluationQueue)) return;
    this.worker = new Worker<EvaluationJobData>(EVALUATIONS_QUEUE_NAME, (job) => this.scheduling.evaluate(job.data.deploymentId), {
      connection: workerRedisOptions(this.config.redisUrl) as ConnectionOptions,
      prefix: this.config.queuePrefix,
      concurrency: CONCURRENCY,
      lockDuration: LOCK_DURATION_MS,
      stalledInterval: STALLED_INTERVAL_MS,
    });
    this.worker.on('failed', (job, err) => this.logger.error(`evaluation of deployment ${job?.data.deploymentId} failed: ${err.message}`));
    this.worker.on('error', (err) => this.logger.warn(`evaluation worker: ${err.message}`));
    // A scrape must not hang while Redis is away.
    this.metrics.countWaitingWith(() => withTimeout(queue.waitingCount(), 1000, 'redis (evaluation queue)'));
  }

  /**
   * Lets running evaluations finish, but not forever (a job left active is picked up again as stalled). That graceful
   * close also waits on Redis: with a connection in ioredis' "reconnecting" (Redis down, or only just back) it never
   * resolves and leaves BullMQ's timers running (bullmq#4656). So when a connection is not ready the worker is closed
   * with force: its connections are dropped at once and running evaluations are not awaited (their jobs stall and are
   * taken again).
   */
  async onApplicationShutdown(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    const force = !(await connectionsReady(worker));
    if (force) this.logger.warn('Redis unreachable: closing the evaluation worker without waiting for running evaluations');
    await withTimeout(worker.close(force), CLOSE_TIMEOUT_MS, 'evaluation worker close').catch((err: Error) => this.logger.warn(err.message));
  }
}

/** Whether both of the worker's connections (BullMQ's escape hatches to its raw clients) are ready. */
async function connectionsReady(worker: Worker): Promise<boolean> {
  const backend = worker.getBackend();
  const clients = await withTimeout(Promise.all([backend.client, backend.blockingClient]), 100, 'redis clients').catch(() => undefined);
  return clients?.every((client) => client?.status === 'ready') ?? false;
}
