import { DynamicModule, Global, Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { CONFIG, type Config } from '../config/config';
import { BullEvaluationQueue } from './bullmq-evaluation.queue';
import { EvaluationHandlers } from './evaluation-handlers';
import { EVALUATION_QUEUE, type EvaluationQueue } from './evaluation-queue';
import { InlineEvaluationQueue } from './inline-evaluation.queue';
import { NODE_NOTIFIER, RedisNodeNotifier } from './node-notifier';
import { failFastRedisOptions } from './redis-options';

export type QueueDriver = 'bullmq' | 'inline';

/** The shared fail-fast Redis connection for commands (PING, PUBLISH, enqueues); not for subscribers or workers. */
export const REDIS = Symbol('Redis');

@Injectable()
class QueueCloser implements OnApplicationShutdown {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(EVALUATION_QUEUE) private readonly queue: EvaluationQueue,
  ) {}
  async onApplicationShutdown(): Promise<void> {
    if (this.queue instanceof BullEvaluationQueue) await this.queue.close();
    this.redis.disconnect();
  }
}

@Global()
export class QueueModule {
  static forRoot(driver: QueueDriver): DynamicModule {
    return {
      module: QueueModule,
      providers: [
        EvaluationHandlers,
        {
          provide: REDIS,
          inject: [CONFIG],
          useFactory: (config: Config) => {
            const redis = new Redis(failFastRedisOptions(config.redisUrl));
            // Connection errors are reported by the commands that fail; don't crash on the emitter.
            redis.on('error', () => undefined);
            return redis;
          },
        },
        {
          provide: EVALUATION_QUEUE,
          inject: [CONFIG, EvaluationHandlers, REDIS],
          useFactory: (config: Config, handlers: EvaluationHandlers, redis: Redis): EvaluationQueue =>
            driver === 'inline' ? new InlineEvaluationQueue(handlers) : new BullEvaluationQueue(redis, config.queuePrefix),
        },
        { provide: NODE_NOTIFIER, inject: [REDIS], useFactory: (redis: Redis) => new RedisNodeNotifier(redis) },
        QueueCloser,
      ],
      exports: [EvaluationHandlers, EVALUATION_QUEUE, NODE_NOTIFIER, REDIS],
    };
  }
}
