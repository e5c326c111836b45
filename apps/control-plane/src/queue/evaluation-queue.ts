/**
 * Evaluations: after a change of desired state commits, the deployment is queued for evaluation
 * (diff desired vs instances, place, notify nodes). The worker lives in scheduling/.
 */
export const EVALUATIONS_QUEUE_NAME = 'evaluations';
export const EVALUATE_JOB_NAME = 'evaluate';

export interface EvaluationJobData {
  deploymentId: string;
}

/**
 * Queue port. Enqueueing a deployment that already waits is a no-op (bursts coalesce). A job that is
 * already RUNNING is not queued again, so a handler must re-read the deployment's generation when it
 * finishes and evaluate again if it moved. Rejects (fast) when the queue backend is unavailable.
 */
export interface EvaluationQueue {
  enqueue(deploymentId: string): Promise<void>;
}
export const EVALUATION_QUEUE = Symbol('EvaluationQueue');

/** What evaluates one deployment: implemented by the scheduling worker. */
export interface EvaluationHandler {
  evaluate(deploymentId: string): Promise<void>;
}
