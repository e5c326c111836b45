import { Injectable } from '@nestjs/common';
import { status, type ServerUnaryCall } from '@grpc/grpc-js';
import { nodeCertificateProblem } from '@oja/proto';
import { certificateFingerprint, nodeIdFromCertificate } from '../pki/certificates';
import { PkiService } from '../pki/pki.service';
import { AgentNodesRepository, type SessionNode } from './agent-nodes.repository';
import { GatewayError } from './gateway-error';

/** Node and instance ids. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/**
 * grpc-js hands over the peer certificate only when TLS verified it against the cluster CA, so a call without
 * one cannot tell these apart; the agent explains which from its own files.
 */
const NO_VERIFIED_CERTIFICATE =
  "no client certificate that verifies against this cluster's CA: none was presented, or it is expired, not yet valid or signed by another CA";

/** Any call on the AgentGateway listener (Connect stream or unary Renew): what TLS verified about the client. */
export type AuthenticatedCall = Pick<ServerUnaryCall<unknown, unknown>, 'getAuthContext'>;

export interface AuthenticatedNode {
  node: SessionNode;
  /** DER of the client certificate the call was made with. */
  certificate: Buffer;
  /** sha256 of `certificate`: the node's current certificate once authenticated. */
  fingerprint: string;
}

/** Who is calling, by the client certificate of the call (never by what a message says): Connect and Renew alike. */
@Injectable()
export class NodeAuthenticator {
  constructor(
    private readonly nodes: AgentNodesRepository,
    private readonly pki: PkiService,
  ) {}

  /**
   * The node is the one named by a certificate of this cluster's CA, within its dates, and the node's current
   * certificate: the one last issued at Join, or the one a Renew issued since, which replaces it on first use. The chain
   * and dates are checked here too rather than left to a grpc-js detail.
   */
  async authenticate(call: AuthenticatedCall): Promise<AuthenticatedNode> {
    const cert = call.getAuthContext()?.sslPeerCertificate;
    if (!cert?.raw) throw new GatewayError(status.UNAUTHENTICATED, NO_VERIFIED_CERTIFICATE);
    const problem = nodeCertificateProblem(cert.raw, this.pki.caPem, new Date());
    if (problem) throw new GatewayError(status.UNAUTHENTICATED, `the client certificate is refused: ${problem}`);
    const nodeId = nodeIdFromCertificate(cert.raw);
    if (!nodeId || !UUID.test(nodeId)) throw new GatewayError(status.UNAUTHENTICATED, 'the client certificate names no node');
    const node = await this.nodes.find(nodeId);
    if (!node) throw new GatewayError(status.UNAUTHENTICATED, `node ${nodeId} is not registered`);
    const fingerprint = certificateFingerprint(cert.raw);
    const accepted =
      fingerprint === node.certFingerprint || (fingerprint === node.pendingCertFingerprint && (await this.nodes.promoteCertificate(node.id, fingerprint)));
    if (!accepted) {
      throw new GatewayError(
        status.UNAUTHENTICATED,
        `the client certificate is not the one last issued to node ${node.name} (it joined again or renewed its certificate since)`,
      );
    }
    return { node, certificate: cert.raw, fingerprint };
  }
}
