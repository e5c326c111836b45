import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { rowsOf } from '../gateway/sql-rows';

@Injectable()
export class NodeMonitorRepository {
  /**
   * Ready nodes silent for longer than the grace period become down. The conditional UPDATE claims each
   * transition once, however many replicas run the monitor.
   */
  async markSilentNodesDown(tx: EntityManager, graceSeconds: number): Promise<{ id: string; name: string }[]> {
    return rowsOf(
      await tx.query(
        `UPDATE nodes SET status = 'down'
          WHERE status = 'ready' AND last_heartbeat_at < now() - make_interval(secs => $1)
          RETURNING id, name`,
        [graceSeconds],
      ),
    );
  }

  /** The running instances of those nodes are lost; returns the deployments to evaluate. */
  async loseInstances(tx: EntityManager, nodeIds: string[]): Promise<string[]> {
    const rows = rowsOf<{ deployment_id: string }>(
      await tx.query(
        `UPDATE instances SET observed = 'lost', reason = 'node down', observed_at = now(), updated_at = now()
          WHERE node_id = ANY($1::uuid[]) AND desired = 'running' AND observed <> 'lost'
          RETURNING deployment_id`,
        [nodeIds],
      ),
    );
    return [...new Set(rows.map((r) => r.deployment_id))];
  }
}
