import { Injectable } from '@nestjs/common';
import type { NodeStatus } from '@oja/contracts';
import type { Peer, Register, TenantAddressSet } from '@oja/proto';
import { DataSource, EntityManager } from 'typeorm';
import { lowestFreeSubnet } from './overlay-ipam';
import { rowsOf } from './sql-rows';
import type { DesiredInstanceRow } from './desired-state';
import { ADDRESSED_STATES } from './tenant-addresses';

export interface SessionNode {
  id: string;
  name: string;
  /** sha256 of the DER of the node's certificate: issued at Join, or by a Renew once the node presented it. */
  certFingerprint: string | null;
  /** The certificate a Renew issued that the node has not presented yet (it replaces the current one when it does). */
  pendingCertFingerprint: string | null;
}

export interface RegisteredNode {
  id: string;
  name: string;
  overlaySubnet: string;
  previousStatus: NodeStatus;
  /** Whether the node had ever heartbeated before this registration (a returning node, not a new one). */
  seenBefore: boolean;
}

export interface DesiredRow extends DesiredInstanceRow {
  tenantId: string;
  registryCredential: string | null;
}

const UNIQUE_VIOLATION = '23505';
const SUBNET_ATTEMPTS = 20;
/** The status of a node that registers or heartbeats: ready, or draining while an operator has it drained. */
const UP_STATUS = `CASE WHEN drained THEN 'draining' ELSE 'ready' END`;

/** The node rows as the gateway sees them: join, registration, heartbeats, peers, desired sets. */
@Injectable()
export class AgentNodesRepository {
  constructor(private readonly ds: DataSource) {}

  async find(nodeId: string): Promise<SessionNode | null> {
    const rows: { id: string; name: string; cert_fingerprint: string | null; pending_cert_fingerprint: string | null }[] = await this.ds.query(
      `SELECT id, name, cert_fingerprint, pending_cert_fingerprint FROM nodes WHERE id = $1`,
      [nodeId],
    );
    const row = rows[0];
    return row ? { id: row.id, name: row.name, certFingerprint: row.cert_fingerprint, pendingCertFingerprint: row.pending_cert_fingerprint } : null;
  }

  /** The node holding `name`, locked for the rest of the transaction (joins of one name serialize here). */
  async lockByName(tx: EntityManager, name: string): Promise<{ id: string; keyFingerprint: string | null } | null> {
    const rows: { id: string; key_fingerprint: string | null }[] = await tx.query(
      `SELECT id, key_fingerprint FROM nodes WHERE name = $1 FOR UPDATE`,
      [name],
    );
    return rows[0] ? { id: rows[0].id, keyFingerprint: rows[0].key_fingerprint } : null;
  }

  /** A joined node starts "down": it becomes ready when its agent registers on the stream. */
  async insertJoined(tx: EntityManager, name: string, keyFingerprint: string): Promise<string> {
    const rows: { id: string }[] = await tx.query(
      `INSERT INTO nodes (name, underlay_address, status, key_fingerprint) VALUES ($1, '', 'down', $2) RETURNING id`,
      [name, keyFingerprint],
    );
    return rows[0].id;
  }

  /** Join: this certificate replaces every other, a renewed one not yet presented included. */
  async setCertificate(tx: EntityManager, nodeId: string, keyFingerprint: string, certFingerprint: string): Promise<void> {
    await tx.query(`UPDATE nodes SET key_fingerprint = $2, cert_fingerprint = $3, pending_cert_fingerprint = NULL WHERE id = $1`, [
      nodeId,
      keyFingerprint,
      certFingerprint,
    ]);
  }

  /**
   * Renew: `pending` waits beside the current certificate, if the caller's certificate is still the current one (false
   * when the node joined again meanwhile). A pending certificate from an earlier Renew whose answer was lost is replaced.
   */
  async setPendingCertificate(tx: EntityManager, nodeId: string, current: string, pending: string): Promise<boolean> {
    const rows = rowsOf<{ id: string }>(
      await tx.query(`UPDATE nodes SET pending_cert_fingerprint = $3 WHERE id = $1 AND cert_fingerprint = $2 RETURNING id`, [nodeId, current, pending]),
    );
    return rows.length === 1;
  }

  /**
   * The node presented its pending certificate: it becomes the current one and the old one stops working. True also
   * when another call with the same certificate promoted it first; false when a Join or another Renew replaced it.
   */
  async promoteCertificate(nodeId: string, fingerprint: string): Promise<boolean> {
    const rows = rowsOf<{ id: string }>(
      await this.ds.query(
        `UPDATE nodes SET cert_fingerprint = $2, pending_cert_fingerprint = NULLIF(pending_cert_fingerprint, $2)
          WHERE id = $1 AND $2 IN (cert_fingerprint, pending_cert_fingerprint) RETURNING id`,
        [nodeId, fingerprint],
      ),
    );
    return rows.length === 1;
  }

  /**
   * Applies a Register and gives the node the lowest free /24 of `cidr` unless it has one, in one transaction: a node
   * is never up without its subnet. When the pool is exhausted this throws OverlayExhaustedError and nothing changed
   * (the node stays down). Two replicas may pick the same subnet for different nodes at once: the unique constraint
   * rejects one, which then retries with a fresh view.
   */
  async register(nodeId: string, reg: Register, cidr: string): Promise<RegisteredNode | null> {
    for (let attempt = 0; attempt < SUBNET_ATTEMPTS; attempt++) {
      try {
        return await this.ds.transaction((tx) => this.registerOnce(tx, nodeId, reg, cidr));
      } catch (err) {
        if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
      }
    }
    throw new Error(`could not allocate an overlay subnet for node ${nodeId} after ${SUBNET_ATTEMPTS} attempts`);
  }

  private async registerOnce(tx: EntityManager, nodeId: string, reg: Register, cidr: string): Promise<RegisteredNode | null> {
    const locked: { name: string; status: NodeStatus; overlay_subnet: string | null; seen_before: boolean }[] = await tx.query(
      `SELECT name, status, overlay_subnet, last_heartbeat_at IS NOT NULL AS seen_before FROM nodes WHERE id = $1 FOR UPDATE`,
      [nodeId],
    );
    const old = locked[0];
    if (!old) return null;
    let overlaySubnet = old.overlay_subnet;
    if (!overlaySubnet) {
      const taken: { overlay_subnet: string }[] = await tx.query(`SELECT overlay_subnet FROM nodes WHERE overlay_subnet IS NOT NULL`);
      overlaySubnet = lowestFreeSubnet(cidr, taken.map((t) => t.overlay_subnet));
    }
    await tx.query(
      `UPDATE nodes SET
         capacity_cpu = $2, capacity_memory_mb = $3, labels = $4::jsonb, underlay_address = $5,
         wg_public_key = NULLIF($6, ''), wg_listen_port = NULLIF($7, 0), agent_version = $8, overlay_subnet = $9,
         status = ${UP_STATUS}, last_heartbeat_at = now()
       WHERE id = $1`,
      [nodeId, reg.capacity?.cpu ?? 0, reg.capacity?.memoryMb ?? 0, JSON.stringify(reg.labels ?? {}), reg.underlayAddress,
        reg.wgPublicKey, reg.wgListenPort, reg.agentVersion, overlaySubnet],
    );
    return { id: nodeId, name: old.name, overlaySubnet, previousStatus: old.status, seenBefore: old.seen_before };
  }

  /** WireGuard peers of a node: every other node that has a key and a subnet. */
  async peersOf(nodeId: string): Promise<Peer[]> {
    const rows: { name: string; wg_public_key: string; underlay_address: string; wg_listen_port: number | null; overlay_subnet: string }[] =
      await this.ds.query(
        `SELECT name, wg_public_key, underlay_address, wg_listen_port, overlay_subnet FROM nodes
          WHERE id <> $1 AND wg_public_key IS NOT NULL AND overlay_subnet IS NOT NULL ORDER BY name`,
        [nodeId],
      );
    return rows.map((r) => ({
      nodeName: r.name,
      publicKey: r.wg_public_key,
      endpoint: r.wg_listen_port ? `${r.underlay_address}:${r.wg_listen_port}` : r.underlay_address,
      allowedIps: [r.overlay_subnet],
    }));
  }

  /**
   * Overlay addresses of running instances per tenant, on every node, for the tenants that have instances desired
   * running on `nodeId` (what that node's isolation rules need).
   */
  async tenantAddressesFor(nodeId: string): Promise<TenantAddressSet[]> {
    const rows: { tenant: string; ips: string[] }[] = await this.ds.query(
      `SELECT t.name AS tenant, array_agg(DISTINCT i.overlay_ip ORDER BY i.overlay_ip) AS ips
         FROM instances i
         JOIN deployments d ON d.id = i.deployment_id
         JOIN tenants t ON t.id = d.tenant_id
        WHERE i.overlay_ip IS NOT NULL AND i.desired = 'running' AND i.observed = ANY($2::text[])
          AND d.tenant_id IN (SELECT d2.tenant_id FROM instances i2 JOIN deployments d2 ON d2.id = i2.deployment_id
                               WHERE i2.node_id = $1 AND i2.desired = 'running')
        GROUP BY t.name ORDER BY t.name`,
      [nodeId, ADDRESSED_STATES],
    );
    return rows.map((r) => ({ tenant: r.tenant, ips: r.ips }));
  }

  /** Every node in the overlay (it has a WireGuard key): all of them hear of address and peer changes. */
  async overlayNodeIds(): Promise<string[]> {
    const rows: { id: string }[] = await this.ds.query(`SELECT id FROM nodes WHERE wg_public_key IS NOT NULL`);
    return rows.map((r) => r.id);
  }

  async otherNodeIds(nodeId: string): Promise<string[]> {
    const rows: { id: string }[] = await this.ds.query(`SELECT id FROM nodes WHERE id <> $1 AND wg_public_key IS NOT NULL`, [nodeId]);
    return rows.map((r) => r.id);
  }

  /**
   * Bumps the node's desired-state generation and reads its desired set in the same transaction: the row
   * lock orders concurrent builds, so a higher generation never carries an older set. `stoppedIds` are the
   * instances left out because they were stopped: once the agent converged to this generation they are gone.
   */
  async nextDesiredState(nodeId: string): Promise<{ generation: number; rows: DesiredRow[]; stoppedIds: string[] } | null> {
    return this.ds.transaction(async (tx) => {
      const gen = rowsOf<{ generation: string }>(
        await tx.query(`UPDATE nodes SET generation = generation + 1 WHERE id = $1 RETURNING generation`, [nodeId]),
      );
      if (!gen[0]) return null;
      const rows: { id: string; tenant: string; tenant_id: string; deployment: string; revision: number; spec: DesiredRow['spec'] }[] = await tx.query(
        `SELECT i.id, t.name AS tenant, t.id AS tenant_id, d.name AS deployment, i.revision, r.spec
           FROM instances i
           JOIN deployments d ON d.id = i.deployment_id
           JOIN tenants t ON t.id = d.tenant_id
           JOIN revisions r ON r.deployment_id = i.deployment_id AND r.number = i.revision
          WHERE i.node_id = $1 AND i.desired = 'running'
          ORDER BY i.created_at, i.id`,
        [nodeId],
      );
      const stopped: { id: string }[] = await tx.query(`SELECT id FROM instances WHERE node_id = $1 AND desired = 'stopped'`, [nodeId]);
      return {
        generation: Number(gen[0].generation),
        stoppedIds: stopped.map((s) => s.id),
        rows: rows.map((r) => ({
          id: r.id, tenant: r.tenant, tenantId: r.tenant_id, deployment: r.deployment, revision: r.revision, spec: r.spec,
          registryCredential: r.spec.registryCredential ?? null,
        })),
      };
    });
  }

  /** Deployments with instances no node could take: worth another try when capacity appears. */
  async deploymentsAwaitingNodes(): Promise<string[]> {
    const rows: { deployment_id: string }[] = await this.ds.query(
      `SELECT DISTINCT deployment_id FROM instances WHERE desired = 'running' AND node_id IS NULL`,
    );
    return rows.map((r) => r.deployment_id);
  }

  /**
   * Records heartbeats of many nodes in one statement, each dated by its age on Postgres' clock (the control plane's
   * clock may differ from the one the node monitor compares with); returns the nodes that were down and are back
   * (ready, or draining).
   */
  async heartbeat(beats: { nodeId: string; ageSeconds: number }[]): Promise<{ id: string }[]> {
    if (beats.length === 0) return [];
    const nodeIds = beats.map((b) => b.nodeId);
    await this.ds.query(
      `UPDATE nodes SET last_heartbeat_at = GREATEST(last_heartbeat_at, now() - make_interval(secs => beat.age_seconds))
         FROM unnest($1::uuid[], $2::float8[]) AS beat(node_id, age_seconds)
        WHERE nodes.id = beat.node_id`,
      [nodeIds, beats.map((b) => b.ageSeconds)],
    );
    return rowsOf(await this.ds.query(`UPDATE nodes SET status = ${UP_STATUS} WHERE id = ANY($1::uuid[]) AND status = 'down' RETURNING id`, [nodeIds]));
  }
}
