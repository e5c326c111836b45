import { Inject, Injectable, Logger } from '@nestjs/common';
import { place, reconcileDeployment } from '@oja/scheduler';
import type { EntityManager } from 'typeorm';
import { Transactor } from '../db/db.module';
import { EventsService, type NewEvent } from '../events/events.service';
import type { EvaluationHandler } from '../queue/evaluation-queue';
import { NODE_NOTIFIER, type NodeNotifier } from '../queue/node-notifier';
import {
  assignPlacements,
  parseRolloutStatus,
  placementRequest,
  taintsFor,
  toSchedulerInstance,
  toSchedulerNode,
} from './evaluation-plan';
import { SchedulingMetrics } from './scheduling.metrics';
import { SchedulingRepository } from './scheduling.repository';

/** A change landing while an evaluation runs makes it run again; bounded so a hot deployment cannot starve the worker. */
const MAX_ROUNDS = 5;

interface Outcome {
  evaluatedGeneration: string;
  changedNodes: string[];
  placed: number;
}

/**
 * One evaluation of one deployment: load state under the deployment's row lock, ask libs/scheduler what to
 * do (reconcile → place), write instances, save the rollout status, then wake the nodes whose sets changed.
 */
@Injectable()
export class SchedulingService implements EvaluationHandler {
  private readonly logger = new Logger('SchedulingService');

  constructor(
    private readonly transactor: Transactor,
    private readonly repository: SchedulingRepository,
    private readonly events: EventsService,
    private readonly metrics: SchedulingMetrics,
    @Inject(NODE_NOTIFIER) private readonly notifier: NodeNotifier,
  ) {}

  async evaluate(deploymentId: string): Promise<void> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const stopTimer = this.metrics.duration.startTimer();
      const outcome = await this.transactor.run((tx) => this.evaluateLocked(tx, deploymentId));
      stopTimer();
      if (!outcome) return;
      this.metrics.placements.inc(outcome.placed);
      await this.notifier
        .notify(outcome.changedNodes)
        .catch((err: Error) => this.logger.warn(`nodes ${outcome.changedNodes.join(', ')} not woken (the sweep will heal): ${err.message}`));
      // The job is still active, so an enqueue made meanwhile was coalesced into it: evaluate again.
      if ((await this.repository.generation(deploymentId)) === outcome.evaluatedGeneration) return;
    }
  }

  private async evaluateLocked(tx: EntityManager, deploymentId: string): Promise<Outcome | null> {
    const deployment = await this.repository.lockDeployment(tx, deploymentId);
    if (!deployment) return null;
    const revisions = await this.repository.revisions(tx, deploymentId);
    const spec = revisions.get(deployment.currentRevision);
    if (!spec) throw new Error(`deployment ${deployment.name} has no revision ${deployment.currentRevision}`);
    const rows = await this.repository.instances(tx, deploymentId);
    const nodes = (await this.repository.nodes(tx)).map(toSchedulerNode);
    const nodeNames = new Map(nodes.map((n) => [n.id, n.name]));
    const tainted = taintsFor(nodes, deployment.tenantId, deployment.tenantDedicated);
    const instances = rows.map((r) => toSchedulerInstance(r, Boolean(revisions.get(r.revision)?.health)));
    const previous = parseRolloutStatus(deployment.rolloutStatus);

    const plan = reconcileDeployment({
      deployment: {
        id: deployment.id, replicas: deployment.replicas, currentRevision: deployment.currentRevision, paused: deployment.paused,
        update: spec.update, status: previous,
      },
      instances,
      tainted,
      now: new Date(),
    });

    const changed = new Set<string>();
    const events: NewEvent[] = [];
    const base = { deploymentId, tenantId: deployment.tenantId };

    await this.repository.markLost(tx, plan.lost);
    for (const node of await this.repository.stop(tx, plan.stop)) changed.add(node);

    const stopping = new Set([...plan.stop, ...plan.lost]);
    const running = rows.filter((r) => r.desired === 'running' && !stopping.has(r.id));
    const newCount = plan.place.reduce((sum, p) => sum + p.count, 0);
    const wanted = newCount + plan.retry.length;
    let placed = 0;
    if (wanted > 0) {
      // Capacity is read again under the placement lock: what other evaluations placed meanwhile counts.
      await this.repository.lockPlacement(tx);
      const freshNodes = (await this.repository.nodes(tx)).map(toSchedulerNode);
      const result = place(freshNodes, [placementRequest(deployment, spec, wanted, running)]);
      const { placedRetries, newOnNodes, stillWaiting } = assignPlacements(result.placements, plan.retry);
      const reason = result.unplaced[0]?.reason ?? null;
      await this.repository.assignNode(tx, placedRetries);
      await this.repository.setWaitingReason(tx, stillWaiting, reason ?? 'waiting for a node');
      const waitingNew = newCount - newOnNodes.length;
      const created = await this.repository.create(tx, deploymentId, deployment.currentRevision, [...newOnNodes, ...Array<null>(Math.max(0, waitingNew)).fill(null)], reason);
      for (const { id, nodeId } of [...placedRetries, ...created]) {
        if (!nodeId) continue;
        changed.add(nodeId);
        placed++;
        events.push({ ...base, nodeId, instanceId: id, type: 'instance.scheduled', message: `scheduled on node ${nodeNames.get(nodeId) ?? nodeId}` });
      }
      if (waitingNew > 0) {
        events.push({ ...base, type: 'instance.pending', message: `${waitingNew} instance${waitingNew === 1 ? '' : 's'} pending: ${reason}` });
      }
    }
    await this.repository.deleteGone(tx, deploymentId);

    const status = plan.status;
    if (status.phase !== deployment.status && (status.phase === 'failed' || status.phase === 'complete')) {
      events.push({ ...base, type: status.phase === 'failed' ? 'rollout.failed' : 'rollout.complete', message: status.reason });
    } else if (status.outdated > 0 && (newCount > 0 || plan.stop.length > 0)) {
      events.push({ ...base, type: 'rollout.step', message: `started ${newCount}, stopping ${plan.stop.length}: ${status.reason}` });
    }
    await this.repository.saveStatus(tx, deploymentId, deployment.generation, status);
    await this.repository.bumpNodeGenerations(tx, [...changed]);
    for (const event of events) await this.events.record(event, tx);
    return { evaluatedGeneration: deployment.generation, changedNodes: [...changed], placed };
  }
}
