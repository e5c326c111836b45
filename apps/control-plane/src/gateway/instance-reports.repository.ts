import { Injectable } from '@nestjs/common';
import type { InstanceState } from '@oja/contracts';
import { EntityManager } from 'typeorm';
import type { ObservedInstance, ObservedReport } from './instance-status';
import { rowsOf } from './sql-rows';

export interface LockedInstance extends ObservedInstance {
  deploymentId: string;
  desired: 'running' | 'stopped';
  overlayIp: string | null;
}

/** Observed state of instances as agents report it. */
@Injectable()
export class InstanceReportsRepository {
  /** The instance if it is on `nodeId`, locked; reports about instances elsewhere are not this node's to make. */
  async lockOnNode(tx: EntityManager, instanceId: string, nodeId: string): Promise<LockedInstance | null> {
    const rows: {
      deployment_id: string; desired: 'running' | 'stopped'; observed: InstanceState; healthy: boolean; restarts: number;
      last_exit_code: number | null; reason: string | null; reported_at: Date | null; overlay_ip: string | null;
    }[] = await tx.query(
      `SELECT deployment_id, desired, observed, healthy, restarts, last_exit_code, reason, reported_at, overlay_ip
         FROM instances WHERE id = $1 AND node_id = $2 FOR UPDATE`,
      [instanceId, nodeId],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      deploymentId: r.deployment_id, desired: r.desired, state: r.observed, healthy: r.healthy, restarts: r.restarts,
      lastExitCode: r.last_exit_code, reason: r.reason, observedAt: r.reported_at, overlayIp: r.overlay_ip,
    };
  }

  /** Stores a report; `observed_at` moves only when the state changes (readiness is timed from it). */
  async apply(tx: EntityManager, instanceId: string, r: ObservedReport): Promise<void> {
    await tx.query(
      `UPDATE instances SET
         observed_at = CASE WHEN observed <> $2 OR healthy <> $3 THEN $10 ELSE observed_at END,
         observed = $2, healthy = $3, reason = $4, container_id = $5, overlay_ip = $6, restarts = $7, last_exit_code = $8,
         health_checks = $9::jsonb, reported_at = $10, updated_at = now()
       WHERE id = $1`,
      [instanceId, r.state, r.healthy, r.reason, r.containerId, r.overlayIp, r.restarts, r.lastExitCode, JSON.stringify(r.healthChecks), r.observedAt],
    );
  }

  /** Forgets instances the control plane stopped and the node no longer runs; returns their deployments. */
  async deleteStopped(tx: EntityManager, nodeId: string, instanceIds: string[]): Promise<string[]> {
    if (instanceIds.length === 0) return [];
    const rows = rowsOf<{ deployment_id: string }>(
      await tx.query(`DELETE FROM instances WHERE node_id = $1 AND desired = 'stopped' AND id = ANY($2::uuid[]) RETURNING deployment_id`, [
        nodeId,
        instanceIds,
      ]),
    );
    return [...new Set(rows.map((r) => r.deployment_id))];
  }

  /** Instances stopped on the node that are not among `running` (what the agent says it still runs). */
  async stoppedNotIn(tx: EntityManager, nodeId: string, running: string[]): Promise<string[]> {
    const rows: { id: string }[] = await tx.query(
      `SELECT id FROM instances WHERE node_id = $1 AND desired = 'stopped' AND NOT (id = ANY($2::uuid[]))`,
      [nodeId, running],
    );
    return rows.map((r) => r.id);
  }
}
