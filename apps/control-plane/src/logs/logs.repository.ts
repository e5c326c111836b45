import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** An instance whose container can be asked for logs: it has a node and a container there. */
export interface LogInstance {
  id: string;
  nodeId: string;
  nodeName: string;
  containerId: string;
  /** Times the agent restarted the container (in place: the container id stays). */
  restarts: number;
  /** The container runs (running, healthy or unhealthy). */
  up: boolean;
}

@Injectable()
export class LogsRepository {
  constructor(private readonly ds: DataSource) {}

  /** The tenant's deployment id by name, or null (also for another tenant's deployment). */
  async deploymentId(tenantId: string, name: string): Promise<string | null> {
    const rows: { id: string }[] = await this.ds.query(`SELECT id FROM deployments WHERE tenant_id = $1 AND name = $2`, [tenantId, name]);
    return rows[0]?.id ?? null;
  }

  async exists(deploymentId: string): Promise<boolean> {
    const rows: unknown[] = await this.ds.query(`SELECT 1 FROM deployments WHERE id = $1`, [deploymentId]);
    return rows.length > 0;
  }

  /** Every instance of the deployment with a container, stopped ones included while their row (and container) exist. */
  async instances(deploymentId: string): Promise<LogInstance[]> {
    const rows: { id: string; node_id: string; node_name: string; container_id: string; restarts: number; up: boolean }[] = await this.ds.query(
      `SELECT i.id, i.node_id, n.name AS node_name, i.container_id, i.restarts, i.observed IN ('running', 'healthy', 'unhealthy') AS up
         FROM instances i JOIN nodes n ON n.id = i.node_id
        WHERE i.deployment_id = $1 AND i.container_id IS NOT NULL
        ORDER BY i.created_at, i.id`,
      [deploymentId],
    );
    return rows.map((r) => ({ id: r.id, nodeId: r.node_id, nodeName: r.node_name, containerId: r.container_id, restarts: r.restarts, up: r.up }));
  }

  /** All instance ids of the deployment (for resolving an id prefix, whether or not a container exists yet). */
  async instanceIds(deploymentId: string): Promise<string[]> {
    const rows: { id: string }[] = await this.ds.query(`SELECT id FROM instances WHERE deployment_id = $1`, [deploymentId]);
    return rows.map((r) => r.id);
  }
}
