import { credentials, type ChannelCredentials } from '@grpc/grpc-js';
import type { PeerCertificate } from 'node:tls';
import type { NodeCredentials } from '../identity/store';

/** The name in the control plane's server certificate; control planes are reached by IP, so this replaces hostname checks. */
export const CONTROL_PLANE_CN = 'oja-control-plane';

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
