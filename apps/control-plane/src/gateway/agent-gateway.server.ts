import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit, Optional } from '@nestjs/common';
import { Server, ServerCredentials, experimental, status, type sendUnaryData, type ServerDuplexStream, type ServerUnaryCall } from '@grpc/grpc-js';
import {
  AgentGatewayService,
  type AgentMessage,
  type ControlMessage,
  type JoinRequest,
  type JoinResponse,
  type RenewRequest,
  type RenewResponse,
} from '@oja/proto';
import { CONFIG, type Config } from '../config/config';
import { GrpcMetrics } from '../observability/grpc-metrics';
import { PkiService } from '../pki/pki.service';
import { AgentStreams } from './agent-streams.service';
import { GatewayError } from './gateway-error';
import { JoinService } from './join.service';
import { RenewalService } from './renewal.service';

/**
 * The AgentGateway gRPC listener on OJA_GRPC_ADDR: TLS with the server certificate and the CA chain; client
 * certificates requested but not required (Join comes before the agent has one) — Connect and Renew check them.
 */
@Injectable()
export class AgentGatewayServer implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('AgentGatewayServer');
  private server?: Server;
  private boundPort = 0;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly pki: PkiService,
    private readonly joins: JoinService,
    private readonly renewals: RenewalService,
    private readonly streams: AgentStreams,
    @Optional() private readonly metrics?: GrpcMetrics,
  ) {}

  /** The port actually bound (OJA_GRPC_ADDR may ask for port 0). */
  get port(): number {
    return this.boundPort;
  }

  async onModuleInit(): Promise<void> {
    const server = new Server({ 'grpc.keepalive_time_ms': 10_000, 'grpc.keepalive_timeout_ms': 5_000, 'grpc.keepalive_permit_without_calls': 1 });
    server.addService(AgentGatewayService, {
      join: (call: ServerUnaryCall<JoinRequest, JoinResponse>, callback: sendUnaryData<JoinResponse>) => {
        this.answer('join', this.joins.join(call.request, call.getPeer()), callback);
      },
      renew: (call: ServerUnaryCall<RenewRequest, RenewResponse>, callback: sendUnaryData<RenewResponse>) => {
        this.answer('renewal', this.renewals.renew(call), callback);
      },
      connect: (call: ServerDuplexStream<AgentMessage, ControlMessage>) => {
        this.metrics?.observe(call);
        void this.streams.accept(call);
      },
    });
    const { host, port } = this.config.grpcAddr;
    const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    this.boundPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync(address, this.credentials(), (err, bound) => (err ? reject(err) : resolve(bound))),
    );
    this.server = server;
    this.logger.log(`agent gateway listening on ${host}:${this.boundPort}`);
  }

  /** A unary answer: a GatewayError as its status (already logged), anything else as "unavailable, retry". */
  private answer<T>(what: string, result: Promise<T>, callback: sendUnaryData<T>): void {
    result.then(
      (res) => callback(null, res),
      (err: Error) => {
        if (!(err instanceof GatewayError)) this.logger.error(`${what} failed: ${err.message}`);
        callback(err instanceof GatewayError ? err.toStatus() : { code: status.UNAVAILABLE, details: 'control plane unavailable, retry' });
      },
    );
  }

  onApplicationShutdown(): void {
    this.server?.forceShutdown();
  }

  private credentials(): ServerCredentials {
    const { keyPem, certChainPem } = this.pki.serverIdentity();
    const ca = { caCertificate: Buffer.from(this.pki.caPem) };
    const identity = { certificate: Buffer.from(certChainPem), privateKey: Buffer.from(keyPem) };
    // Static identity and CA; the provider form is the one grpc-js offers for "request but don't require" client
    // certs. Updates are delivered asynchronously: grpc-js registers its watcher only after adding the listeners.
    const provider: experimental.CertificateProvider = {
      addCaCertificateListener: (listener) => queueMicrotask(() => listener(ca)),
      removeCaCertificateListener: () => undefined,
      addIdentityCertificateListener: (listener) => queueMicrotask(() => listener(identity)),
      removeIdentityCertificateListener: () => undefined,
    };
    return experimental.createCertificateProviderServerCredentials(provider, provider, false);
  }
}
