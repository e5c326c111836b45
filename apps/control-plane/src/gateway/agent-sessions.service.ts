import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit, Optional } from '@nestjs/common';
import type { LogRequest, RegistryAuth } from '@oja/proto';
import { Redis } from 'ioredis';
import { withTimeout } from '../api/unavailable';
import { CONFIG, type Config } from '../config/config';
import { nodeChannel } from '../queue/node-notifier';
import { redisOptionsFromUrl } from '../queue/redis-options';
import { AgentNodesRepository, type DesiredRow } from './agent-nodes.repository';
import type { AgentSession, LogHandlers } from './agent-session';
import { CREDENTIAL_RESOLVER, type CredentialResolver } from './credential-resolver';
import { toDesiredInstance } from './desired-state';
import { RoutesRepository } from './routes.repository';

const SUBSCRIBE_TIMEOUT_MS = 3000;

/**
 * The agent streams held by this replica, and the wake-up path: one Redis subscriber per replica listens on
 * `node:*`; when node X's channel fires and X's stream is here, X's full desired set is rebuilt from
 * Postgres and sent with a new generation (level-triggered: the message is only a hint).
 */
@Injectable()
export class AgentSessions implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('AgentSessions');
  private readonly sessions = new Map<string, AgentSession>();
  private subscriber?: Redis;

  constructor(
    private readonly nodes: AgentNodesRepository,
    private readonly routes: RoutesRepository,
    @Inject(CONFIG) private readonly config: Config,
    @Optional() @Inject(CREDENTIAL_RESOLVER) private readonly credentials?: CredentialResolver,
  ) {}

  async onModuleInit(): Promise<void> {
    const subscriber = new Redis({ ...redisOptionsFromUrl(this.config.redisUrl), lazyConnect: true, retryStrategy: (attempt) => Math.min(attempt * 200, 2000) });
    this.subscriber = subscriber;
    subscriber.on('error', (err: Error) => this.logger.warn(`node wake-up subscriber: ${err.message}`));
    subscriber.on('pmessage', (_pattern: string, channel: string) => {
      const session = this.sessions.get(channel.slice(nodeChannel('').length));
      if (session) void this.pushDesiredState(session);
    });
    // Wake-ups published while the subscriber was away are lost: after a reconnect, resend every node's state.
    let connectedBefore = false;
    subscriber.on('ready', () => {
      if (connectedBefore) for (const session of this.sessions.values()) void this.pushDesiredState(session);
      connectedBefore = true;
    });
    // Redis may be away at start: the app still starts; ioredis keeps reconnecting and resubscribes.
    const subscribed = subscriber.connect().then(() => subscriber.psubscribe(nodeChannel('*')));
    await withTimeout(subscribed, SUBSCRIBE_TIMEOUT_MS, 'redis (node wake-ups)').catch((err: Error) => this.logger.warn(err.message));
  }

  onApplicationShutdown(): void {
    for (const session of this.sessions.values()) session.close();
    this.sessions.clear();
    this.subscriber?.disconnect();
  }

  get(nodeId: string): AgentSession | undefined {
    return this.sessions.get(nodeId);
  }

  get count(): number {
    return this.sessions.size;
  }

  /** Takes over the node's stream on this replica; an older stream of the same node is closed. */
  add(session: AgentSession): void {
    const previous = this.sessions.get(session.nodeId);
    this.sessions.set(session.nodeId, session);
    if (previous && previous !== session) previous.close({ code: 10 /* ABORTED */, details: 'replaced by a newer stream of the same node' });
  }

  remove(session: AgentSession): void {
    if (this.sessions.get(session.nodeId) === session) this.sessions.delete(session.nodeId);
  }

  /** Sends Peers, tenant addresses, the cluster's routes and the full desired set (new generation). Never throws: a failed push is logged and healed by the next one. */
  pushDesiredState(session: AgentSession): Promise<void> {
    return session
      .requestPush(async () => {
        const state = await this.nodes.nextDesiredState(session.nodeId);
        if (!state) return;
        const [peers, tenantAddresses, routes, instances] = await Promise.all([
          this.nodes.peersOf(session.nodeId),
          this.nodes.tenantAddressesFor(session.nodeId),
          this.routes.routes(),
          Promise.all(state.rows.map(async (row) => toDesiredInstance(row, await this.registryAuth(row)))),
        ]);
        session.stoppedAt.set(state.generation, state.stoppedIds);
        session.send({ $case: 'peers', value: { peers } });
        session.send({ $case: 'tenantAddresses', value: { tenants: tenantAddresses } });
        session.send({ $case: 'routes', value: { generation: state.generation, routes } });
        session.send({ $case: 'desiredState', value: { generation: state.generation, instances } });
      })
      .catch((err: Error) => this.logger.error(`desired state for node ${session.nodeName} not sent: ${err.message}`));
  }

  /**
   * Asks the node's agent for an instance's logs (plumbing for the logs API). Returns a cancel function,
   * or null when this replica does not hold the node's stream.
   */
  requestLogs(nodeId: string, request: LogRequest, handlers: LogHandlers): (() => void) | null {
    const session = this.sessions.get(nodeId);
    if (!session?.isOpen) return null;
    session.startLogs(request, handlers);
    return () => session.cancelLogs(request.requestId);
  }

  private async registryAuth(row: DesiredRow): Promise<RegistryAuth | undefined> {
    if (!row.registryCredential) return undefined;
    // Without the credential the instance is still sent: the pull then fails on the agent with a clear reason.
    const auth = this.credentials ? await this.credentials.resolve(row.tenantId, row.registryCredential) : null;
    if (!auth) this.logger.warn(`registry credential "${row.registryCredential}" of deployment ${row.deployment} not found`);
    return auth ?? undefined;
  }
}
