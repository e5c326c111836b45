import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { rowsOf } from '../gateway/sql-rows';

@Injectable()
export class NodeMonitorRepository {
  /**
   * Up nodes (ready or draining) silent for longer than the grace period become down; a drained one keeps its
   * `drained` flag, so it comes back draining. The conditional UPDATE claims each transition once, however many
   * replicas run the monitor.
   */
  async markSilentNodesDown(tx: EntityManager, graceSeconds: number): Promise<{ id: string; name: string }[]> {
    return rowsOf(
      await tx.query(
        `UPDATE nodes SET status = 'down'
          WHERE status <> 'down' AND last_heartbeat_at < now() - make_interval(secs => $1)
          RETURNING id, name`,
        [graceSeconds],
      ),
    );
  }

  /** Marks the running instances of these nodes lost; returns them (for their events and evaluations). */
  async loseInstances(tx: EntityManager, nodeIds: string[]): Promise<{ id: string; deploymentId: string; nodeId: string }[]> {
    const rows = rowsOf<{ id: string; deployment_id: string; node_id: string }>(
      await tx.query(
        `UPDATE instances SET observed = 'lost', reason = 'node down', observed_at = now(), updated_at = now()
          WHERE node_id = ANY($1::uuid[]) AND desired = 'running' AND observed <> 'lost'
          RETURNING id, deployment_id, node_id`,
        [nodeIds],
      ),
    );
    return rows.map((r) => ({ id: r.id, deploymentId: r.deployment_id, nodeId: r.node_id }));
  }
}
