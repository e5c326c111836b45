import type { Redis } from 'ioredis';

/** Redis pub/sub channel on which the replica holding node `id`'s stream learns that its desired state changed. */
export const nodeChannel = (nodeId: string) => `node:${nodeId}`;

/** Wakes up the gateway for nodes whose desired instance set changed (level-triggered: a hint, not data). */
export interface NodeNotifier {
  notify(nodeIds: string[]): Promise<void>;
}
export const NODE_NOTIFIER = Symbol('NodeNotifier');

export class RedisNodeNotifier implements NodeNotifier {
  constructor(private readonly redis: Redis) {}

  async notify(nodeIds: string[]): Promise<void> {
    const unique = [...new Set(nodeIds)];
    if (unique.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const id of unique) pipeline.publish(nodeChannel(id), '1');
    const results = await pipeline.exec();
    const failed = results?.find(([err]) => err);
    if (failed) throw failed[0];
  }
}
