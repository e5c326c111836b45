import { status } from '@grpc/grpc-js';
import { AgentGatewayClient, type AgentMessage, type ControlMessage, type DesiredState, type Peer, type Register } from '@oja/proto';
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { InstanceStatusReport } from '../reconcile/types';
import { Backoff } from './backoff';
import type { NodeCredentials } from '../identity/store';
import { CONTROL_PLANE_CHANNEL_OPTIONS, controlPlaneCredentials, explainCertificateRefusal } from './credentials';
import { ControlStream, type StreamOutcome } from './control-stream';
import { LogRelay } from './log-relay';
import { fromProtoDesiredInstance, toProtoInstanceStatus } from './mapping';
import type { ReconcilerPort, StreamInstanceLogs } from './ports';

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 2000;
/** A stream that got no Registered in this time is given up and opened again (the control plane is stuck or lost it). */
export const DEFAULT_REGISTER_TIMEOUT_MS = 30_000;

/** What the node knows about the cluster from its last Registered / Peers (the overlay uses it). */
export interface ClusterView {
  nodeId: string;
  overlaySubnet: string;
  overlayCidr: string;
  peers: Peer[];
}

/** Everything Register carries except the instances, which are read from the reconciler at each (re)connect. */
export type Registration = Omit<Register, 'instances'>;

export interface AgentConnectionOptions {
  address: string;
  /** The node's key, certificate and CA: the stream is mTLS with them, and a refused certificate is explained from them. */
  node: NodeCredentials;
  reconciler: ReconcilerPort;
  streamLogs: StreamInstanceLogs;
  /** Read at every (re)connect so a changed WireGuard key or address is sent. */
  registration: () => Registration | Promise<Registration>;
  log: Logger;
  /** The Docker network instances attach to (the overlay), once the node has one; a promise while it is being set up. */
  network?: () => string | undefined | Promise<string | undefined>;
  backoff?: Backoff;
  clock?: () => Date;
  registerTimeoutMs?: number;
}

const RUNNING_STATES = new Set(['starting', 'running', 'healthy', 'unhealthy']);

/**
 * The agent's side of AgentGateway.Connect: holds one stream at a time and re-opens it with backoff whenever it drops,
 * re-registering each time (the control plane then re-sends the full desired set, so nothing is lost meanwhile).
 * Containers are never touched by connection trouble; only DesiredState changes them.
 *
 * Events: 'registered' (ClusterView), 'peers' (Peer[]), 'tenantAddresses' (TenantAddressSet[]), 'routes' (Routes), 'drain' (reason),
 * 'disconnected' (StreamOutcome).
 */
export class AgentConnection extends EventEmitter {
  private client: AgentGatewayClient;
  private node: NodeCredentials;
  private readonly backoff: Backoff;
  private readonly clock: () => Date;
  private readonly stopping = new AbortController();
  private current: ControlStream | undefined;
  /** The stream closed to reopen it with a renewed certificate: it is reopened at once, without backoff. */
  private retiring: ControlStream | undefined;
  /** Statuses reported while Register is being assembled; flushed right after it. */
  private held: AgentMessage[] | undefined;
  private observedGeneration = 0;
  private loop: Promise<void> | undefined;
  cluster: ClusterView | undefined;

  constructor(private readonly options: AgentConnectionOptions) {
    super();
    this.node = options.node;
    this.client = this.clientFor(options.node);
    this.backoff = options.backoff ?? new Backoff();
    this.clock = options.clock ?? (() => new Date());
    options.reconciler.onStatus((report) => this.forwardStatus(report));
  }

  start(): void {
    this.loop ??= this.run();
  }

  /**
   * Switches to a renewed certificate: a channel with it, and the stream opened again on it at once. The control plane
   * accepts the old certificate until the new one is first presented, so the node is never without a usable one.
   */
  async useCredentials(node: NodeCredentials): Promise<void> {
    const previous = this.client;
    this.node = node;
    this.client = this.clientFor(node);
    this.retiring = this.current;
    await this.current?.close();
    previous.close();
  }

  /** Closes the stream and stops reconnecting; containers keep running. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.current?.close();
    await this.loop;
    this.client.close();
  }

  private clientFor(node: NodeCredentials): AgentGatewayClient {
    return new AgentGatewayClient(this.options.address, controlPlaneCredentials(node.caPem, node), {
      ...CONTROL_PLANE_CHANNEL_OPTIONS,
      // Notice a silently dead peer (pulled cable, partition) instead of waiting on TCP.
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
    });
  }

  private async run(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      const { outcome, registered, renewed } = await this.session();
      if (this.stopping.signal.aborted) return;
      if (registered || renewed) this.backoff.reset();
      this.emit('disconnected', outcome);
      if (renewed) {
        this.options.log.info('reconnecting with the renewed node certificate');
        continue;
      }
      const delayMs = this.backoff.next();
      const level = outcome.code === status.UNAUTHENTICATED || outcome.code === status.PERMISSION_DENIED ? 'error' : 'warn';
      const certificate = outcome.code === status.UNAUTHENTICATED ? explainCertificateRefusal(this.node, this.clock()) : undefined;
      this.options.log[level](
        { code: status[outcome.code] ?? outcome.code, details: outcome.details, certificate, retryInMs: delayMs },
        'control plane stream closed; reconnecting',
      );
      await sleep(delayMs, undefined, { signal: this.stopping.signal }).catch(() => undefined);
    }
  }

  /** One stream from open to close. */
  private async session(): Promise<{ outcome: StreamOutcome; registered: boolean; renewed: boolean }> {
    let registered = false;
    let heartbeat: NodeJS.Timeout | undefined;
    const unanswered = setTimeout(() => {
      this.options.log.warn('no Registered from the control plane; opening a new stream');
      void stream.close();
    }, this.options.registerTimeoutMs ?? DEFAULT_REGISTER_TIMEOUT_MS);
    const stream = new ControlStream(this.client.connect(), (message) => {
      if (message.kind?.$case === 'registered') {
        registered = true;
        clearTimeout(unanswered);
        const interval = message.kind.value.heartbeatIntervalSeconds * 1000 || DEFAULT_HEARTBEAT_INTERVAL_MS;
        clearInterval(heartbeat);
        heartbeat = setInterval(() => void this.sendHeartbeat(stream), interval);
      }
      this.handle(message, stream, relay);
    });
    const relay = new LogRelay(this.options.streamLogs, (m) => stream.sendWhenWritable(m), this.options.log);
    this.current = stream;
    try {
      await this.register(stream);
    } catch (err) {
      this.options.log.error({ err: (err as Error).message }, 'could not assemble Register');
      await stream.close();
    }
    const outcome = await stream.closed;
    clearTimeout(unanswered);
    clearInterval(heartbeat);
    relay.abortAll();
    if (this.current === stream) this.current = undefined;
    const renewed = this.retiring === stream;
    if (renewed) this.retiring = undefined;
    return { outcome, registered, renewed };
  }

  private async register(stream: ControlStream): Promise<void> {
    this.held = [];
    try {
      const [registration, observed] = await Promise.all([this.options.registration(), this.options.reconciler.observed()]);
      const at = this.clock();
      stream.send({ kind: { $case: 'register', value: { ...registration, instances: observed.map((r) => toProtoInstanceStatus(r, at)) } } });
      for (const message of this.held) stream.send(message);
    } finally {
      this.held = undefined;
    }
  }

  private handle(message: ControlMessage, stream: ControlStream, relay: LogRelay): void {
    const kind = message.kind;
    switch (kind?.$case) {
      case 'registered': {
        const { nodeId, overlaySubnet, overlayCidr, peers } = kind.value;
        this.cluster = { nodeId, overlaySubnet, overlayCidr, peers };
        this.options.log.info({ nodeId, overlaySubnet, peers: peers.length }, 'registered with the control plane');
        this.emit('registered', this.cluster);
        return;
      }
      case 'desiredState':
        return this.applyDesiredState(kind.value, stream);
      case 'peers':
        if (this.cluster) this.cluster = { ...this.cluster, peers: kind.value.peers };
        this.emit('peers', kind.value.peers);
        return;
      case 'tenantAddresses':
        this.emit('tenantAddresses', kind.value.tenants);
        return;
      case 'routes':
        this.emit('routes', kind.value);
        return;
      case 'logRequest':
        return relay.start(kind.value);
      case 'logCancel':
        return relay.cancel(kind.value.requestId);
      case 'drain':
        this.options.log.info({ reason: kind.value.reason }, 'control plane asks this node to drain');
        this.emit('drain', kind.value.reason);
        return;
      case undefined:
        return;
    }
  }

  /**
   * Hands a desired set to the reconciler at once (it ignores generations older than one it has, and serializes work
   * per instance), so a slow image pull never holds back a newer set; acknowledged when the reconciler has taken it.
   */
  private applyDesiredState(desired: DesiredState, stream: ControlStream): void {
    const generation = desired.generation;
    Promise.resolve(this.options.network?.())
      .then((network) => this.options.reconciler.apply(generation, desired.instances.map((i) => fromProtoDesiredInstance(i, network))))
      .then(
        (accepted) => {
          if (accepted === false) return;
          this.observedGeneration = Math.max(this.observedGeneration, generation);
          stream.send({ kind: { $case: 'desiredStateAck', value: { generation } } });
        },
        (err: Error) => this.options.log.error({ generation, err: err.message }, 'applying the desired state failed'),
      );
  }

  private forwardStatus(report: InstanceStatusReport): void {
    const message: AgentMessage = { kind: { $case: 'instanceStatus', value: toProtoInstanceStatus(report, this.clock()) } };
    if (this.held) this.held.push(message);
    else this.current?.send(message);
  }

  private async sendHeartbeat(stream: ControlStream): Promise<void> {
    try {
      const observed = await this.options.reconciler.observed();
      const runningContainers = observed.filter((r) => RUNNING_STATES.has(r.state)).length;
      stream.send({ kind: { $case: 'heartbeat', value: { observedGeneration: this.observedGeneration, runningContainers } } });
    } catch (err) {
      this.options.log.warn({ err: (err as Error).message }, 'heartbeat skipped');
    }
  }
}
