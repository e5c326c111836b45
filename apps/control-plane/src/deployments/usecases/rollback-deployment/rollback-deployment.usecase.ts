import { Injectable } from '@nestjs/common';
import type { DeploymentView } from '@oja/contracts';
import { ApiProblem, conflict } from '../../../api/problem';
import type { TenantContext } from '../../../auth/auth-context';
import { DeploymentRepository } from '../../deployment.repository';
import { DeploymentsService } from '../../deployments.service';
import { QuotaService } from '../../quota.service';
import { sameTemplate } from '../../spec-compare';

export interface RollbackDeploymentCommand extends TenantContext {
  name: string;
  /** The revision to return to; default: the one before the current. */
  revision?: number;
}

/**
 * Roll back as Kubernetes does: the target revision's template becomes current as a NEW revision number
 * (history only grows). Rolling back to the current template changes nothing.
 */
@Injectable()
export class RollbackDeploymentUseCase {
  constructor(
    private readonly deployments: DeploymentRepository,
    private readonly service: DeploymentsService,
    private readonly quota: QuotaService,
  ) {}

  execute(cmd: RollbackDeploymentCommand): Promise<DeploymentView> {
    return this.service.change(cmd, cmd.name, async (tx, current, tenant) => {
      const { deployment } = current;
      const target =
        cmd.revision !== undefined
          ? await this.deployments.findRevision(tx, deployment.id, cmd.revision)
          : await this.deployments.findPreviousRevision(tx, deployment.id, deployment.currentRevision);
      if (!target) {
        if (cmd.revision === undefined) throw conflict(`deployment "${cmd.name}" has no previous revision to roll back to`);
        throw new ApiProblem(404, `revision ${cmd.revision} of deployment "${cmd.name}" not found`, [{ path: 'revision', message: 'no such revision' }]);
      }
      if (sameTemplate(target.spec, current.spec)) return undefined;
      await this.quota.assertFits(tx, tenant, { deploymentId: deployment.id, replicas: deployment.replicas, resources: target.spec.resources });
      const revision = await this.deployments.appendRevision(tx, deployment.id, target.spec);
      return {
        change: { currentRevision: revision, status: 'progressing', statusReason: null, progressAt: new Date() },
        event: { type: 'deployment.rolledback', message: `rolled back to revision ${target.number} (as revision ${revision})` },
        spec: target.spec,
      };
    });
  }
}
