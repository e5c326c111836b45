import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DataSource } from 'typeorm';
import { DeploymentRepository } from '../deployments/deployment.repository';
import { ROUTABLE_STATES } from '../gateway/routes';
import { rowsOf } from '../gateway/sql-rows';

/**
 * How long an instance stays out of every node's routes before its node is told to stop it: time for the Routes
 * push to reach every agent and for their HAProxy to stop sending it new connections.
 */
export const DEREGISTRATION_DELAY_MS = 2000;

export interface RolledBack {
  /** The failed revision. */
  from: number;
  /** The revision whose spec was restored. */
  to: number;
  /** The new revision carrying it. */
  as: number;
}

/** Rollout writes beyond what an evaluation does itself: the two-phase stop and auto-rollback. */
@Injectable()
export class RolloutRepository {
  constructor(
    private readonly ds: DataSource,
    private readonly deployments: DeploymentRepository,
  ) {}

  /**
   * First phase of stopping instances: those that may be in some node's routes (placed and running) only leave
   * the routes now (`stop_requested_at`) and stay desired running; returns them. The others may stop at once.
   */
  async deregister(tx: EntityManager, ids: string[]): Promise<{ deregistered: string[]; stopNow: string[] }> {
    if (ids.length === 0) return { deregistered: [], stopNow: [] };
    const rows = rowsOf<{ id: string }>(
      await tx.query(
        `UPDATE instances SET stop_requested_at = now(), updated_at = now()
          WHERE id = ANY($1::uuid[]) AND desired = 'running' AND stop_requested_at IS NULL AND node_id IS NOT NULL
            AND observed = ANY($2::text[])
          RETURNING id`,
        [ids, ROUTABLE_STATES],
      ),
    );
    const deregistered = new Set(rows.map((r) => r.id));
    // The planner sees instances already deregistering as stopping, so `ids` never holds one of them.
    return { deregistered: [...deregistered], stopNow: ids.filter((id) => !deregistered.has(id)) };
  }

  /** Second phase: instances out of the routes for the deregistration delay become desired stopped; returns their nodes. */
  async finishDeregistration(tx: EntityManager, deploymentId: string): Promise<string[]> {
    const rows = rowsOf<{ node_id: string | null }>(
      await tx.query(
        `UPDATE instances SET desired = 'stopped', updated_at = now()
          WHERE deployment_id = $1 AND desired = 'running' AND stop_requested_at <= now() - make_interval(secs => $2)
          RETURNING node_id`,
        [deploymentId, DEREGISTRATION_DELAY_MS / 1000],
      ),
    );
    return rows.flatMap((r) => (r.node_id ? [r.node_id] : []));
  }

  /** Every node: each one's mesh routes to every deployment, so all hear of a route change. */
  async allNodeIds(): Promise<string[]> {
    const rows: { id: string }[] = await this.ds.query(`SELECT id FROM nodes WHERE status <> 'down'`);
    return rows.map((r) => r.id);
  }

  /**
   * Auto-rollback: the revision before `current` becomes current again as a new revision (as `oja rollout undo`
   * does), the rollout starts over toward it. Null when there is nothing to go back to. Runs under the
   * deployment's row lock (inside the evaluation).
   */
  async rollBack(tx: EntityManager, deploymentId: string, current: number): Promise<RolledBack | null> {
    const target = await this.deployments.findPreviousRevision(tx, deploymentId, current);
    if (!target) return null;
    const as = await this.deployments.appendRevision(tx, deploymentId, target.spec);
    await tx.query(
      `UPDATE deployments SET current_revision = $2, status = 'progressing', status_reason = NULL, progress_at = now(),
              generation = generation + 1, updated_at = now()
        WHERE id = $1`,
      [deploymentId, as],
    );
    return { from: current, to: target.number, as };
  }
}
