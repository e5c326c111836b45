import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** What the cluster gauges show, counted in Postgres (the source of truth, shared by every replica). */
export interface ClusterCounts {
  nodesByStatus: { status: string; count: number }[];
  instancesByTenantState: { tenant: string; state: string; count: number }[];
  deploymentsByTenant: { tenant: string; count: number }[];
  deploymentsByPhase: { phase: string; count: number }[];
}

@Injectable()
export class ClusterCountsRepository {
  constructor(private readonly ds: DataSource) {}

  async counts(): Promise<ClusterCounts> {
    const [nodes, instances, deployments, phases] = await Promise.all([
      this.ds.query(`SELECT status, count(*)::int AS count FROM nodes GROUP BY status`),
      this.ds.query(
        `SELECT t.name AS tenant, i.observed AS state, count(*)::int AS count
           FROM instances i JOIN deployments d ON d.id = i.deployment_id JOIN tenants t ON t.id = d.tenant_id
          GROUP BY t.name, i.observed`,
      ),
      // Every tenant, those without deployments as 0 (tenants are few: created by admins).
      this.ds.query(`SELECT t.name AS tenant, count(d.id)::int AS count FROM tenants t LEFT JOIN deployments d ON d.tenant_id = t.id GROUP BY t.name`),
      this.ds.query(`SELECT CASE WHEN paused THEN 'paused' ELSE status END AS phase, count(*)::int AS count FROM deployments GROUP BY 1`),
    ]);
    return { nodesByStatus: nodes, instancesByTenantState: instances, deploymentsByTenant: deployments, deploymentsByPhase: phases };
  }
}
