import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit, Optional } from '@nestjs/common';
import { status, type ServerDuplexStream } from '@grpc/grpc-js';
import type { EntityManager } from 'typeorm';
import { type AgentMessage, type ControlMessage, type Heartbeat, type InstanceStatus, type Register } from '@oja/proto';
import { CONFIG, type Config } from '../config/config';
import { Transactor } from '../db/db.module';
import { EventsService } from '../events/events.service';
import { GrpcMetrics } from '../observability/grpc-metrics';
import { EVALUATION_QUEUE, type EvaluationQueue } from '../queue/evaluation-queue';
import { NODE_NOTIFIER, type NodeNotifier } from '../queue/node-notifier';
import { AgentNodesRepository, type RegisteredNode, type SessionNode } from './agent-nodes.repository';
import { AgentSession } from './agent-session';
import { AgentSessions } from './agent-sessions.service';
import { GatewayError } from './gateway-error';
import { InstanceReportsRepository } from './instance-reports.repository';
import { NodeAuthenticator, UUID } from './node-authenticator';
import { isStale, needsEvaluation, parseReport, transitionEvents } from './instance-status';
import { OverlayExhaustedError } from './overlay-ipam';
import { reachableAddress } from './tenant-addresses';
import { mayChangeRoutes } from './routes';
import { RolloutRepository } from '../rollout/rollout.repository';

export const HEARTBEAT_INTERVAL_SECONDS = 2;
/**
 * Heartbeats are written in batches: one UPDATE per interval for all nodes of this replica, each with its age, so
 * the batching delay does not postpone the node monitor's verdict.
 */
const HEARTBEAT_FLUSH_MS = 1000;

type Call = ServerDuplexStream<AgentMessage, ControlMessage>;

/**
 * Connect streams: authenticates the agent by its certificate (never by what it says), then handles its
 * messages in order — Register, Heartbeat, InstanceStatus, log chunks.
 */
@Injectable()
export class AgentStreams implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('AgentStreams');
  /** Node id → when its latest unwritten heartbeat arrived (performance.now(), immune to clock steps). */
  private readonly heartbeats = new Map<string, number>();
  private flushTimer?: NodeJS.Timeout;

  constructor(
    private readonly nodes: AgentNodesRepository,
    private readonly reports: InstanceReportsRepository,
    private readonly sessions: AgentSessions,
    private readonly transactor: Transactor,
    private readonly events: EventsService,
    @Inject(EVALUATION_QUEUE) private readonly queue: EvaluationQueue,
    @Inject(NODE_NOTIFIER) private readonly notifier: NodeNotifier,
    @Inject(CONFIG) private readonly config: Config,
    private readonly rollout: RolloutRepository,
    private readonly authenticator: NodeAuthenticator,
    @Optional() private readonly metrics?: GrpcMetrics,
  ) {}

  onModuleInit(): void {
    this.flushTimer = setInterval(() => void this.flushHeartbeats(), HEARTBEAT_FLUSH_MS);
    this.flushTimer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.flushTimer);
  }

  /**
   * Takes a new stream. Messages are queued from the first moment (a stream may already be flowing, e.g. when
   * another listener observes it) and handled strictly in order once the certificate has been checked.
   */
  accept(call: Call): void {
    let node: SessionNode | undefined;
    let session: AgentSession | undefined;
    let ended = false;
    let chain = this.authenticator.authenticate(call).then(
      (authenticated) => {
        node = authenticated.node;
      },
      (err: unknown) => {
        const refusal = err instanceof GatewayError ? err : new GatewayError(status.UNAVAILABLE, 'control plane cannot check the node now');
        this.logger.warn(`stream from ${call.getPeer()} refused: ${refusal.message}${err === refusal ? '' : ` (${(err as Error).message})`}`);
        call.emit('error', refusal.toStatus());
      },
    );
    call.on('data', (msg: AgentMessage) => {
      this.metrics?.received(msg);
      chain = chain.then(async () => {
        if (!node || ended) return;
        try {
          const handling = this.handle(call, node, session, msg);
          session = await (this.metrics?.timeHandling(msg, handling) ?? handling);
          // The stream may have ended while Register was being handled: don't keep a session for it.
          if (ended) drop();
        } catch (err) {
          const failure = err instanceof GatewayError ? err : null;
          const line = `node ${node.name}: ${msg.kind?.$case ?? 'empty message'} failed: ${(err as Error).message}`;
          if (failure) this.logger.warn(line);
          else this.logger.error(line);
          if (failure) {
            session?.close(failure.toStatus());
            if (!session) call.emit('error', failure.toStatus());
          }
        }
      });
    });
    const drop = () => {
      ended = true;
      if (!session) return;
      this.sessions.remove(session);
      session.close();
    };
    call.on('end', drop);
    call.on('cancelled', drop);
    call.on('error', drop);
    call.on('close', drop);
  }

  private async handle(call: Call, node: SessionNode, session: AgentSession | undefined, msg: AgentMessage): Promise<AgentSession | undefined> {
    const kind = msg.kind;
    if (kind?.$case === 'register') return this.register(call, node, session, kind.value);
    if (!session) {
      this.logger.warn(`node ${node.name} sent ${kind?.$case ?? 'an empty message'} before Register; ignored`);
      return session;
    }
    switch (kind?.$case) {
      case 'heartbeat':
        await this.heartbeat(session, kind.value);
        break;
      case 'instanceStatus':
        await this.instanceStatus(session.nodeId, kind.value, new Date());
        break;
      case 'logChunk':
        session.deliverLogChunk(kind.value);
        break;
      case 'logEnd':
        session.deliverLogEnd(kind.value);
        break;
      default:
        break;
    }
    return session;
  }

  private async register(call: Call, node: SessionNode, current: AgentSession | undefined, reg: Register): Promise<AgentSession> {
    if (reg.nodeName !== node.name) {
      throw new GatewayError(status.PERMISSION_DENIED, `this certificate belongs to node "${node.name}", not "${reg.nodeName}"`);
    }
    const registered = await this.registerNode(node, reg);
    if (!registered) throw new GatewayError(status.UNAUTHENTICATED, `node ${node.name} is no longer registered`);
    const { overlaySubnet } = registered;
    const back = registered.previousStatus === 'down' && registered.seenBefore;
    await this.events.record({ nodeId: node.id, type: back ? 'node.up' : 'node.registered', message: `node ${node.name} registered (agent ${reg.agentVersion || 'unknown'})` });

    // Adoption: what the agent already runs is reported like any status; stopped instances it no longer runs are gone.
    const receivedAt = new Date();
    for (const instance of reg.instances) await this.instanceStatus(node.id, instance, receivedAt);
    const running = reg.instances.map((i) => i.instanceId).filter((id) => UUID.test(id));
    await this.forgetStopped(node.id, (tx) => this.reports.stoppedNotIn(tx, node.id, running));

    const session = current ?? new AgentSession(node.id, node.name, call);
    this.sessions.add(session);
    session.send({
      $case: 'registered',
      value: {
        nodeId: node.id, overlaySubnet, overlayCidr: this.config.overlayCidr, peers: await this.nodes.peersOf(node.id),
        heartbeatIntervalSeconds: HEARTBEAT_INTERVAL_SECONDS,
      },
    });
    await this.notifier.notify(await this.nodes.otherNodeIds(node.id)).catch((err: Error) => this.logger.warn(`peer wake-up failed: ${err.message}`));
    await this.sessions.pushDesiredState(session);
    // New capacity: deployments waiting for a node get another chance now rather than at the next sweep.
    await this.enqueueAll(await this.nodes.deploymentsAwaitingNodes());
    return session;
  }

  /** A node the overlay has no /24 left for stays down (it never takes placements), with the refusal as an event. */
  private async registerNode(node: SessionNode, reg: Register): Promise<RegisteredNode | null> {
    try {
      return await this.nodes.register(node.id, reg, this.config.overlayCidr);
    } catch (err) {
      if (!(err instanceof OverlayExhaustedError)) throw err;
      await this.events.recordUnlessRepeated({ nodeId: node.id, type: 'node.refused', message: `node ${node.name} refused: ${err.message}` });
      throw new GatewayError(status.RESOURCE_EXHAUSTED, err.message);
    }
  }

  private async heartbeat(session: AgentSession, hb: Heartbeat): Promise<void> {
    this.heartbeats.set(session.nodeId, performance.now());
    // Converged to generation g: instances stopped as of g no longer run there.
    const done: string[] = [];
    for (const [generation, ids] of session.stoppedAt) {
      if (generation > hb.observedGeneration) continue;
      done.push(...ids);
      session.stoppedAt.delete(generation);
    }
    if (done.length) await this.forgetStopped(session.nodeId, async () => done);
  }

  /** Applies one agent report to the node's instance; reports about other nodes' instances or stale ones are ignored. */
  async instanceStatus(nodeId: string, report: InstanceStatus, receivedAt: Date): Promise<void> {
    if (!UUID.test(report.instanceId)) return;
    const next = parseReport(report, receivedAt);
    if (!next) {
      this.logger.warn(`node ${nodeId} reported unknown state "${report.state}" for instance ${report.instanceId}`);
      return;
    }
    let addressChanged = false;
    let routesChanged = false;
    const deploymentId = await this.transactor.run(async (tx) => {
      const prev = await this.reports.lockOnNode(tx, report.instanceId, nodeId);
      if (!prev || isStale(prev, next)) return null;
      addressChanged = reachableAddress(prev.state, prev.overlayIp) !== reachableAddress(next.state, next.overlayIp);
      routesChanged = prev.desired === 'running' && mayChangeRoutes(prev, next);
      if (prev.desired === 'stopped' && (next.state === 'exited' || next.state === 'failed')) {
        await this.reports.deleteStopped(tx, nodeId, [report.instanceId]);
        return prev.deploymentId;
      }
      await this.reports.apply(tx, report.instanceId, next);
      const base = { deploymentId: prev.deploymentId, nodeId, instanceId: report.instanceId };
      for (const event of transitionEvents(prev, next)) await this.events.record({ ...base, ...event }, tx);
      return needsEvaluation(prev, next) ? prev.deploymentId : null;
    });
    if (deploymentId) await this.enqueueAll([deploymentId]);
    // Tenant isolation on every node follows instance addresses: wake all of them up to resend the sets.
    // The routing mesh on every node follows instance readiness.
    if (routesChanged) {
      await this.notifier.notify(await this.rollout.allNodeIds()).catch((err: Error) => this.logger.warn(`routes wake-up failed: ${err.message}`));
    } else if (addressChanged) {
      await this.notifier.notify(await this.nodes.overlayNodeIds()).catch((err: Error) => this.logger.warn(`address wake-up failed: ${err.message}`));
    }
  }

  private async forgetStopped(nodeId: string, ids: (tx: EntityManager) => Promise<string[]>): Promise<void> {
    const deployments = await this.transactor.run(async (tx) => this.reports.deleteStopped(tx, nodeId, await ids(tx)));
    await this.enqueueAll(deployments);
  }

  private async flushHeartbeats(): Promise<void> {
    const now = performance.now();
    const beats = [...this.heartbeats].map(([nodeId, at]) => ({ nodeId, ageSeconds: (now - at) / 1000 }));
    this.heartbeats.clear();
    try {
      const revived = await this.nodes.heartbeat(beats);
      for (const { id } of revived) {
        await this.events.record({ nodeId: id, type: 'node.up', message: 'node heartbeating again' });
        const session = this.sessions.get(id);
        if (session) await this.sessions.pushDesiredState(session);
      }
      if (revived.length) await this.enqueueAll(await this.nodes.deploymentsAwaitingNodes());
    } catch (err) {
      this.logger.warn(`heartbeats of ${beats.length} nodes not recorded: ${(err as Error).message}`);
    }
  }

  private async enqueueAll(deploymentIds: string[]): Promise<void> {
    for (const id of deploymentIds) {
      await this.queue.enqueue(id).catch((err: Error) => this.logger.warn(`evaluation of deployment ${id} not queued: ${err.message}`));
    }
  }
}
