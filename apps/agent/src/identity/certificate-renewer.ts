import { X509Certificate } from 'node:crypto';
import { Metadata } from '@grpc/grpc-js';
import { AgentGatewayClient, type RenewResponse } from '@oja/proto';
import type { Logger } from 'pino';
import { Backoff, type ReconnectBackoffOptions } from '../connection/backoff';
import { CONTROL_PLANE_CHANNEL_OPTIONS, controlPlaneCredentials } from '../connection/credentials';
import { csrForKey } from './node-key';
import { isRenewalDue, renewalDueAt, renewedCertificateProblem } from './renewal';
import type { DataDir, NodeCredentials } from './store';

/** Failed renewals are retried soon at first (a control plane restarting), then every few minutes at most. */
export const RENEWAL_BACKOFF: ReconnectBackoffOptions = { initialMs: 1000, maxMs: 5 * 60_000, jitter: 0.5 };
/** setTimeout's longest delay (~24.8 days): a renewal months away is waited for in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const RENEW_DEADLINE_MS = 30_000;

export interface CertificateRenewerOptions {
  /** The control plane's gRPC address, HOST:PORT. */
  address: string;
  nodeName: string;
  credentials: NodeCredentials;
  dataDir: DataDir;
  /** Called with the new credentials once node.crt holds the renewed certificate (the connection switches to it). */
  onRenewed: (credentials: NodeCredentials) => void | Promise<void>;
  log: Logger;
  backoff?: Backoff;
  clock?: () => Date;
}

/**
 * Keeps the node certificate fresh: once it is due (see renewalDueAt; at start-up too), renews it over mTLS with the
 * current one for the same key, replaces node.crt atomically and hands the new credentials on. A failure is logged and
 * retried with backoff; the current certificate keeps working meanwhile, until it expires.
 */
export class CertificateRenewer {
  private readonly backoff: Backoff;
  private readonly clock: () => Date;
  private credentials: NodeCredentials;
  private timer: NodeJS.Timeout | undefined;
  private attempt: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: CertificateRenewerOptions) {
    this.backoff = options.backoff ?? new Backoff(RENEWAL_BACKOFF);
    this.clock = options.clock ?? (() => new Date());
    this.credentials = options.credentials;
  }

  start(): void {
    this.scheduleNext();
  }

  /** No more renewals; one in flight finishes saving its certificate but no longer hands it on. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.attempt;
  }

  private scheduleNext(): void {
    this.wake(renewalDueAt(this.credentials.certificatePem).getTime() - this.clock().getTime());
  }

  private wake(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.attempt = this.tick().finally(() => (this.attempt = undefined));
    }, Math.min(Math.max(0, delayMs), MAX_TIMER_MS));
  }

  /** When the certificate held now expires (for the log lines). */
  private get expiresAt(): string {
    return new Date(new X509Certificate(this.credentials.certificatePem).validTo).toISOString();
  }

  private async tick(): Promise<void> {
    try {
      if (!isRenewalDue(this.credentials.certificatePem, this.clock())) return this.scheduleNext();
      const certificatePem = await renewCertificate(this.options.address, this.options.nodeName, this.credentials, this.clock());
      await this.options.dataDir.saveCertificate(certificatePem);
      this.credentials = { ...this.credentials, certificatePem };
      this.backoff.reset();
      this.options.log.info({ validTo: this.expiresAt }, 'node certificate renewed');
      if (this.stopped) return;
      await this.options.onRenewed(this.credentials);
      this.scheduleNext();
    } catch (err) {
      const retryInMs = this.backoff.next();
      this.options.log.warn({ err: (err as Error).message, expiresAt: this.expiresAt, retryInMs }, 'node certificate renewal failed; retrying');
      this.wake(retryInMs);
    }
  }
}

/** One Renew call with the node's current certificate, for its own key; the answer is checked before it is used. */
export async function renewCertificate(address: string, nodeName: string, node: NodeCredentials, now: Date): Promise<string> {
  const client = new AgentGatewayClient(address, controlPlaneCredentials(node.caPem, node), CONTROL_PLANE_CHANNEL_OPTIONS);
  let response: RenewResponse;
  try {
    response = await new Promise<RenewResponse>((resolve, reject) =>
      client.renew({ csrPem: csrForKey(node.keyPem, nodeName) }, new Metadata(), { deadline: Date.now() + RENEW_DEADLINE_MS }, (err, res) =>
        err ? reject(err) : resolve(res),
      ),
    );
  } finally {
    client.close();
  }
  const problem = renewedCertificateProblem(response.certificatePem, node, now);
  if (problem) throw new Error(`the control plane answered a certificate this node cannot use: ${problem}`);
  return response.certificatePem;
}
