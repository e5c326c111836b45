import { Inject, Injectable } from '@nestjs/common';
import { deploymentSpecSchema, dnsLabel, type DeploymentSpec, type DeploymentView } from '@oja/contracts';
import { badRequest } from '../../../api/problem';
import { parseParam, parseRequest } from '../../../api/validation';
import { CONFIG, type Config } from '../../../config/config';
import { Transactor } from '../../../db/db.module';
import { EventsService } from '../../../events/events.service';
import { DeploymentRepository, type DeploymentWithSpec } from '../../deployment.repository';
import { DeploymentsService } from '../../deployments.service';
import { QuotaService } from '../../quota.service';
import { sameTemplate } from '../../spec-compare';
import type { ApplyDeploymentCommand } from './apply-deployment.command';

export interface ApplyResult {
  view: DeploymentView;
  created: boolean;
}

/**
 * Create or update a deployment from its spec. Idempotent: a new revision only when the template (spec minus
 * replicas, defaults filled in) changed; replicas live on the deployment row. Changes run under the tenant
 * row lock, so concurrent applies neither lose updates nor number revisions twice, and quotas hold.
 */
@Injectable()
export class ApplyDeploymentUseCase {
  private readonly specSchema;

  constructor(
    @Inject(CONFIG) config: Config,
    private readonly transactor: Transactor,
    private readonly deployments: DeploymentRepository,
    private readonly service: DeploymentsService,
    private readonly quota: QuotaService,
    private readonly events: EventsService,
  ) {
    this.specSchema = deploymentSpecSchema({ maxReplicas: config.maxReplicas });
  }

  async execute(cmd: ApplyDeploymentCommand): Promise<ApplyResult> {
    const spec = this.parse(cmd);
    // Unchanged re-applies (the common case of `oja apply` in a loop) need no lock and no write.
    const existing = await this.deployments.findByName(cmd.tenantId, spec.name);
    if (existing && isUnchanged(existing, spec)) return { view: await this.service.afterChange(existing), created: false };

    const { result, created } = await this.transactor.run(async (tx) => {
      const tenant = await this.quota.lockTenant(tx, cmd.tenantId);
      const current = await this.deployments.findByName(cmd.tenantId, spec.name, tx);
      if (!current) {
        await this.quota.assertFits(tx, tenant, { deploymentId: '', replicas: spec.replicas, resources: spec.resources });
        const deployment = await this.deployments.insert(tx, { tenantId: cmd.tenantId, name: spec.name, replicas: spec.replicas, spec });
        await this.events.record(
          { tenantId: cmd.tenantId, deploymentId: deployment.id, type: 'deployment.created', message: `created with ${spec.replicas} replicas of ${spec.image} (revision 1)` },
          tx,
        );
        return { result: { deployment, spec }, created: true };
      }
      if (isUnchanged(current, spec)) return { result: current, created: false };
      await this.quota.assertFits(tx, tenant, { deploymentId: current.deployment.id, replicas: spec.replicas, resources: spec.resources });
      const templateChanged = !sameTemplate(current.spec, spec);
      const revision = templateChanged ? await this.deployments.nextRevisionNumber(tx, current.deployment.id) : undefined;
      if (revision !== undefined) await this.deployments.insertRevision(tx, current.deployment.id, revision, spec);
      const deployment = await this.deployments.update(tx, current.deployment, {
        replicas: spec.replicas,
        ...(revision !== undefined ? { currentRevision: revision } : {}),
        status: 'progressing',
        statusReason: null,
        progressAt: new Date(),
      });
      const what = [
        revision !== undefined ? `revision ${revision} (${spec.image})` : undefined,
        spec.replicas !== current.deployment.replicas ? `${current.deployment.replicas} → ${spec.replicas} replicas` : undefined,
      ].filter(Boolean);
      await this.events.record({ tenantId: cmd.tenantId, deploymentId: deployment.id, type: 'deployment.updated', message: `updated: ${what.join(', ')}` }, tx);
      return { result: { deployment, spec: revision !== undefined ? spec : current.spec }, created: false };
    });
    return { view: await this.service.afterChange(result), created };
  }

  /** Validates the document; the URL names the deployment (spec.name may be omitted, but must not differ). */
  private parse(cmd: ApplyDeploymentCommand): DeploymentSpec {
    parseParam(dnsLabel, cmd.name, 'name');
    const doc = cmd.document;
    if (doc && typeof doc === 'object' && !Array.isArray(doc)) {
      const named = doc as { name?: unknown };
      if (named.name !== undefined && named.name !== cmd.name) {
        throw badRequest([{ path: 'name', message: `must match the name in the URL ("${cmd.name}"), got ${JSON.stringify(named.name)}` }]);
      }
      return parseRequest(this.specSchema, { ...doc, name: cmd.name });
    }
    return parseRequest(this.specSchema, doc);
  }
}

function isUnchanged(current: DeploymentWithSpec, spec: DeploymentSpec): boolean {
  return current.deployment.replicas === spec.replicas && sameTemplate(current.spec, spec);
}
