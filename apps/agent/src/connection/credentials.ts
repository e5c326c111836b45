import { credentials, type ChannelCredentials, type ChannelOptions } from '@grpc/grpc-js';
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
