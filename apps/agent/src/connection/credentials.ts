import { credentials, type ChannelCredentials, type ChannelOptions } from '@grpc/grpc-js';
import { nodeCertificateProblem } from '@oja/proto';
import type { PeerCertificate } from 'node:tls';
import type { NodeCredentials } from '../identity/store';

/** The name in the control plane's server certificate; control planes are reached by IP, so this replaces hostname checks. */
export const CONTROL_PLANE_CN = 'oja-control-plane';

/**
 * Control planes are reached by IP: SNI and the identity check use the certificate's name instead (an IP as TLS
 * server name is not allowed by RFC 6066, and Node warns about it).
 */
export const CONTROL_PLANE_CHANNEL_OPTIONS: ChannelOptions = { 'grpc.ssl_target_name_override': CONTROL_PLANE_CN };

/** Accepts a server certificate (already chain-verified against the cluster CA) only if it names the control plane. */
export function checkControlPlaneIdentity(_hostname: string, cert: PeerCertificate): Error | undefined {
  const cn = cert.subject?.CN;
  const names = Array.isArray(cn) ? cn : [cn];
  return names.includes(CONTROL_PLANE_CN)
    ? undefined
    : new Error(`the server certificate is for "${names.join(', ')}", not ${CONTROL_PLANE_CN}`);
}

/** TLS trusting only the cluster CA; with the node's key and certificate too once it has joined (mTLS). */
export function controlPlaneCredentials(caPem: string, node?: Pick<NodeCredentials, 'keyPem' | 'certificatePem'>): ChannelCredentials {
  return credentials.createSsl(
    Buffer.from(caPem),
    node ? Buffer.from(node.keyPem) : null,
    node ? Buffer.from(node.certificatePem) : null,
    { checkServerIdentity: checkControlPlaneIdentity },
  );
}

/**
 * What the agent can tell from its own files when the control plane refuses its certificate (UNAUTHENTICATED): the
 * control plane only sees that no certificate verified, the agent knows whether its own is expired or not yet valid.
 */
export function explainCertificateRefusal(node: Pick<NodeCredentials, 'certificatePem' | 'caPem'>, now: Date): string {
  const problem = nodeCertificateProblem(node.certificatePem, node.caPem, now);
  const rejoin = 'remove the node and join it again with a new join token and an empty data dir';
  return problem
    ? `this node's certificate cannot be used: ${problem}; ${rejoin}`
    : `this node's certificate is valid here, so the control plane no longer accepts it (the node joined again or was removed); ${rejoin}`;
}
