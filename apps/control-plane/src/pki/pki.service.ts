import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { CONFIG, type Config } from '../config/config';
import { SecretBox } from '../crypto/secret-box';
import { type KeyPairPem, DAY_MS, certificateFingerprint, createCa, issueServerCertificate, signNodeCsr } from './certificates';
import { CaRepository } from './ca.repository';

/** Associated data binding the sealed key to its purpose. */
export const CA_KEY_CONTEXT = 'cluster-ca-key';

/**
 * The cluster CA, shared by every replica through Postgres (its key encrypted at rest), and this
 * replica's gRPC server certificate, issued fresh at each start.
 */
@Injectable()
export class PkiService implements OnModuleInit {
  private readonly logger = new Logger('PkiService');
  private ca?: KeyPairPem;
  private server?: KeyPairPem;
  private fingerprint = '';

  constructor(
    private readonly repository: CaRepository,
    private readonly box: SecretBox,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  async onModuleInit(): Promise<void> {
    const stored = await this.repository.loadOrCreate(() => {
      const ca = createCa();
      this.logger.log('created the cluster CA');
      return { certPem: ca.certPem, keyCiphertext: this.box.seal(ca.keyPem, CA_KEY_CONTEXT), fingerprint: certificateFingerprint(ca.certPem) };
    });
    this.ca = { certPem: stored.certPem, keyPem: this.box.openString(stored.keyCiphertext, CA_KEY_CONTEXT) };
    this.fingerprint = stored.fingerprint;
    this.server = issueServerCertificate(this.ca);
  }

  get caPem(): string {
    return this.loaded().certPem;
  }

  /** sha256 hex of the CA certificate's DER (what join tokens carry). */
  get caFingerprint(): string {
    this.loaded();
    return this.fingerprint;
  }

  /** The gRPC listener's key and chain (server certificate, then the CA, so agents can pin it from a join token). */
  serverIdentity(): { keyPem: string; certChainPem: string } {
    const ca = this.loaded();
    if (!this.server) throw new Error('PKI not initialised');
    return { keyPem: this.server.keyPem, certChainPem: `${this.server.certPem.trim()}\n${ca.certPem.trim()}\n` };
  }

  /** A node certificate (Join and Renew alike) valid for OJA_NODE_CERT_DAYS. */
  signNodeCsr(csrPem: string, nodeName: string, nodeId: string): string {
    return signNodeCsr(this.loaded(), csrPem, nodeName, nodeId, new Date(), this.config.nodeCertificateDays * DAY_MS);
  }

  private loaded(): KeyPairPem {
    if (!this.ca) throw new Error('PKI not initialised');
    return this.ca;
  }
}
