import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { instancesPerNode, place, reconcileDeployment, taintedNodesFor } from '@oja/scheduler';
import type { EntityManager } from 'typeorm';
import { Transactor } from '../db/db.module';
import { EventsService, type NewEvent } from '../events/events.service';
import type { EvaluationHandler } from '../queue/evaluation-queue';
import { NODE_NOTIFIER, type NodeNotifier } from '../queue/node-notifier';
import { DEREGISTRATION_DELAY_MS, RolloutRepository } from '../rollout/rollout.repository';
import {
  assignPlacements,
  parseRolloutStatus,
  placementRequest,
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
  /** Instances left the routes (first phase of their stop): every node's mesh must hear of it. */
  deregistered: boolean;
}

/**
 * One evaluation of one deployment: load state under the deployment's row lock, ask libs/scheduler what to
 * do (reconcile → place), write instances, save the rollout status, then wake the nodes whose sets changed.
 */
@Injectable()
export class SchedulingService implements EvaluationHandler, OnApplicationShutdown {
  private readonly logger = new Logger('SchedulingService');
  /** Re-evaluations that finish two-phase stops after the deregistration delay (a hint: the sweep does it too). */
  private readonly deregistrationTimers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly transactor: Transactor,
    private readonly repository: SchedulingRepository,
    private readonly events: EventsService,
    private readonly metrics: SchedulingMetrics,
    @Inject(NODE_NOTIFIER) private readonly notifier: NodeNotifier,
    private readonly rollout: RolloutRepository,
  ) {}

  onApplicationShutdown(): void {
    for (const timer of this.deregistrationTimers) clearTimeout(timer);
    this.deregistrationTimers.clear();
  }

  async evaluate(deploymentId: string): Promise<void> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const stopTimer = this.metrics.duration.startTimer();
      const outcome = await this.transactor.run((tx) => this.evaluateLocked(tx, deploymentId));
      stopTimer();
      if (!outcome) return;
      this.metrics.placements.inc(outcome.placed);
      if (outcome.deregistered) this.finishDeregistrationLater(deploymentId);
      const woken = outcome.deregistered ? [...outcome.changedNodes, ...(await this.rollout.allNodeIds())] : outcome.changedNodes;
      await this.notifier
        .notify(woken)
        .catch((err: Error) => this.logger.warn(`nodes ${outcome.changedNodes.join(', ')} not woken (the sweep will heal): ${err.message}`));
      // The job is still active, so an enqueue made meanwhile was coalesced into it: evaluate again.
      if ((await this.repository.generation(deploymentId)) === outcome.evaluatedGeneration) return;
    }
  }

  private finishDeregistrationLater(deploymentId: string): void {
    const timer = setTimeout(() => {
      this.deregistrationTimers.delete(timer);
      this.evaluate(deploymentId).catch((err: Error) => this.logger.warn(`deployment ${deploymentId}: stopping deregistered instances failed (the sweep retries): ${err.message}`));
    }, DEREGISTRATION_DELAY_MS + 100);
    timer.unref();
    this.deregistrationTimers.add(timer);
  }

  private async evaluateLocked(tx: EntityManager, deploymentId: string): Promise<Outcome | null> {
    const deployment = await this.repository.lockDeployment(tx, deploymentId);
    if (!deployment) return null;
    const changed = new Set<string>();
    // Second phase of earlier stops: out of every node's routes long enough, now stopped on their node.
    for (const node of await this.rollout.finishDeregistration(tx, deploymentId)) changed.add(node);
    const revisions = await this.repository.revisions(tx, deploymentId, deployment.currentRevision);
    const spec = revisions.get(deployment.currentRevision);
    if (!spec) throw new Error(`deployment ${deployment.name} has no revision ${deployment.currentRevision}`);
    const rows = await this.repository.instances(tx, deploymentId);
    // Statuses only: capacity (an aggregate over every instance) is read below, and only when placing.
    const tainted = taintedNodesFor(await this.repository.nodeStates(tx), deployment);
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

    const events: NewEvent[] = [];
    const base = { deploymentId, tenantId: deployment.tenantId };

    await this.repository.markLost(tx, plan.lost);
    // First phase of a stop: an instance that may be routed to leaves every node's routes; stopped after the delay.
    const { deregistered, stopNow } = await this.rollout.deregister(tx, plan.stop);
    for (const node of await this.repository.stop(tx, stopNow)) changed.add(node);

    const stopping = new Set([...plan.stop, ...plan.lost]);
    const newCount = plan.place.reduce((sum, p) => sum + p.count, 0);
    const wanted = newCount + plan.retry.length;
    let placed = 0;
    if (wanted > 0) {
      // Capacity is read again under the placement lock: what other evaluations placed meanwhile counts.
      await this.repository.lockPlacement(tx);
      const freshNodes = (await this.repository.nodes(tx)).map(toSchedulerNode);
      const nodeNames = new Map(freshNodes.map((n) => [n.id, n.name]));
      const existingPerNode = instancesPerNode(instances.filter((i) => !stopping.has(i.id)), tainted, deployment.currentRevision);
      const result = place(freshNodes, [placementRequest(deployment, spec, wanted, existingPerNode)]);
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
    if (status.phase === 'failed' && deployment.status !== 'failed' && spec.update.autoRollback) {
      const rolledBack = await this.rollout.rollBack(tx, deploymentId, deployment.currentRevision);
      if (rolledBack) {
        events.push({
          ...base, type: 'rollout.rolledback',
          message: `revision ${rolledBack.from} failed; rolled back to revision ${rolledBack.to} (as revision ${rolledBack.as})`,
        });
      }
    }
    await this.repository.bumpNodeGenerations(tx, [...changed]);
    await this.events.recordAll(events, tx);
    return { evaluatedGeneration: deployment.generation, changedNodes: [...changed], placed, deregistered: deregistered.length > 0 };
  }
}
