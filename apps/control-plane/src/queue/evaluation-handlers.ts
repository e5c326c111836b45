import { Injectable } from '@nestjs/common';
import type { EvaluationHandler } from './evaluation-queue';

/**
 * Where the scheduling module registers its EvaluationHandler (in onModuleInit). The inline queue
 * calls it directly; the BullMQ worker (scheduling/) calls it for each job.
 */
@Injectable()
export class EvaluationHandlers {
  private handler?: EvaluationHandler;

  register(handler: EvaluationHandler): void {
    if (this.handler && this.handler !== handler) throw new Error('an evaluation handler is already registered');
    this.handler = handler;
  }

  /** The registered handler; throws rather than dropping work when there is none. */
  get(): EvaluationHandler {
    if (!this.handler) throw new Error('no evaluation handler registered: evaluation work would be lost');
    return this.handler;
  }
}
