import { X509Certificate, createPrivateKey } from 'node:crypto';
import { nodeCertificateProblem } from '@oja/proto';
import type { NodeCredentials } from './store';

/**
 * The node renews its certificate once less than this fraction of its lifetime remains: a third of a year leaves months
 * to retry through a control-plane outage (kubelet rotates at 70–90 % of the lifetime).
 */
export const RENEW_WHEN_REMAINING = 1 / 3;

/** When the certificate is due for renewal: `remaining` of its lifetime (notBefore → notAfter) before it expires. */
export function renewalDueAt(certificatePem: string, remaining: number = RENEW_WHEN_REMAINING): Date {
  const cert = new X509Certificate(certificatePem);
  const notBefore = new Date(cert.validFrom).getTime();
  const notAfter = new Date(cert.validTo).getTime();
  return new Date(notAfter - remaining * (notAfter - notBefore));
}

export function isRenewalDue(certificatePem: string, now: Date, remaining: number = RENEW_WHEN_REMAINING): boolean {
  return now.getTime() >= renewalDueAt(certificatePem, remaining).getTime();
}

/**
 * Why a certificate the control plane answered to Renew must not replace the node's, or null when it may: it must be
 * for the node's own key, signed by its CA and valid now. Saving a wrong one would leave the node with a certificate
 * it cannot connect with.
 */
export function renewedCertificateProblem(certificatePem: string, node: Pick<NodeCredentials, 'keyPem' | 'caPem'>, now: Date): string | null {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certificatePem);
  } catch {
    return 'it is not a PEM certificate';
  }
  if (!cert.checkPrivateKey(createPrivateKey(node.keyPem))) return "it is not for this node's key";
  return nodeCertificateProblem(certificatePem, node.caPem, now);
}
