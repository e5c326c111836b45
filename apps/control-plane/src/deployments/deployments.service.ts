import { Inject, Injectable, Logger } from '@nestjs/common';
import type { DeploymentSpec, DeploymentView, InstanceView, RevisionView } from '@oja/contracts';
import type { EntityManager } from 'typeorm';
import { notFound } from '../api/problem';
import type { TenantContext } from '../auth/auth-context';
import { Transactor } from '../db/db.module';
import type { TenantEntity } from '../db/entities';
import { EventsService } from '../events/events.service';
import { EVALUATION_QUEUE, type EvaluationQueue } from '../queue/evaluation-queue';
import { NODE_NOTIFIER, type NodeNotifier } from '../queue/node-notifier';
import { mapDeployment, mapInstance, mapRevision } from './deployment.mapper';
import type { StatusInstance } from './deployment-status';
import { DeploymentRepository, type DeploymentChange, type DeploymentWithSpec, type FoundDeployment } from './deployment.repository';
import { QuotaService } from './quota.service';

/** What a change of an existing deployment does: the row change, its event, and the new spec if it made a revision. */
export interface ChangeDecision {
  change: DeploymentChange;
  event: { type: string; message: string };
  spec?: DeploymentSpec;
}

@Injectable()
export class DeploymentsService {
  private readonly logger = new Logger('DeploymentsService');

  constructor(
    private readonly transactor: Transactor,
    private readonly deployments: DeploymentRepository,
    private readonly quota: QuotaService,
    private readonly events: EventsService,
    @Inject(EVALUATION_QUEUE) private readonly queue: EvaluationQueue,
    @Inject(NODE_NOTIFIER) private readonly notifier: NodeNotifier,
  ) {}

  async list(tenant: TenantContext): Promise<DeploymentView[]> {
    return this.present(await this.deployments.listWithSpecs(tenant.tenantId));
  }

  async get(tenant: TenantContext, name: string): Promise<DeploymentView> {
    const found = await this.find(tenant, name);
    return mapDeployment(found, found.instances, new Date());
  }

  async revisions(tenant: TenantContext, name: string): Promise<RevisionView[]> {
    const { deployment } = await this.find(tenant, name);
    return (await this.deployments.listRevisions(deployment.id)).map((r) => mapRevision(r, deployment.currentRevision, deployment.replicas));
  }

  async instances(tenant: TenantContext, name: string): Promise<InstanceView[]> {
    const { deployment } = await this.find(tenant, name);
    return (await this.deployments.listInstances(deployment.id)).map(mapInstance);
  }

  async scale(tenant: TenantContext, name: string, replicas: number): Promise<DeploymentView> {
    return this.change(tenant, name, async (tx, current, tenantRow) => {
      if (current.deployment.replicas === replicas) return undefined;
      await this.quota.assertFits(tx, tenantRow, { deploymentId: current.deployment.id, replicas, resources: current.spec.resources });
      return {
        change: { replicas, status: 'progressing', statusReason: null, progressAt: new Date() },
        event: { type: 'deployment.scaled', message: `scaled from ${current.deployment.replicas} to ${replicas} replicas` },
      };
    });
  }

  setPaused(tenant: TenantContext, name: string, paused: boolean): Promise<DeploymentView> {
    return this.change(tenant, name, async (_tx, current) =>
      current.deployment.paused === paused
        ? undefined
        : {
            change: paused ? { paused } : { paused, progressAt: new Date() },
            event: { type: paused ? 'rollout.paused' : 'rollout.resumed', message: paused ? 'rollout paused' : 'rollout resumed' },
          },
    );
  }

  /** Deletes the deployment, its revisions and instances; the nodes that ran them get their new desired set. */
  async delete(tenant: TenantContext, name: string): Promise<void> {
    const nodeIds = await this.transactor.run(async (tx) => {
      await this.quota.lockTenant(tx, tenant.tenantId);
      const current = await this.deployments.lock(tx, tenant.tenantId, name);
      if (!current) throw notFound(`deployment "${name}" not found`);
      await this.events.record(
        { tenantId: tenant.tenantId, deploymentId: current.deployment.id, type: 'deployment.deleted', message: `deployment ${name} deleted` },
        tx,
      );
      return this.deployments.delete(tx, current.deployment.id);
    });
    // A wake-up only: agents converge to the desired set on their next sync even if this is lost.
    await this.notifier.notify(nodeIds).catch((err: Error) => this.logger.warn(`could not notify nodes ${nodeIds.join(', ')}: ${err.message}`));
  }

  /**
   * The shared shape of a change: lock the tenant row then the deployment (always in this order, as apply
   * does, so concurrent changes cannot deadlock), let `decide` return the change (or nothing), save it
   * with an event, then queue an evaluation after commit (always, so a retry after a queue outage heals).
   */
  async change(
    tenant: TenantContext,
    name: string,
    decide: (tx: EntityManager, current: DeploymentWithSpec, tenantRow: TenantEntity) => Promise<ChangeDecision | undefined>,
  ): Promise<DeploymentView> {
    const result = await this.transactor.run(async (tx) => {
      const tenantRow = await this.quota.lockTenant(tx, tenant.tenantId);
      const current = await this.deployments.lock(tx, tenant.tenantId, name);
      if (!current) throw notFound(`deployment "${name}" not found`);
      const decision = await decide(tx, current, tenantRow);
      if (!decision) return current;
      const deployment = await this.deployments.update(tx, current.deployment, decision.change);
      await this.events.record({ tenantId: tenant.tenantId, deploymentId: deployment.id, ...decision.event }, tx);
      return { deployment, spec: decision.spec ?? current.spec };
    });
    return this.afterChange(result);
  }

  /**
   * Queues the evaluation of a committed change and answers the deployment's view. `instances`: its status instances
   * when already known (a change of the deployment row leaves them as they were), else they are read.
   */
  async afterChange(result: DeploymentWithSpec, instances?: StatusInstance[]): Promise<DeploymentView> {
    if (instances) {
      await this.queue.enqueue(result.deployment.id);
      return mapDeployment(result, instances, new Date());
    }
    // Independent round trips (Redis, Postgres): in parallel.
    const [, [view]] = await Promise.all([this.queue.enqueue(result.deployment.id), this.present([result])]);
    return view;
  }

  /**
   * After an apply that changed nothing: queue an evaluation only while the current generation is not evaluated yet
   * (a retry after a queue outage heals at once); otherwise the evaluation owes nothing new, and the sweep keeps
   * driving rollouts and waiting instances anyway.
   */
  async afterNoChange(found: FoundDeployment): Promise<DeploymentView> {
    if (!found.evaluated) return this.afterChange(found, found.instances);
    return mapDeployment(found, found.instances, new Date());
  }

  private async find(tenant: TenantContext, name: string): Promise<FoundDeployment> {
    const found = await this.deployments.find(tenant.tenantId, name);
    if (!found) throw notFound(`deployment "${name}" not found`);
    return found;
  }

  private async present(items: DeploymentWithSpec[]): Promise<DeploymentView[]> {
    const instances = await this.deployments.statusInstances(items.map((i) => i.deployment.id));
    const now = new Date();
    return items.map((i) => mapDeployment(i, instances.get(i.deployment.id) ?? [], now));
  }
}
