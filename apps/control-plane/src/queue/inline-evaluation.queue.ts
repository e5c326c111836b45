import type { EvaluationHandlers } from './evaluation-handlers';
import type { EvaluationQueue } from './evaluation-queue';

/** Runs the evaluation synchronously inside enqueue (tests); throws if no handler is registered. */
export class InlineEvaluationQueue implements EvaluationQueue {
  constructor(private readonly handlers: EvaluationHandlers) {}

  async enqueue(deploymentId: string): Promise<void> {
    await this.handlers.get().evaluate(deploymentId);
  }
}
