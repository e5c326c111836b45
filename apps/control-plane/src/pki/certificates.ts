import { createHash, randomBytes } from 'node:crypto';
import forge from 'node-forge';

/**
 * Pure certificate operations of the cluster CA (node-forge, RSA 2048, SHA-256). No I/O: the CA's key
 * and certificate are loaded and stored by the CA repository; this module only makes and checks certificates.
 */

export interface KeyPairPem {
  certPem: string;
  keyPem: string;
}

const CA_COMMON_NAME_PREFIX = 'oja cluster CA';
const SERVER_COMMON_NAME = 'oja-control-plane';
const NODE_URI_PREFIX = 'oja://node/';
export const DAY_MS = 24 * 3600 * 1000;
const YEAR_MS = 365 * DAY_MS;
// Clock skew between control plane and agents must not make a fresh certificate "not yet valid". At most a tenth of
// the lifetime, so that a short-lived certificate (tests of renewal) does not begin inside its renewal window.
const BACKDATE_MS = 5 * 60 * 1000;
const MAX_BACKDATE_FRACTION = 0.1;

export function createCa(now: Date = new Date()): KeyPairPem {
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
  const cert = newCertificate(keys.publicKey, now, 10 * YEAR_MS);
  // A per-cluster name: a certificate from another oja cluster then fails as "unknown issuer" (the stream is
  // refused and logged) instead of matching our CA by name and failing the TLS handshake on the signature.
  const subject = [{ name: 'commonName', value: `${CA_COMMON_NAME_PREFIX} ${randomBytes(6).toString('hex')}` }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: forge.pki.privateKeyToPem(keys.privateKey) };
}

/** The gRPC listener's certificate (CN oja-control-plane). Agents reach control planes by IP, so they check CN + CA, not the host name. */
export function issueServerCertificate(ca: KeyPairPem, now: Date = new Date()): KeyPairPem {
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
  const cert = newCertificate(keys.publicKey, now, YEAR_MS);
  cert.setSubject([{ name: 'commonName', value: SERVER_COMMON_NAME }]);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 2, value: SERVER_COMMON_NAME }] },
  ]);
  signWithCa(cert, ca);
  return { certPem: forge.pki.certificateToPem(cert), keyPem: forge.pki.privateKeyToPem(keys.privateKey) };
}

export class InvalidCsrError extends Error {}

/** A node certificate for the key in `csrPem`: CN = node name, SAN URI oja://node/<id>, clientAuth only, one year unless told. */
export function signNodeCsr(
  ca: KeyPairPem,
  csrPem: string,
  nodeName: string,
  nodeId: string,
  now: Date = new Date(),
  lifetimeMs: number = YEAR_MS,
): string {
  const csr = parseCsr(csrPem);
  const cert = newCertificate(csr.publicKey as forge.pki.rsa.PublicKey, now, lifetimeMs);
  cert.setSubject([{ name: 'commonName', value: nodeName }]);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 6, value: `${NODE_URI_PREFIX}${nodeId}` }] },
  ]);
  signWithCa(cert, ca);
  return forge.pki.certificateToPem(cert);
}

/** sha256 (hex) of the SubjectPublicKeyInfo of a CSR's key: identifies the node key across re-joins. */
export function csrKeyFingerprint(csrPem: string): string {
  return publicKeyFingerprint(parseCsr(csrPem).publicKey as forge.pki.PublicKey);
}

/**
 * Whether `csrPem` asks for the very key of `cert` (PEM or DER): a renewal keeps the node key, so a CSR for another key
 * is refused (a new key means joining again). Throws InvalidCsrError when the CSR is malformed or its signature fails.
 */
export function csrIsForCertificateKey(csrPem: string, cert: string | Buffer): boolean {
  return csrKeyFingerprint(csrPem) === publicKeyFingerprint(parseCertificate(cert).publicKey);
}

/** sha256 (hex) of a certificate's DER (given as PEM or DER): what a join token carries for the CA, and a node row for its certificate. */
export function certificateFingerprint(cert: string | Buffer): string {
  return createHash('sha256').update(typeof cert === 'string' ? pemToDer(cert) : cert).digest('hex');
}

/** The node id in a node certificate's SAN URI, or null when there is none. */
export function nodeIdFromCertificate(cert: string | Buffer): string | null {
  const san = parseCertificate(cert).getExtension('subjectAltName') as { altNames?: { type: number; value: string }[] } | null;
  const uri = san?.altNames?.find((n) => n.type === 6 && n.value.startsWith(NODE_URI_PREFIX));
  return uri ? uri.value.slice(NODE_URI_PREFIX.length) : null;
}

function newCertificate(publicKey: forge.pki.PublicKey, now: Date, lifetimeMs: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // Positive 128-bit serial (leading 0x01 keeps the DER integer positive).
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  cert.validity.notBefore = new Date(now.getTime() - Math.min(BACKDATE_MS, lifetimeMs * MAX_BACKDATE_FRACTION));
  cert.validity.notAfter = new Date(now.getTime() + lifetimeMs);
  return cert;
}

function signWithCa(cert: forge.pki.Certificate, ca: KeyPairPem): void {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  cert.setIssuer(caCert.subject.attributes);
  cert.sign(forge.pki.privateKeyFromPem(ca.keyPem), forge.md.sha256.create());
}

function parseCsr(csrPem: string): forge.pki.CertificateSigningRequest {
  let csr: forge.pki.CertificateSigningRequest;
  try {
    csr = forge.pki.certificationRequestFromPem(csrPem);
  } catch (e) {
    throw new InvalidCsrError(`csr_pem is not a PEM PKCS#10 request with an RSA key: ${(e as Error).message}`);
  }
  if (!csr.publicKey || !verifies(csr)) throw new InvalidCsrError('csr_pem signature does not verify');
  return csr;
}

// forge throws rather than returning false on some bad signatures.
function verifies(csr: forge.pki.CertificateSigningRequest): boolean {
  try {
    return csr.verify();
  } catch {
    return false;
  }
}

function parseCertificate(cert: string | Buffer): forge.pki.Certificate {
  if (typeof cert === 'string') return forge.pki.certificateFromPem(cert);
  return forge.pki.certificateFromAsn1(forge.asn1.fromDer(forge.util.createBuffer(cert.toString('binary'))));
}

function publicKeyFingerprint(key: forge.pki.PublicKey): string {
  const der = forge.asn1.toDer(forge.pki.publicKeyToAsn1(key)).getBytes();
  return createHash('sha256').update(Buffer.from(der, 'binary')).digest('hex');
}

function pemToDer(pem: string): Buffer {
  return Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(forge.pki.certificateFromPem(pem))).getBytes(), 'binary');
}
