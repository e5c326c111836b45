import { Injectable } from '@nestjs/common';
import type { DeploymentSpec } from '@oja/contracts';
import type { RolloutStatus } from '@oja/scheduler';
import { DataSource, EntityManager } from 'typeorm';
import { rowsOf } from '../gateway/sql-rows';
import type { InstanceRow, NodeRow, NodeState } from './evaluation-plan';

export interface LockedDeployment {
  id: string;
  tenantId: string;
  tenantDedicated: boolean;
  name: string;
  replicas: number;
  currentRevision: number;
  generation: string;
  paused: boolean;
  status: string;
  rolloutStatus: unknown;
}

/** Arbitrary constant identifying "placement" among advisory locks. */
const PLACEMENT_LOCK_KEY = 0x6f6a61_03;

/** What an evaluation reads and writes, inside the caller's transaction. */
@Injectable()
export class SchedulingRepository {
  constructor(private readonly ds: DataSource) {}

  /** The deployment, locked: evaluations of one deployment (on any replica) and API changes to it serialize here. */
  async lockDeployment(tx: EntityManager, id: string): Promise<LockedDeployment | null> {
    const rows: {
      id: string; tenant_id: string; dedicated: boolean; name: string; replicas: number; current_revision: number; generation: string;
      paused: boolean; status: string; rollout_status: unknown;
    }[] = await tx.query(
      `SELECT d.id, d.tenant_id, t.dedicated, d.name, d.replicas, d.current_revision, d.generation, d.paused, d.status, d.rollout_status
         FROM deployments d JOIN tenants t ON t.id = d.tenant_id WHERE d.id = $1 FOR UPDATE OF d`,
      [id],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      id: r.id, tenantId: r.tenant_id, tenantDedicated: r.dedicated, name: r.name, replicas: r.replicas, currentRevision: r.current_revision,
      generation: r.generation, paused: r.paused, status: r.status, rolloutStatus: r.rollout_status,
    };
  }

  /** The current revision's spec and those of the revisions the deployment's instances run (not the whole history). */
  async revisions(tx: EntityManager, deploymentId: string, currentRevision: number): Promise<Map<number, DeploymentSpec>> {
    const rows: { number: number; spec: DeploymentSpec }[] = await tx.query(
      `SELECT number, spec FROM revisions
        WHERE deployment_id = $1 AND (number = $2 OR number IN (SELECT revision FROM instances WHERE deployment_id = $1))`,
      [deploymentId, currentRevision],
    );
    return new Map(rows.map((r) => [r.number, r.spec]));
  }

  instances(tx: EntityManager, deploymentId: string): Promise<InstanceRow[]> {
    return tx.query(
      `SELECT id, revision, node_id AS "nodeId", desired, observed, observed_at AS "observedAt", created_at AS "createdAt",
              stop_requested_at AS "stopRequestedAt"
         FROM instances WHERE deployment_id = $1 ORDER BY created_at, id`,
      [deploymentId],
    );
  }

  /** Every node's status and dedication: enough to tell which nodes an evaluation must move instances off. */
  nodeStates(tx: EntityManager): Promise<NodeState[]> {
    return tx.query(`SELECT id, name, status, dedicated_tenant_id AS "dedicatedTenantId" FROM nodes`);
  }

  /** Every node with what its desired-running instances take (an aggregate over all of them: read only to place). */
  nodes(tx: EntityManager): Promise<NodeRow[]> {
    return tx.query(
      `SELECT n.id, n.name, n.status, n.capacity_cpu AS "capacityCpu", n.capacity_memory_mb AS "capacityMemoryMb", n.labels,
              n.dedicated_tenant_id AS "dedicatedTenantId",
              COALESCE(a.cpu, 0)::float8 AS "allocatedCpu", COALESCE(a.memory_mb, 0)::int AS "allocatedMemoryMb"
         FROM nodes n
         LEFT JOIN (
           SELECT i.node_id, sum((r.spec->'resources'->>'cpu')::float8) AS cpu, sum((r.spec->'resources'->>'memoryMb')::int) AS memory_mb
             FROM instances i JOIN revisions r ON r.deployment_id = i.deployment_id AND r.number = i.revision
            WHERE i.desired = 'running' AND i.node_id IS NOT NULL
            GROUP BY i.node_id
         ) a ON a.node_id = n.id
        ORDER BY n.id`,
    );
  }

  /**
   * Serializes placement decisions cluster-wide until the transaction ends, so two evaluations (of different
   * deployments, on any replicas) never fill the same free capacity twice. Taken only when placing.
   */
  async lockPlacement(tx: EntityManager): Promise<void> {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [PLACEMENT_LOCK_KEY]);
  }

  /** Marks instances lost (their node is down) and stopped: they are replaced and no longer count. */
  async markLost(tx: EntityManager, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await tx.query(
      `UPDATE instances SET observed = 'lost', desired = 'stopped', reason = COALESCE(reason, 'node down'), observed_at = now(), updated_at = now()
        WHERE id = ANY($1::uuid[])`,
      [ids],
    );
  }

  /** desired → stopped; returns the nodes that ran them (their desired sets changed). */
  async stop(tx: EntityManager, ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = rowsOf<{ node_id: string | null }>(
      await tx.query(`UPDATE instances SET desired = 'stopped', updated_at = now() WHERE id = ANY($1::uuid[]) RETURNING node_id`, [ids]),
    );
    return rows.flatMap((r) => (r.node_id ? [r.node_id] : []));
  }

  /** Stopped instances that run nowhere (no node, or reported gone) are simply forgotten. */
  async deleteGone(tx: EntityManager, deploymentId: string): Promise<void> {
    await tx.query(
      `DELETE FROM instances WHERE deployment_id = $1 AND desired = 'stopped' AND (node_id IS NULL OR observed IN ('exited', 'failed'))`,
      [deploymentId],
    );
  }

  async assignNode(tx: EntityManager, placed: { id: string; nodeId: string }[]): Promise<void> {
    if (placed.length === 0) return;
    await tx.query(
      `UPDATE instances i SET node_id = p.node_id, reason = NULL, updated_at = now()
         FROM unnest($1::uuid[], $2::uuid[]) AS p(id, node_id) WHERE i.id = p.id`,
      [placed.map((p) => p.id), placed.map((p) => p.nodeId)],
    );
  }

  async setWaitingReason(tx: EntityManager, ids: string[], reason: string): Promise<void> {
    if (ids.length === 0) return;
    await tx.query(`UPDATE instances SET reason = $2, updated_at = now() WHERE id = ANY($1::uuid[])`, [ids, reason]);
  }

  /** New instances (desired running, observed pending) on the given nodes (null = waiting, with `reason`). */
  async create(tx: EntityManager, deploymentId: string, revision: number, nodeIds: (string | null)[], reason: string | null): Promise<{ id: string; nodeId: string | null }[]> {
    if (nodeIds.length === 0) return [];
    return tx.query(
      `INSERT INTO instances (deployment_id, revision, node_id, desired, observed, reason)
       SELECT $1, $2, n, 'running', 'pending', CASE WHEN n IS NULL THEN $4 END FROM unnest($3::uuid[]) AS n
       RETURNING id, node_id AS "nodeId"`,
      [deploymentId, revision, nodeIds, reason],
    );
  }

  /**
   * Saves the rollout status. "paused" is shown from deployments.paused, so the status column keeps the phase
   * underneath (what resuming returns to); the full status, paused phase included, goes to rollout_status.
   */
  async saveStatus(tx: EntityManager, id: string, generation: string, status: RolloutStatus): Promise<void> {
    await tx.query(
      `UPDATE deployments SET status = CASE WHEN $3 = 'paused' THEN status ELSE $3 END,
              status_reason = $4, progress_at = $5, rollout_status = $6::jsonb, evaluated_generation = $2
        WHERE id = $1`,
      [id, generation, status.phase, status.reason, status.progressAt, JSON.stringify(status)],
    );
  }

  async bumpNodeGenerations(tx: EntityManager, nodeIds: string[]): Promise<void> {
    if (nodeIds.length) await tx.query(`UPDATE nodes SET generation = generation + 1 WHERE id = ANY($1::uuid[])`, [nodeIds]);
  }

  async generation(id: string): Promise<string | null> {
    const rows: { generation: string }[] = await this.ds.query(`SELECT generation FROM deployments WHERE id = $1`, [id]);
    return rows[0]?.generation ?? null;
  }

  /**
   * Deployments an evaluation may owe something: a change not yet evaluated (a lost wake-up), a rollout in
   * progress (time-based steps: minReadySeconds, deadlines), instances waiting for a node or lost, instances out of
   * the routes waiting to be stopped (two-phase stop), or a count that does not match the replicas.
   */
  async needingEvaluation(): Promise<string[]> {
    const rows: { id: string }[] = await this.ds.query(
      `SELECT d.id FROM deployments d
        WHERE d.evaluated_generation < d.generation
           OR (d.status = 'progressing' AND NOT d.paused)
           OR EXISTS (SELECT 1 FROM instances i WHERE i.deployment_id = d.id AND i.desired = 'running'
                       AND (i.node_id IS NULL OR i.observed = 'lost' OR i.stop_requested_at IS NOT NULL))
           OR d.replicas <> (SELECT count(*) FROM instances i WHERE i.deployment_id = d.id AND i.desired = 'running')`,
    );
    return rows.map((r) => r.id);
  }
}
