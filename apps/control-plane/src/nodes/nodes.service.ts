import { Inject, Injectable } from '@nestjs/common';
import type { NodeView } from '@oja/contracts';
import type { EntityManager } from 'typeorm';
import { ApiProblem, notFound } from '../api/problem';
import { Transactor } from '../db/db.module';
import { EventsService } from '../events/events.service';
import { EVALUATION_QUEUE, type EvaluationQueue } from '../queue/evaluation-queue';
import { NODE_NOTIFIER, type NodeNotifier } from '../queue/node-notifier';
import { toNodeView } from './node.mapper';
import { NodeRepository, type LockedNode } from './node.repository';

/** The outcome of a node change: events are recorded in its transaction, re-evaluation follows the commit. */
interface NodeChange {
  evaluate: string[];
}

@Injectable()
export class NodesService {
  constructor(
    private readonly transactor: Transactor,
    private readonly nodes: NodeRepository,
    private readonly events: EventsService,
    @Inject(EVALUATION_QUEUE) private readonly queue: EvaluationQueue,
    @Inject(NODE_NOTIFIER) private readonly notifier: NodeNotifier,
  ) {}

  async list(): Promise<NodeView[]> {
    return (await this.nodes.list()).map(toNodeView);
  }

  /** Keeps the node out of placement and moves its instances elsewhere. A down node stays down, and comes back draining. */
  drain(name: string): Promise<NodeView> {
    return this.change(name, async (tx, node) => {
      await this.setDrained(tx, node, true, 'node.drain', `node ${node.name} drained: its instances move to other nodes`);
      return { evaluate: await this.nodes.affectedDeployments(tx, node.id) };
    });
  }

  /** Lets a drained node take instances again; pending instances anywhere may now fit there. */
  undrain(name: string): Promise<NodeView> {
    return this.change(name, async (tx, node) => {
      await this.setDrained(tx, node, false, 'node.undrain', `node ${node.name} undrained: it takes instances again`);
      return { evaluate: await this.nodes.affectedDeployments(tx, node.id, 'all') };
    });
  }

  /** Reserves the node for one tenant: other tenants' instances move off it, the tenant's pending ones may land. */
  dedicate(name: string, tenantName: string): Promise<NodeView> {
    return this.change(name, async (tx, node) => {
      const tenantId = await this.nodes.findTenantId(tx, tenantName);
      if (!tenantId) throw new ApiProblem(404, `tenant "${tenantName}" not found`, [{ path: 'tenant', message: `no tenant named "${tenantName}"` }]);
      if (node.dedicatedTenantId !== tenantId) {
        await this.nodes.setDedicatedTenant(tx, node.id, tenantId);
        await this.events.record(
          { nodeId: node.id, type: 'node.dedicate', message: `node ${node.name} dedicated to tenant ${tenantName}: other tenants' instances move off it` },
          tx,
        );
      }
      return { evaluate: await this.nodes.affectedDeployments(tx, node.id, tenantId) };
    });
  }

  /** Opens a dedicated node to every tenant again. */
  undedicate(name: string): Promise<NodeView> {
    return this.change(name, async (tx, node) => {
      if (node.dedicatedTenantId !== null) {
        await this.nodes.setDedicatedTenant(tx, node.id, null);
        await this.events.record({ nodeId: node.id, type: 'node.undedicate', message: `node ${node.name} is open to every tenant again` }, tx);
      }
      return { evaluate: await this.nodes.affectedDeployments(tx, node.id, 'all') };
    });
  }

  /**
   * Removes a node that has left: only a down or draining one (a ready node would keep running instances nobody
   * tracks). Its /24 goes back to the pool, its instances are placed elsewhere, and the remaining nodes are woken up
   * so they drop it from their WireGuard peers.
   */
  async remove(name: string): Promise<void> {
    const { evaluate, wake } = await this.transactor.run(async (tx) => {
      const node = await this.nodes.lockByName(tx, name);
      if (!node) throw notFound(`node "${name}" not found`);
      if (node.status !== 'down' && node.status !== 'draining') {
        throw new ApiProblem(409, `node "${name}" is ${node.status}: drain it or stop its agent before removing it`);
      }
      const evaluate = await this.nodes.affectedDeployments(tx, node.id);
      // recorded first, so the event keeps the node's name; the delete then clears its node_id
      await this.events.record({ nodeId: node.id, type: 'node.removed', message: `node ${name} removed; its overlay subnet is free again` }, tx);
      await this.nodes.delete(tx, node.id);
      return { evaluate, wake: await this.nodes.overlayNodeIds(tx) };
    });
    await this.reevaluate(evaluate);
    await this.notifier.notify(wake);
  }

  private async setDrained(tx: EntityManager, node: LockedNode, drained: boolean, type: string, message: string): Promise<void> {
    if (node.drained === drained) return;
    await this.nodes.setDrained(tx, node.id, drained);
    await this.events.record({ nodeId: node.id, type, message }, tx);
  }

  /**
   * Bumps the deployments' generation, then queues them. The bump is what makes the change stick: a job
   * already running for a deployment is not queued again, but its worker re-evaluates when the generation
   * moved, and the scheduler's sweep finds any deployment whose generation is ahead of its last evaluation.
   * It runs after the node transaction (no node lock held), so it cannot deadlock with an evaluation that
   * holds a deployment row and waits for node rows.
   */
  private async reevaluate(deploymentIds: string[]): Promise<void> {
    if (deploymentIds.length === 0) return;
    await this.nodes.bumpDeploymentGenerations(deploymentIds);
    for (const deploymentId of deploymentIds) await this.queue.enqueue(deploymentId);
  }

  /** Runs `work` on the locked node in one transaction, then has the deployments it names re-evaluated. */
  private async change(name: string, work: (tx: EntityManager, node: LockedNode) => Promise<NodeChange>): Promise<NodeView> {
    const { evaluate } = await this.transactor.run(async (tx) => {
      const node = await this.nodes.lockByName(tx, name);
      if (!node) throw notFound(`node "${name}" not found`);
      return work(tx, node);
    });
    await this.reevaluate(evaluate);
    const row = await this.nodes.findView(name);
    if (!row) throw notFound(`node "${name}" not found`);
    return toNodeView(row);
  }
}
