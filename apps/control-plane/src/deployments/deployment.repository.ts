import { Injectable } from '@nestjs/common';
import type { DeploymentSpec, HealthCheckView, InstanceState } from '@oja/contracts';
import { DataSource, EntityManager } from 'typeorm';
import { DeploymentEntity, RevisionEntity, type DesiredState } from '../db/entities';
import { isUniqueViolation } from '../db/errors';
import type { StatusInstance } from './deployment-status';
import type { DeploymentClaim } from './quota';

/** A deployment with the spec of its current revision. */
export interface DeploymentWithSpec {
  deployment: DeploymentEntity;
  spec: DeploymentSpec;
}

export interface InstanceRow {
  id: string;
  node: string | null;
  revision: number;
  desired: DesiredState;
  observed: InstanceState;
  reason: string | null;
  overlayIp: string | null;
  containerId: string | null;
  restarts: number;
  lastExitCode: number | null;
  lastChecks: HealthCheckView[] | null;
  updatedAt: Date;
}

/** Fields a change may set; every change also bumps generation and updated_at. */
export type DeploymentChange = Partial<Pick<DeploymentEntity, 'replicas' | 'currentRevision' | 'paused' | 'status' | 'statusReason' | 'progressAt'>>;

const WITH_SPEC_COLUMNS = `d.id, d.tenant_id, d.name, d.replicas, d.current_revision, d.generation, d.paused, d.status, d.status_reason,
         d.progress_at, d.created_at, d.updated_at, r.spec, d.evaluated_generation >= d.generation AS evaluated`;
const WITH_SPEC_FROM = `FROM deployments d JOIN revisions r ON r.deployment_id = d.id AND r.number = d.current_revision`;
const SELECT_WITH_SPEC = `SELECT ${WITH_SPEC_COLUMNS} ${WITH_SPEC_FROM}`;

/** The status instances of deployment `d` as one JSON array (see toStatusInstance). */
const STATUS_INSTANCES_JSON = `COALESCE((
  SELECT json_agg(json_build_object('revision', i.revision, 'desired', i.desired, 'observed', i.observed, 'observed_at', i.observed_at,
                                    'probed', ir.spec ? 'health'))
    FROM instances i JOIN revisions ir ON ir.deployment_id = i.deployment_id AND ir.number = i.revision
   WHERE i.deployment_id = d.id), '[]')`;

interface StatusInstanceRow {
  revision: number;
  desired: DesiredState;
  observed: InstanceState;
  /** A Date from a column, an ISO string from JSON. */
  observed_at: Date | string;
  probed: boolean;
}

function toStatusInstance(r: StatusInstanceRow): StatusInstance {
  const ready = r.observed === 'healthy' || (r.observed === 'running' && !r.probed);
  return {
    revision: r.revision,
    desired: r.desired,
    observed: r.observed,
    hasHealthCheck: r.probed,
    // observed_at is when the observed state last changed: for a ready instance, since when it is ready.
    readySince: ready ? new Date(r.observed_at) : null,
  };
}

/** What find() answers: the deployment, its spec and its instances as of one snapshot. */
export interface FoundDeployment extends DeploymentWithSpec {
  /** An evaluation has seen the current generation. */
  evaluated: boolean;
  instances: StatusInstance[];
}

interface DeploymentRow {
  id: string;
  tenant_id: string;
  name: string;
  replicas: number;
  current_revision: number;
  generation: string;
  paused: boolean;
  status: DeploymentEntity['status'];
  status_reason: string | null;
  progress_at: Date | null;
  created_at: Date;
  updated_at: Date;
  spec: DeploymentSpec;
  evaluated: boolean;
}

/** The deployments columns a DeploymentEntity is made of (RETURNING lists them unqualified). */
const DEPLOYMENT_COLUMNS = 'id, tenant_id, name, replicas, current_revision, generation, paused, status, status_reason, progress_at, created_at, updated_at';

function toDeploymentWithSpec(r: DeploymentRow): DeploymentWithSpec {
  return { deployment: toDeployment(r), spec: r.spec };
}

function toDeployment(r: Omit<DeploymentRow, 'spec' | 'evaluated'>): DeploymentEntity {
  return Object.assign(new DeploymentEntity(), {
    id: r.id,
    tenantId: r.tenant_id,
    name: r.name,
    replicas: r.replicas,
    currentRevision: r.current_revision,
    generation: r.generation,
    paused: r.paused,
    status: r.status,
    statusReason: r.status_reason,
    progressAt: r.progress_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  });
}

@Injectable()
export class DeploymentRepository {
  constructor(private readonly ds: DataSource) {}

  /** The deployment, its current spec and its status instances, unlocked (one statement, so one consistent snapshot). */
  async find(tenantId: string, name: string): Promise<FoundDeployment | undefined> {
    const rows: (DeploymentRow & { instances: StatusInstanceRow[] })[] = await this.ds.query(
      `SELECT ${WITH_SPEC_COLUMNS}, ${STATUS_INSTANCES_JSON} AS instances ${WITH_SPEC_FROM} WHERE d.tenant_id = $1 AND d.name = $2`,
      [tenantId, name],
    );
    if (!rows.length) return undefined;
    const [row] = rows;
    return { ...toDeploymentWithSpec(row), evaluated: row.evaluated, instances: row.instances.map(toStatusInstance) };
  }

  /**
   * The deployment locked FOR NO KEY UPDATE for the rest of `tx` (not FOR UPDATE: an evaluation holding the
   * row may still insert instances and events that reference it), then its current spec. Two statements: a
   * join locked while another transaction changes current_revision could lose the row on recheck. Pass
   * `seen` (an unlocked read) to skip re-reading a spec that is still current.
   */
  async lock(tx: EntityManager, tenantId: string, name: string, seen?: DeploymentWithSpec): Promise<DeploymentWithSpec | undefined> {
    const deployment = await tx.getRepository(DeploymentEntity).findOne({ where: { tenantId, name }, lock: { mode: 'for_no_key_update' } });
    if (!deployment) return undefined;
    // Revisions never change: the spec of an earlier read of the same revision is still the spec.
    if (seen && seen.deployment.id === deployment.id && seen.deployment.currentRevision === deployment.currentRevision) {
      return { deployment, spec: seen.spec };
    }
    const revision = await tx.getRepository(RevisionEntity).findOneByOrFail({ deploymentId: deployment.id, number: deployment.currentRevision });
    return { deployment, spec: revision.spec };
  }

  async listWithSpecs(tenantId: string): Promise<DeploymentWithSpec[]> {
    const rows: DeploymentRow[] = await this.ds.query(`${SELECT_WITH_SPEC} WHERE d.tenant_id = $1 ORDER BY d.name`, [tenantId]);
    return rows.map(toDeploymentWithSpec);
  }

  async insert(tx: EntityManager, d: { tenantId: string; name: string; replicas: number; spec: DeploymentSpec }): Promise<DeploymentEntity> {
    const repo = tx.getRepository(DeploymentEntity);
    const deployment = await repo.save(
      repo.create({ tenantId: d.tenantId, name: d.name, replicas: d.replicas, currentRevision: 1, generation: '1', paused: false, status: 'progressing', progressAt: new Date() }),
    );
    await this.appendRevision(tx, deployment.id, d.spec);
    return deployment;
  }

  /** Stores `spec` as the deployment's next revision and returns its number (the caller holds the row lock). */
  async appendRevision(tx: EntityManager, deploymentId: string, spec: DeploymentSpec): Promise<number> {
    const [{ number }] = await tx.query(
      `INSERT INTO revisions (deployment_id, number, spec)
       SELECT $1, COALESCE(MAX(number), 0) + 1, $2::jsonb FROM revisions WHERE deployment_id = $1 RETURNING number`,
      [deploymentId, JSON.stringify(spec)],
    );
    return number;
  }

  /**
   * Optimistic and in ONE statement (no transaction round trips): makes `spec` the deployment's next revision (status
   * progressing) and records the event, only if the row is still at the generation of `seen`. The UPDATE locks the row
   * and re-checks the generation on its latest version, so of two racing writers exactly one wins; every writer of a
   * revision bumps the generation, so the next number is free when it matched. `event.message` is a format() string
   * whose `%s` is the new revision number (write `%%` for a percent sign). Undefined when the row moved or is gone:
   * nothing was written, and the caller decides again under the row lock.
   */
  async appendRevisionIfUnmoved(seen: DeploymentEntity, spec: DeploymentSpec, event: { type: string; message: string }): Promise<DeploymentEntity | undefined> {
    try {
      const rows: Omit<DeploymentRow, 'spec' | 'evaluated'>[] = await this.ds.query(
        `WITH moved AS (
           UPDATE deployments
              SET current_revision = (SELECT MAX(number) + 1 FROM revisions WHERE deployment_id = $1), generation = generation + 1,
                  status = 'progressing', status_reason = NULL, progress_at = now(), updated_at = now()
            WHERE id = $1 AND generation = $2
           RETURNING ${DEPLOYMENT_COLUMNS}
         ), revision AS (
           INSERT INTO revisions (deployment_id, number, spec) SELECT id, current_revision, $3::jsonb FROM moved
         ), event AS (
           INSERT INTO events (tenant_id, deployment_id, deployment_name, type, message)
           SELECT tenant_id, id, name, $4, format($5, current_revision) FROM moved
         )
         SELECT * FROM moved`,
        [seen.id, seen.generation, JSON.stringify(spec), event.type, event.message],
      );
      return rows.length ? toDeployment(rows[0]) : undefined;
    } catch (err) {
      // A revision number taken without a generation bump would be a bug elsewhere; still, never a 500 for it here.
      if (isUniqueViolation(err)) return undefined;
      throw err;
    }
  }

  /** Applies `change` in place, bumping generation (the caller holds the row lock). */
  async update(tx: EntityManager, deployment: DeploymentEntity, change: DeploymentChange): Promise<DeploymentEntity> {
    await tx
      .createQueryBuilder()
      .update(DeploymentEntity)
      .set({ ...change, generation: () => 'generation + 1' })
      .where('id = :id', { id: deployment.id })
      .execute();
    return Object.assign(deployment, change, { generation: String(BigInt(deployment.generation) + 1n), updatedAt: new Date() });
  }

  listRevisions(deploymentId: string): Promise<RevisionEntity[]> {
    return this.ds.getRepository(RevisionEntity).find({ where: { deploymentId }, order: { number: 'DESC' } });
  }

  findRevision(tx: EntityManager, deploymentId: string, number: number): Promise<RevisionEntity | null> {
    return tx.getRepository(RevisionEntity).findOneBy({ deploymentId, number });
  }

  /** The revision just below `current`: the target of a rollback without an explicit revision. */
  async findPreviousRevision(tx: EntityManager, deploymentId: string, current: number): Promise<RevisionEntity | null> {
    return tx
      .getRepository(RevisionEntity)
      .createQueryBuilder('r')
      .where('r.deployment_id = :deploymentId AND r.number < :current', { deploymentId, current })
      .orderBy('r.number', 'DESC')
      .getOne();
  }

  /** What each of the tenant's deployments claims against the quota (replicas × current resources). */
  async claims(tx: EntityManager, tenantId: string): Promise<DeploymentClaim[]> {
    const rows: { id: string; replicas: number; resources: DeploymentClaim['resources'] }[] = await tx.query(
      `SELECT d.id, d.replicas, r.spec->'resources' AS resources
         FROM deployments d JOIN revisions r ON r.deployment_id = d.id AND r.number = d.current_revision
        WHERE d.tenant_id = $1`,
      [tenantId],
    );
    return rows.map((r) => ({ deploymentId: r.id, replicas: r.replicas, resources: r.resources }));
  }

  /** Instances of these deployments as status computation needs them. */
  async statusInstances(deploymentIds: string[]): Promise<Map<string, StatusInstance[]>> {
    const byDeployment = new Map<string, StatusInstance[]>(deploymentIds.map((id) => [id, []]));
    if (deploymentIds.length === 0) return byDeployment;
    const rows: (StatusInstanceRow & { deployment_id: string })[] = await this.ds.query(
      `SELECT i.deployment_id, i.revision, i.desired, i.observed, i.observed_at, (ir.spec ? 'health') AS probed
         FROM instances i JOIN revisions ir ON ir.deployment_id = i.deployment_id AND ir.number = i.revision
        WHERE i.deployment_id = ANY($1::uuid[])`,
      [deploymentIds],
    );
    for (const r of rows) byDeployment.get(r.deployment_id)?.push(toStatusInstance(r));
    return byDeployment;
  }

  listInstances(deploymentId: string): Promise<InstanceRow[]> {
    return this.ds.query(
      `SELECT i.id, n.name AS node, i.revision, i.desired, i.observed, i.reason, i.overlay_ip AS "overlayIp",
              i.container_id AS "containerId", i.restarts, i.last_exit_code AS "lastExitCode",
              i.health_checks AS "lastChecks", i.updated_at AS "updatedAt"
         FROM instances i LEFT JOIN nodes n ON n.id = i.node_id
        WHERE i.deployment_id = $1
        ORDER BY i.created_at, i.id`,
      [deploymentId],
    );
  }

  /**
   * Deletes the deployment with its revisions and instances (ON DELETE CASCADE) and bumps the desired-state
   * generation of the nodes that ran them; returns those node ids, to notify after commit.
   */
  async delete(tx: EntityManager, deploymentId: string): Promise<string[]> {
    const nodes: { node_id: string }[] = await tx.query(
      `SELECT DISTINCT node_id FROM instances WHERE deployment_id = $1 AND node_id IS NOT NULL`,
      [deploymentId],
    );
    const nodeIds = nodes.map((n) => n.node_id);
    await tx.query(`DELETE FROM deployments WHERE id = $1`, [deploymentId]);
    if (nodeIds.length) await tx.query(`UPDATE nodes SET generation = generation + 1 WHERE id = ANY($1::uuid[])`, [nodeIds]);
    return nodeIds;
  }
}
