import { Injectable } from '@nestjs/common';
import { DEFAULT_RESOURCES, type NodeStatus } from '@oja/contracts';
import { DataSource, EntityManager } from 'typeorm';
import type { NodeRow } from './node.mapper';

/** What a node's instances desired running reserve, from the resources of each instance's revision. */
const NODE_VIEW_SQL = `
  SELECT n.id, n.name, n.status, n.drained, n.underlay_address, n.overlay_subnet, n.labels, n.capacity_cpu, n.capacity_memory_mb,
         n.dedicated_tenant_id, t.name AS dedicated_tenant_name, n.last_heartbeat_at, n.agent_version,
         COALESCE(a.cpu, 0) AS allocated_cpu, COALESCE(a.memory_mb, 0) AS allocated_memory_mb, COALESCE(a.count, 0) AS instance_count
    FROM nodes n
    LEFT JOIN tenants t ON t.id = n.dedicated_tenant_id
    LEFT JOIN (
      SELECT i.node_id,
             sum(COALESCE((r.spec->'resources'->>'cpu')::float8, ${DEFAULT_RESOURCES.cpu})) AS cpu,
             sum(COALESCE((r.spec->'resources'->>'memoryMb')::int, ${DEFAULT_RESOURCES.memoryMb})) AS memory_mb,
             count(*) AS count
        FROM instances i
        JOIN revisions r ON r.deployment_id = i.deployment_id AND r.number = i.revision
       WHERE i.desired = 'running' AND i.node_id IS NOT NULL
       GROUP BY i.node_id
    ) a ON a.node_id = n.id`;

export interface LockedNode {
  id: string;
  name: string;
  status: NodeStatus;
  drained: boolean;
  dedicatedTenantId: string | null;
}

@Injectable()
export class NodeRepository {
  constructor(private readonly ds: DataSource) {}

  list(): Promise<NodeRow[]> {
    return this.ds.query(`${NODE_VIEW_SQL} ORDER BY n.name`);
  }

  async findView(name: string, tx: EntityManager = this.ds.manager): Promise<NodeRow | undefined> {
    const rows: NodeRow[] = await tx.query(`${NODE_VIEW_SQL} WHERE n.name = $1`, [name]);
    return rows[0];
  }

  /** Locks the node row for the rest of the transaction, so concurrent drain/dedicate calls serialize. */
  async lockByName(tx: EntityManager, name: string): Promise<LockedNode | undefined> {
    const rows: { id: string; name: string; status: NodeStatus; drained: boolean; dedicated_tenant_id: string | null }[] = await tx.query(
      `SELECT id, name, status, drained, dedicated_tenant_id FROM nodes WHERE name = $1 FOR UPDATE`,
      [name],
    );
    const row = rows[0];
    return row && { id: row.id, name: row.name, status: row.status, drained: row.drained, dedicatedTenantId: row.dedicated_tenant_id };
  }

  /** Sets the drain flag; an up node's status follows it at once (draining / ready), a down one stays down. */
  async setDrained(tx: EntityManager, nodeId: string, drained: boolean): Promise<void> {
    await tx.query(
      `UPDATE nodes SET drained = $2, status = CASE WHEN status = 'down' THEN 'down' WHEN $2 THEN 'draining' ELSE 'ready' END WHERE id = $1`,
      [nodeId, drained],
    );
  }

  /** Deletes the node row; its instances and events keep their rows with no node (foreign keys SET NULL). */
  async delete(tx: EntityManager, nodeId: string): Promise<void> {
    await tx.query(`DELETE FROM nodes WHERE id = $1`, [nodeId]);
  }

  /** Nodes in the overlay (with a WireGuard key): they are told when a peer goes. */
  async overlayNodeIds(tx: EntityManager): Promise<string[]> {
    const rows: { id: string }[] = await tx.query(`SELECT id FROM nodes WHERE wg_public_key IS NOT NULL`);
    return rows.map((r) => r.id);
  }

  async setDedicatedTenant(tx: EntityManager, nodeId: string, tenantId: string | null): Promise<void> {
    await tx.query(`UPDATE nodes SET dedicated_tenant_id = $2 WHERE id = $1`, [nodeId, tenantId]);
  }

  /** Marks deployments as changed (their placement must be redone); rows locked in id order. */
  async bumpDeploymentGenerations(deploymentIds: string[]): Promise<void> {
    await this.ds.query(
      `UPDATE deployments SET generation = generation + 1
        WHERE id IN (SELECT id FROM deployments WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE)`,
      [deploymentIds],
    );
  }

  async findTenantId(tx: EntityManager, tenantName: string): Promise<string | undefined> {
    const rows: { id: string }[] = await tx.query(`SELECT id FROM tenants WHERE name = $1`, [tenantName]);
    return rows[0]?.id;
  }

  /**
   * Deployments to re-evaluate after a node changed: those with instances desired running on it,
   * plus (when `unplacedOf` is given) those with instances still waiting for a node, of that tenant
   * or of every tenant (`'all'`), since the node may now take them.
   */
  async affectedDeployments(tx: EntityManager, nodeId: string, unplacedOf?: string | 'all'): Promise<string[]> {
    const rows: { deployment_id: string }[] = await tx.query(
      `SELECT DISTINCT i.deployment_id FROM instances i
        WHERE i.desired = 'running' AND i.node_id = $1
       UNION
       SELECT DISTINCT i.deployment_id FROM instances i JOIN deployments d ON d.id = i.deployment_id
        WHERE $2::boolean AND i.desired = 'running' AND i.node_id IS NULL AND ($3::uuid IS NULL OR d.tenant_id = $3::uuid)`,
      [nodeId, unplacedOf !== undefined, unplacedOf === undefined || unplacedOf === 'all' ? null : unplacedOf],
    );
    return rows.map((r) => r.deployment_id);
  }
}
