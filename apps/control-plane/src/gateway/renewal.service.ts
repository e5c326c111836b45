import { X509Certificate } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { status } from '@grpc/grpc-js';
import type { RenewRequest, RenewResponse } from '@oja/proto';
import { Transactor } from '../db/db.module';
import { EventsService } from '../events/events.service';
import { InvalidCsrError, certificateFingerprint, csrIsForCertificateKey } from '../pki/certificates';
import { PkiService } from '../pki/pki.service';
import { AgentNodesRepository } from './agent-nodes.repository';
import { GatewayError } from './gateway-error';
import { NodeAuthenticator, type AuthenticatedCall } from './node-authenticator';

/**
 * Renew: a node authenticated by its current certificate (as for Connect) gets a new one for the same key, same CN and
 * SAN. The new certificate waits beside the current one until the node first presents it (see NodeAuthenticator).
 */
@Injectable()
export class RenewalService {
  private readonly logger = new Logger('RenewalService');

  constructor(
    private readonly authenticator: NodeAuthenticator,
    private readonly transactor: Transactor,
    private readonly nodes: AgentNodesRepository,
    private readonly pki: PkiService,
    private readonly events: EventsService,
  ) {}

  async renew(call: AuthenticatedCall & { request: RenewRequest; getPeer(): string }): Promise<RenewResponse> {
    try {
      const { node, certificate, fingerprint } = await this.authenticator.authenticate(call);
      if (!this.sameKey(call.request.csrPem, certificate)) {
        throw new GatewayError(
          status.PERMISSION_DENIED,
          `the CSR is not for the key of node ${node.name}'s certificate: a renewal keeps the node key (a new key means joining again)`,
        );
      }
      const certificatePem = this.pki.signNodeCsr(call.request.csrPem, node.name, node.id);
      const validTo = new Date(new X509Certificate(certificatePem).validTo).toISOString();
      await this.transactor.run(async (tx) => {
        if (!(await this.nodes.setPendingCertificate(tx, node.id, fingerprint, certificateFingerprint(certificatePem)))) {
          throw new GatewayError(
            status.UNAUTHENTICATED,
            `the client certificate stopped being node ${node.name}'s current one during the renewal (it joined again or another renewal took effect)`,
          );
        }
        await this.events.record({ nodeId: node.id, type: 'node.certificate-renewed', message: `node ${node.name} renewed its certificate (valid until ${validTo})` }, tx);
      });
      return { certificatePem };
    } catch (err) {
      if (err instanceof GatewayError) this.logger.warn(`certificate renewal from ${call.getPeer()} refused: ${err.message}`);
      throw err;
    }
  }

  private sameKey(csrPem: string, certificate: Buffer): boolean {
    try {
      return csrIsForCertificateKey(csrPem, certificate);
    } catch (err) {
      if (err instanceof InvalidCsrError) throw new GatewayError(status.INVALID_ARGUMENT, err.message);
      throw err;
    }
  }
}
