import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { withTimeout } from '../api/unavailable';
import { EVALUATE_JOB_NAME, EVALUATIONS_QUEUE_NAME, type EvaluationJobData, type EvaluationQueue } from './evaluation-queue';

const ENQUEUE_TIMEOUT_MS = 2000;

/**
 * BullMQ queue "evaluations"; jobId = deployment id so that bursts of changes coalesce into one job. It runs on a
 * fail-fast connection the caller owns (the app's shared REDIS one): /readyz then pings the very connection enqueues
 * use, and closing never waits on Redis (BullMQ leaves a caller's connection open; the caller disconnects it).
 */
export class BullEvaluationQueue implements EvaluationQueue {
  private readonly queue: Queue;

  constructor(redis: Redis, prefix: string) {
    this.queue = new Queue(EVALUATIONS_QUEUE_NAME, {
      connection: redis,
      prefix,
      defaultJobOptions: { removeOnComplete: true, removeOnFail: true },
    });
    // Errors surface on enqueue; keep the emitter from crashing the process meanwhile.
    this.queue.on('error', () => undefined);
  }

  async enqueue(deploymentId: string): Promise<void> {
    await withTimeout(this.queue.add(EVALUATE_JOB_NAME, { deploymentId } satisfies EvaluationJobData, { jobId: deploymentId }), ENQUEUE_TIMEOUT_MS, 'redis (evaluation queue)');
  }

  /** Jobs waiting for a worker (the oja_evaluations_waiting gauge). */
  waitingCount(): Promise<number> {
    return this.queue.getWaitingCount();
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
