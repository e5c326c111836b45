import { Injectable } from '@nestjs/common';
import type { DeploymentSpec, InstanceState } from '@oja/contracts';
import type { Route } from '@oja/proto';
import { DataSource } from 'typeorm';
import { buildRoutes, ROUTABLE_STATES } from './routes';

/** Loads what the routing mesh needs and builds the cluster's routes (the same for every node). */
@Injectable()
export class RoutesRepository {
  constructor(private readonly ds: DataSource) {}

  async routes(): Promise<Route[]> {
    const deployments: { id: string; tenant: string; deployment: string; spec: DeploymentSpec }[] = await this.ds.query(
      `SELECT d.id, t.name AS tenant, d.name AS deployment, r.spec
         FROM deployments d
         JOIN tenants t ON t.id = d.tenant_id
         JOIN revisions r ON r.deployment_id = d.id AND r.number = d.current_revision
        WHERE jsonb_path_exists(r.spec, '$.ports[*].publish')`,
    );
    if (deployments.length === 0) return [];
    const instances: {
      id: string; deployment_id: string; desired: 'running' | 'stopped'; observed: InstanceState; overlay_ip: string | null;
      stop_requested: boolean; spec: DeploymentSpec;
    }[] = await this.ds.query(
      `SELECT i.id, i.deployment_id, i.desired, i.observed, i.overlay_ip, i.stop_requested_at IS NOT NULL AS stop_requested, r.spec
         FROM instances i JOIN revisions r ON r.deployment_id = i.deployment_id AND r.number = i.revision
        WHERE i.deployment_id = ANY($1::uuid[]) AND i.desired = 'running' AND i.stop_requested_at IS NULL
          AND i.overlay_ip IS NOT NULL AND i.observed = ANY($2::text[])`,
      [deployments.map((d) => d.id), ROUTABLE_STATES],
    );
    return buildRoutes(
      deployments,
      instances.map((i) => ({
        id: i.id, deploymentId: i.deployment_id, desired: i.desired, observed: i.observed, overlayIp: i.overlay_ip,
        stopRequested: i.stop_requested, spec: i.spec,
      })),
    );
  }
}
