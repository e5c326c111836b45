import { createHash, X509Certificate } from 'node:crypto';
import { connect, type DetailedPeerCertificate, type PeerCertificate } from 'node:tls';
import type { HostPort } from '../config/flags';
import { CONTROL_PLANE_CN } from '../connection/credentials';

export class CaMismatchError extends Error {}

/** Lowercase hex sha256 of a certificate's DER bytes (the form a join token carries). */
export function certificateSha256(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

/** Walks a presented chain (leaf first) up to its last certificate, each once. */
export function chainOf(leaf: DetailedPeerCertificate): PeerCertificate[] {
  const chain: PeerCertificate[] = [];
  let cert: DetailedPeerCertificate | undefined = leaf;
  while (cert && cert.raw && !chain.some((c) => c.raw.equals(cert!.raw))) {
    chain.push(cert);
    cert = cert.issuerCertificate;
  }
  return chain;
}

/** The PEM of the certificate in the chain whose DER hashes to caSha256, if any. */
export function findPinnedCa(chain: PeerCertificate[], caSha256: string): string | undefined {
  const match = chain.find((c) => certificateSha256(c.raw) === caSha256.toLowerCase());
  return match ? new X509Certificate(match.raw).toString() : undefined;
}

/**
 * Opens a TLS connection without verifying anything, only to read the chain the control plane presents, and returns
 * the CA certificate that matches the join token's hash. Nothing secret is sent on this connection.
 */
export async function fetchPinnedCa(address: HostPort, caSha256: string, timeoutMs = 10_000): Promise<string> {
  const chain = await new Promise<PeerCertificate[]>((resolve, reject) => {
    const socket = connect({ host: address.host, port: address.port, servername: CONTROL_PLANE_CN, rejectUnauthorized: false, ALPNProtocols: ['h2'] });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`TLS handshake with ${address.host}:${address.port} timed out`)));
    socket.once('secureConnect', () => {
      const presented = chainOf(socket.getPeerCertificate(true));
      socket.destroy();
      resolve(presented);
    });
    socket.once('error', reject);
  });
  const ca = findPinnedCa(chain, caSha256);
  if (!ca) {
    throw new CaMismatchError(
      `control plane CA does not match the join token (the server at ${address.host}:${address.port} presented ` +
        `${chain.length} certificate(s), none with sha256 ${caSha256})`,
    );
  }
  return ca;
}
