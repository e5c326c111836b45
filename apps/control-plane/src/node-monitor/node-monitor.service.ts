import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { CONFIG, type Config } from '../config/config';
import { Transactor } from '../db/db.module';
import { EventsService } from '../events/events.service';
import { EVALUATION_QUEUE, type EvaluationQueue } from '../queue/evaluation-queue';
import { NodeMonitorRepository } from './node-monitor.repository';

/** One small UPDATE over the nodes table; run often so a silent node is down within 250 ms of its grace period. */
const CHECK_INTERVAL_MS = 250;
/** Agents retry a lost stream at least this often (their reconnect back-off cap). */
const AGENT_RECONNECT_SECONDS = 10;

/**
 * Four times a second, on every replica: nodes silent past OJA_NODE_GRACE_SECONDS go down, their instances are lost
 * and their deployments evaluated (replacements elsewhere). A node that registers or heartbeats again is
 * brought back up by the gateway (node.up).
 */
@Injectable()
export class NodeMonitor implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('NodeMonitor');
  private timer?: NodeJS.Timeout;
  private running = false;
  /**
   * No heartbeat reaches a control plane that is not running: after a (re)start, nodes get the grace period plus the
   * time agents take to reconnect before silence counts, or a restart would take every node down at once.
   */
  private readonly watchingFrom = Date.now() + (this.config.nodeGraceSeconds + AGENT_RECONNECT_SECONDS) * 1000;

  constructor(
    private readonly transactor: Transactor,
    private readonly repository: NodeMonitorRepository,
    private readonly events: EventsService,
    @Inject(EVALUATION_QUEUE) private readonly queue: EvaluationQueue,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.check(), CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async check(): Promise<void> {
    if (this.running || Date.now() < this.watchingFrom) return;
    this.running = true;
    try {
      const deployments = await this.transactor.run(async (tx) => {
        const down = await this.repository.markSilentNodesDown(tx, this.config.nodeGraceSeconds);
        if (down.length === 0) return [];
        for (const node of down) {
          await this.events.record(
            { nodeId: node.id, type: 'node.down', message: `node ${node.name} missed heartbeats for ${this.config.nodeGraceSeconds}s` },
            tx,
          );
        }
        const lost = await this.repository.loseInstances(tx, down.map((n) => n.id));
        for (const instance of lost) {
          await this.events.record({ deploymentId: instance.deploymentId, nodeId: instance.nodeId, instanceId: instance.id, type: 'instance.lost', message: 'lost: its node is down' }, tx);
        }
        return [...new Set(lost.map((i) => i.deploymentId))];
      });
      for (const id of deployments) await this.queue.enqueue(id);
    } catch (err) {
      this.logger.warn(`node check failed: ${(err as Error).message}`);
    } finally {
      this.running = false;
    }
  }
}
