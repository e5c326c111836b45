import { X509Certificate } from 'node:crypto';

/**
 * Why a node certificate cannot authenticate an AgentGateway stream, or null when it can: it must be signed by the
 * cluster CA and be within its validity dates. The control plane refuses a stream with it; the agent uses it to
 * explain a refusal from its own files.
 */
export function nodeCertificateProblem(cert: string | Buffer, caPem: string, now: Date): string | null {
  const node = new X509Certificate(cert);
  const ca = new X509Certificate(caPem);
  if (!node.checkIssued(ca) || !node.verify(ca.publicKey)) return `it is not signed by this cluster's CA (its issuer is "${node.issuer}")`;
  const validFrom = new Date(node.validFrom);
  const validTo = new Date(node.validTo);
  if (now < validFrom) return `it is not valid before ${validFrom.toISOString()}`;
  if (now > validTo) return `it expired at ${validTo.toISOString()}`;
  return null;
}
