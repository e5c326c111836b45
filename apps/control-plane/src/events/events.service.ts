import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { EventView } from '@oja/contracts';
import { DataSource, EntityManager } from 'typeorm';
import { CONFIG, type Config } from '../config/config';

export interface NewEvent {
  /** Defaults to the deployment's tenant when deploymentId is given; null/absent for node events. */
  tenantId?: string | null;
  deploymentId?: string | null;
  nodeId?: string | null;
  instanceId?: string | null;
  /** Dotted type: instance.started, node.down, rollout.step, deployment.created, … */
  type: string;
  message: string;
}

export interface EventQuery {
  /** Restrict to one tenant; undefined = every event (admin). */
  tenantId?: string;
  deployment?: string;
  node?: string;
  type?: string;
  limit: number;
  before?: string;
  after?: string;
}

const PRUNE_INTERVAL_MS = 60 * 60 * 1000;

@Injectable()
export class EventsService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('EventsService');
  private pruneTimer?: NodeJS.Timeout;

  constructor(
    private readonly ds: DataSource,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  /**
   * Records an event; pass `tx` to make it part of a transaction. Deployment and node names are copied
   * in (so the event outlives them) and the tenant is taken from the deployment when not given.
   */
  async record(event: NewEvent, tx: EntityManager = this.ds.manager): Promise<void> {
    await this.recordAll([event], tx);
  }

  /**
   * Records a node event unless it repeats the node's newest event word for word: a refusal met again at every
   * reconnect is said once, until something else happens to the node.
   */
  async recordUnlessRepeated(event: Pick<NewEvent, 'type' | 'message'> & { nodeId: string }): Promise<void> {
    // Node events have no tenant, so the (tenant_id, id) index finds the newest ones.
    const [newest]: { type: string; message: string }[] = await this.ds.query(
      `SELECT type, message FROM events WHERE tenant_id IS NULL AND node_id = $1 ORDER BY id DESC LIMIT 1`,
      [event.nodeId],
    );
    if (newest?.type === event.type && newest.message === event.message) return;
    await this.record(event);
  }

  /** Records several events in one statement (an evaluation placing thousands of instances), in order. */
  async recordAll(events: readonly NewEvent[], tx: EntityManager = this.ds.manager): Promise<void> {
    if (events.length === 0) return;
    const column = <T>(pick: (e: NewEvent) => T) => events.map(pick);
    await tx.query(
      `INSERT INTO events (tenant_id, deployment_id, deployment_name, node_id, node_name, instance_id, type, message)
       SELECT COALESCE(e.tenant_id, d.tenant_id), e.deployment_id, d.name, e.node_id, n.name, e.instance_id, e.type, e.message
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[])
              WITH ORDINALITY AS e(tenant_id, deployment_id, node_id, instance_id, type, message, ord)
         LEFT JOIN deployments d ON d.id = e.deployment_id
         LEFT JOIN nodes n ON n.id = e.node_id
        ORDER BY e.ord`,
      [
        column((e) => e.tenantId ?? null), column((e) => e.deploymentId ?? null), column((e) => e.nodeId ?? null),
        column((e) => e.instanceId ?? null), column((e) => e.type), column((e) => e.message),
      ],
    );
  }

  /**
   * Newest first, paged with `before` (an event id); with `after`, oldest first from just after that id: a cursor
   * that reads a burst of any size page by page. Ids are taken at insert, so an event whose transaction commits
   * after a later one's can appear behind a reader's cursor (`oja get events -w` re-reads a window for it).
   */
  async list(q: EventQuery): Promise<EventView[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (q.tenantId !== undefined) add('tenant_id = ?', q.tenantId);
    if (q.deployment !== undefined) add('deployment_name = ?', q.deployment);
    if (q.node !== undefined) add('node_name = ?', q.node);
    if (q.type !== undefined) add('type = ?', q.type);
    if (q.before !== undefined) add('id < ?::bigint', q.before);
    if (q.after !== undefined) add('id > ?::bigint', q.after);
    params.push(q.limit);
    const rows: EventRow[] = await this.ds.query(
      `SELECT id, type, message, deployment_name, node_name, instance_id, at FROM events
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id ${q.after === undefined ? 'DESC' : 'ASC'} LIMIT $${params.length}`,
      params,
    );
    return rows.map(toEventView);
  }

  /** Deletes events older than the retention period; returns how many. */
  async pruneExpired(): Promise<number> {
    const [, count] = (await this.ds.query(`DELETE FROM events WHERE at < now() - make_interval(days => $1)`, [
      this.config.eventRetentionDays,
    ])) as [unknown, number];
    return count;
  }

  onModuleInit(): void {
    const prune = () => this.pruneExpired().catch((err: Error) => this.logger.warn(`event retention failed: ${err.message}`));
    this.pruneTimer = setInterval(prune, PRUNE_INTERVAL_MS);
    this.pruneTimer.unref();
    void prune();
  }

  onApplicationShutdown(): void {
    clearInterval(this.pruneTimer);
  }
}

interface EventRow {
  id: string;
  type: string;
  message: string;
  deployment_name: string | null;
  node_name: string | null;
  instance_id: string | null;
  at: Date;
}

function toEventView(row: EventRow): EventView {
  return {
    id: row.id,
    type: row.type,
    message: row.message,
    ...(row.deployment_name ? { deployment: row.deployment_name } : {}),
    ...(row.node_name ? { node: row.node_name } : {}),
    ...(row.instance_id ? { instance: row.instance_id } : {}),
    at: row.at.toISOString(),
  };
}
