import { createHash } from 'node:crypto';
import tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import {
  AgentGatewayClient,
  type AgentMessage,
  type ControlMessage,
  type DesiredState,
  type InstanceStatus,
  type JoinResponse,
  type LogRequest,
  type Peer,
  type Registered,
  type Register,
  type RenewResponse,
} from '@oja/proto';
// The agent's own key and CSR code: the fake agent joins and renews with what a real agent sends.
import { csrForKey, generateNodeKeyAndCsr } from '../../apps/agent/src/identity/node-key';

/**
 * A node agent without Docker: a real gRPC client that joins with a token (its own key + CSR), connects
 * with mTLS, registers, heartbeats, records what the control plane sends and reports instance states the
 * test dictates. Integration tests use it to drive the gateway and scheduler over the real wire.
 */

export interface Identity {
  keyPem: string;
  certPem: string;
  caPem: string;
  nodeId: string;
}

/** One line of a fake container's log. */
export interface FakeLogLine {
  ts: string;
  stream: 'stdout' | 'stderr';
  line: string;
}

export interface FakeAgentOptions {
  /** host:port of the control plane's gRPC listener. */
  address: string;
  name: string;
  capacity?: { cpu: number; memoryMb: number };
  labels?: Record<string, string>;
  underlayAddress?: string;
  wgPublicKey?: string;
  /** Heartbeat period while connected; 0 = only explicit heartbeat() calls. */
  heartbeatMs?: number;
}

const SERVER_CN = 'oja-control-plane';
/** Joins answered UNAVAILABLE are tried again, like the agent's join back-off (bounded here). */
const JOIN_ATTEMPTS = 5;

/** Polls `probe` until it returns something other than undefined/false (an upper bound, not a timing assertion). */
export async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 15000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The certificates the server presents, as PEM, leaf first (read with verification off, as an agent must before it trusts). */
export async function presentedChain(address: string): Promise<string[]> {
  const [host, port] = splitAddress(address);
  const socket = tls.connect({ host, port, rejectUnauthorized: false, ALPNProtocols: ['h2'], servername: SERVER_CN });
  try {
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    const out: string[] = [];
    let cert: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
    const seen = new Set<string>();
    while (cert?.raw && !seen.has(cert.fingerprint256)) {
      seen.add(cert.fingerprint256);
      out.push(`-----BEGIN CERTIFICATE-----\n${cert.raw.toString('base64').replace(/(.{64})/g, '$1\n').trim()}\n-----END CERTIFICATE-----\n`);
      cert = cert.issuerCertificate;
    }
    return out;
  } finally {
    socket.destroy();
  }
}

function splitAddress(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i), Number(address.slice(i + 1))];
}

function derSha256(pem: string): string {
  return createHash('sha256').update(Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64')).digest('hex');
}

/** Accept the control plane by CN + CA (it is reached by IP, so host names cannot be checked). */
function checkServerIdentity(_host: string, cert: tls.PeerCertificate): Error | undefined {
  return cert.subject?.CN === SERVER_CN ? undefined : new Error(`unexpected server certificate CN ${cert.subject?.CN}`);
}

export class FakeAgent {
  identity?: Identity;
  registered: Registered[] = [];
  desiredStates: DesiredState[] = [];
  peerUpdates: Peer[][] = [];
  messages: ControlMessage[] = [];
  /** Set when the stream ends: the status the server closed it with. */
  streamError?: grpc.ServiceError;
  streamEnded = false;
  /** Log lines per instance, served to LogRequests (tail, since, follow) as the real agent serves Docker's. */
  logLines = new Map<string, FakeLogLine[]>();
  /** Follow requests being served: request id → instance id. */
  openLogRequests = new Map<string, string>();
  /** Request ids of every LogCancel received. */
  logCancels: string[] = [];

  private client?: AgentGatewayClient;
  private stream?: grpc.ClientDuplexStream<AgentMessage, ControlMessage>;
  private heartbeatTimer?: NodeJS.Timeout;

  constructor(readonly options: FakeAgentOptions) {}

  get name(): string {
    return this.options.name;
  }

  get nodeId(): string {
    if (!this.identity) throw new Error(`${this.name} has not joined`);
    return this.identity.nodeId;
  }

  /** The last DesiredState received (the level-triggered truth for this node). */
  get desired(): DesiredState | undefined {
    return this.desiredStates[this.desiredStates.length - 1];
  }

  desiredIds(): string[] {
    return (this.desired?.instances ?? []).map((i) => i.id).sort();
  }

  /**
   * Joins as an agent does: verifies the CA against the token's hash, then exchanges the token for a certificate,
   * retrying while the control plane answers UNAVAILABLE (a busy database pool: the claim was rolled back).
   */
  async join(token: string, opts: { key?: { keyPem: string; csrPem: string } } = {}): Promise<JoinResponse> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.joinOnce(token, opts);
      } catch (err) {
        if ((err as grpc.ServiceError).code !== grpc.status.UNAVAILABLE || attempt === JOIN_ATTEMPTS) throw err;
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
  }

  private async joinOnce(token: string, opts: { key?: { keyPem: string; csrPem: string } }): Promise<JoinResponse> {
    const m = /^OJA1-([0-9a-f]{64})-(.+)$/.exec(token);
    if (!m) throw new Error('not a join token');
    const ca = (await presentedChain(this.options.address)).find((pem) => derSha256(pem) === m[1]);
    if (!ca) throw new Error('control plane CA does not match the join token');
    const { keyPem, csrPem } = opts.key ?? generateNodeKeyAndCsr(this.name);
    const client = new AgentGatewayClient(this.options.address, grpc.credentials.createSsl(Buffer.from(ca), null, null, { checkServerIdentity }));
    try {
      const res = await new Promise<JoinResponse>((resolve, reject) =>
        client.join({ token, nodeName: this.name, csrPem }, (err, out) => (err ? reject(err) : resolve(out))),
      );
      this.identity = { keyPem, certPem: res.certificatePem, caPem: res.caPem, nodeId: res.nodeId };
      return res;
    } finally {
      client.close();
    }
  }

  /**
   * Renews its certificate over mTLS with the one it holds, for its own key unless `csrPem` says otherwise, and holds
   * the new certificate from then on (as an agent does).
   */
  async renew(csrPem?: string): Promise<RenewResponse> {
    const id = this.identity;
    if (!id) throw new Error(`${this.name} has not joined`);
    const client = new AgentGatewayClient(this.options.address, this.credentials(id));
    try {
      const res = await new Promise<RenewResponse>((resolve, reject) =>
        client.renew({ csrPem: csrPem ?? csrForKey(id.keyPem, this.name) }, (err, out) => (err ? reject(err) : resolve(out))),
      );
      this.identity = { ...id, certPem: res.certificatePem };
      return res;
    } finally {
      client.close();
    }
  }

  /** Opens the mTLS stream and sends Register (with `instances` for adoption). */
  connect(instances: InstanceStatus[] = []): void {
    const id = this.identity;
    if (!id) throw new Error(`${this.name} has not joined`);
    this.disconnect();
    this.streamError = undefined;
    this.streamEnded = false;
    this.client = new AgentGatewayClient(this.options.address, this.credentials(id));
    const stream = this.client.connect();
    this.stream = stream;
    stream.on('data', (msg: ControlMessage) => this.receive(msg));
    stream.on('error', (err: grpc.ServiceError) => {
      if (this.stream === stream) this.streamError = err;
    });
    stream.on('end', () => {
      if (this.stream === stream) this.streamEnded = true;
    });
    this.send({ $case: 'register', value: this.registerMessage(instances) });
    if (this.options.heartbeatMs) this.heartbeatTimer = setInterval(() => this.heartbeat(), this.options.heartbeatMs);
  }

  private credentials(id: Identity): grpc.ChannelCredentials {
    return grpc.credentials.createSsl(Buffer.from(id.caPem), Buffer.from(id.keyPem), Buffer.from(id.certPem), { checkServerIdentity });
  }

  registerMessage(instances: InstanceStatus[]): Register {
    return {
      nodeName: this.name,
      capacity: this.options.capacity ?? { cpu: 4, memoryMb: 4096 },
      labels: this.options.labels ?? {},
      underlayAddress: this.options.underlayAddress ?? '127.0.0.1',
      wgPublicKey: this.options.wgPublicKey ?? Buffer.from(`${this.name}`.padEnd(32, '.')).toString('base64'),
      agentVersion: 'fake-0.0.0',
      instances,
      wgListenPort: 51820,
    };
  }

  heartbeat(): void {
    this.send({ $case: 'heartbeat', value: { observedGeneration: this.desired?.generation ?? 0, runningContainers: this.desired?.instances.length ?? 0 } });
  }

  stopHeartbeats(): void {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  /** Reports one instance's observed state; `at` defaults to now. */
  report(instanceId: string, status: Partial<Omit<InstanceStatus, 'instanceId'>>): void {
    this.send({
      $case: 'instanceStatus',
      value: {
        instanceId, state: 'running', containerId: `c-${instanceId.slice(0, 8)}`, overlayIp: '', healthy: true, restarts: 0, exitCode: -1,
        reason: '', lastChecks: [], at: new Date().toISOString(), pulledImage: '', ...status,
      },
    });
  }

  /** Reports every instance of the current desired set as running and healthy. */
  reportAllRunning(): void {
    for (const i of this.desired?.instances ?? []) this.report(i.id, { state: 'running', healthy: true });
  }

  send(kind: NonNullable<AgentMessage['kind']>): void {
    if (!this.stream) throw new Error(`${this.name} is not connected`);
    this.stream.write({ kind });
  }

  /** Appends a line to an instance's log and sends it to every follow request open on that instance. */
  log(instanceId: string, line: FakeLogLine): void {
    this.logLines.set(instanceId, [...(this.logLines.get(instanceId) ?? []), line]);
    for (const [requestId, id] of this.openLogRequests) if (id === instanceId) this.sendLogLine(requestId, instanceId, line);
  }

  private serveLogs(request: LogRequest): void {
    const { requestId, instanceId } = request;
    const lines = this.logLines.get(instanceId);
    if (!lines) {
      this.send({ $case: 'logEnd', value: { requestId, instanceId, error: `instance ${instanceId} has no container on this node` } });
      return;
    }
    const since = request.since ? new Date(request.since).getTime() : -Infinity;
    const recent = lines.filter((l) => new Date(l.ts).getTime() >= since);
    for (const line of request.tail >= 0 ? recent.slice(Math.max(0, recent.length - request.tail)) : recent) this.sendLogLine(requestId, instanceId, line);
    if (request.follow) this.openLogRequests.set(requestId, instanceId);
    else this.send({ $case: 'logEnd', value: { requestId, instanceId, error: '' } });
  }

  private sendLogLine(requestId: string, instanceId: string, line: FakeLogLine): void {
    this.send({ $case: 'logChunk', value: { requestId, instanceId, ...line } });
  }

  /** Drops the stream (as a network failure or agent restart would). */
  disconnect(): void {
    this.stopHeartbeats();
    this.openLogRequests.clear(); // as the real agent aborts its log streams when the stream drops
    this.stream?.cancel();
    this.stream = undefined;
    this.client?.close();
    this.client = undefined;
  }

  private receive(msg: ControlMessage): void {
    this.messages.push(msg);
    switch (msg.kind?.$case) {
      case 'registered':
        this.registered.push(msg.kind.value);
        break;
      case 'desiredState':
        this.desiredStates.push(msg.kind.value);
        this.send({ $case: 'desiredStateAck', value: { generation: msg.kind.value.generation } });
        break;
      case 'peers':
        this.peerUpdates.push(msg.kind.value.peers);
        break;
      case 'logRequest':
        this.serveLogs(msg.kind.value);
        break;
      case 'logCancel':
        this.logCancels.push(msg.kind.value.requestId);
        this.openLogRequests.delete(msg.kind.value.requestId);
        break;
      default:
        break;
    }
  }
}
