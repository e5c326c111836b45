import { Queue, type ConnectionOptions } from 'bullmq';
import { withTimeout } from '../api/unavailable';
import { EVALUATE_JOB_NAME, EVALUATIONS_QUEUE_NAME, type EvaluationJobData, type EvaluationQueue } from './evaluation-queue';
import { failFastRedisOptions } from './redis-options';

const ENQUEUE_TIMEOUT_MS = 2000;

/** BullMQ queue "evaluations"; jobId = deployment id so that bursts of changes coalesce into one job. */
export class BullEvaluationQueue implements EvaluationQueue {
  private readonly queue: Queue;

  constructor(redisUrl: string, prefix: string) {
    this.queue = new Queue(EVALUATIONS_QUEUE_NAME, {
      connection: failFastRedisOptions(redisUrl) as ConnectionOptions,
      prefix,
      defaultJobOptions: { removeOnComplete: true, removeOnFail: true },
    });
    // Errors surface on enqueue; keep the emitter from crashing the process meanwhile.
    this.queue.on('error', () => undefined);
  }

  async enqueue(deploymentId: string): Promise<void> {
    await withTimeout(this.queue.add(EVALUATE_JOB_NAME, { deploymentId } satisfies EvaluationJobData, { jobId: deploymentId }), ENQUEUE_TIMEOUT_MS, 'redis (evaluation queue)');
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
