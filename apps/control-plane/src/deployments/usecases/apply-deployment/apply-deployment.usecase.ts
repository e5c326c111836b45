import { Inject, Injectable } from '@nestjs/common';
import { deploymentSpecSchema, dnsLabel, type DeploymentSpec, type DeploymentView } from '@oja/contracts';
import type { EntityManager } from 'typeorm';
import { badRequest } from '../../../api/problem';
import { parseParam, parseRequest } from '../../../api/validation';
import type { TenantContext } from '../../../auth/auth-context';
import { CONFIG, type Config } from '../../../config/config';
import { Transactor } from '../../../db/db.module';
import { EventsService } from '../../../events/events.service';
import { DeploymentRepository, type DeploymentWithSpec } from '../../deployment.repository';
import { DeploymentsService } from '../../deployments.service';
import { QuotaService } from '../../quota.service';
import { canonicalJson, sameTemplate } from '../../spec-compare';
import type { ApplyDeploymentCommand } from './apply-deployment.command';

const NEEDS_TENANT_LOCK = Symbol('needs the tenant lock');

interface WriteOutcome {
  result: DeploymentWithSpec;
  created: boolean;
}

export interface ApplyResult {
  view: DeploymentView;
  created: boolean;
}

/**
 * Create or update a deployment from its spec. Idempotent: a new revision only when the template (spec minus
 * replicas, defaults filled in) changed; replicas live on the deployment row. Changes run under the deployment's
 * row lock (and the tenant's when quota usage may move), so concurrent applies neither lose updates nor number
 * revisions twice, and quotas hold.
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
    const existing = await this.deployments.find(cmd.tenantId, spec.name);
    if (existing && isUnchanged(existing, spec)) return { view: await this.service.afterNoChange(existing), created: false };
    // A template-only change (new image, env, …) moves no quota usage: one optimistic statement, no transaction.
    if (existing && !changesClaim(existing, spec)) {
      const message = updatedMessage('%s', spec.image.replaceAll('%', '%%'), existing.deployment.replicas, spec.replicas);
      const deployment = await this.deployments.appendRevisionIfUnmoved(existing.deployment, spec, { type: 'deployment.updated', message });
      // The instances read with it are still its instances: the statement changed only the deployment row.
      if (deployment) return { view: await this.service.afterChange({ deployment, spec }, existing.instances), created: false };
      // Another writer moved the deployment since the read: decide again below, under its row lock.
    }
    // Changes that can move quota usage (creation, replicas, resources) serialize on the tenant row; a template-only
    // change needs only the deployment's row, so one tenant's deployments update in parallel.
    let lockTenant = !existing || changesClaim(existing, spec);
    for (;;) {
      const outcome = await this.transactor.run((tx) => this.write(tx, cmd, spec, lockTenant, existing));
      if (outcome !== NEEDS_TENANT_LOCK) return { view: await this.service.afterChange(outcome.result), created: outcome.created };
      lockTenant = true; // write() never asks again once it holds the tenant row
    }
  }

  /** One attempt; locks the tenant row first (when asked) and then the deployment row, as every writer does. */
  private async write(
    tx: EntityManager,
    cmd: TenantContext,
    spec: DeploymentSpec,
    lockTenant: boolean,
    seen: DeploymentWithSpec | undefined,
  ): Promise<WriteOutcome | typeof NEEDS_TENANT_LOCK> {
    const tenant = lockTenant ? await this.quota.lockTenant(tx, cmd.tenantId) : undefined;
    const current = await this.deployments.lock(tx, cmd.tenantId, spec.name, seen);
    if (current && isUnchanged(current, spec)) return { result: current, created: false };
    if (!current || changesClaim(current, spec)) {
      // The state moved since the unlocked read: start again, holding the tenant row this time.
      if (!tenant) return NEEDS_TENANT_LOCK;
      await this.quota.assertFits(tx, tenant, { deploymentId: current?.deployment.id ?? '', replicas: spec.replicas, resources: spec.resources });
    }
    if (!current) {
      const deployment = await this.deployments.insert(tx, { tenantId: cmd.tenantId, name: spec.name, replicas: spec.replicas, spec });
      await this.events.record(
        { tenantId: cmd.tenantId, deploymentId: deployment.id, type: 'deployment.created', message: `created with ${spec.replicas} replicas of ${spec.image} (revision 1)` },
        tx,
      );
      return { result: { deployment, spec }, created: true };
    }
    const revision = sameTemplate(current.spec, spec) ? undefined : await this.deployments.appendRevision(tx, current.deployment.id, spec);
    const deployment = await this.deployments.update(tx, current.deployment, {
      replicas: spec.replicas,
      ...(revision !== undefined ? { currentRevision: revision } : {}),
      status: 'progressing',
      statusReason: null,
      progressAt: new Date(),
    });
    const message = updatedMessage(revision, spec.image, current.deployment.replicas, spec.replicas);
    await this.events.record({ tenantId: cmd.tenantId, deploymentId: deployment.id, type: 'deployment.updated', message }, tx);
    return { result: { deployment, spec: revision !== undefined ? spec : current.spec }, created: false };
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

/** Whether applying `spec` changes what the deployment claims against the tenant's quota. */
function changesClaim(current: DeploymentWithSpec, spec: DeploymentSpec): boolean {
  return current.deployment.replicas !== spec.replicas || canonicalJson(current.spec.resources) !== canonicalJson(spec.resources);
}

/** The deployment.updated event's message; `revision` may be SQL format()'s `%s` when the statement picks the number. */
function updatedMessage(revision: number | '%s' | undefined, image: string, fromReplicas: number, toReplicas: number): string {
  const what = [
    revision !== undefined ? `revision ${revision} (${image})` : undefined,
    fromReplicas !== toReplicas ? `${fromReplicas} → ${toReplicas} replicas` : undefined,
  ].filter(Boolean);
  return `updated: ${what.join(', ')}`;
}

function isUnchanged(current: DeploymentWithSpec, spec: DeploymentSpec): boolean {
  return current.deployment.replicas === spec.replicas && sameTemplate(current.spec, spec);
}
