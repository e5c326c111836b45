import forge from 'node-forge';
import { nodeCertificateProblem } from './node-certificate';

interface Issued {
  certPem: string;
  cert: forge.pki.Certificate;
  keys: forge.pki.rsa.KeyPair;
}

const DAY_MS = 24 * 3600 * 1000;
const newKeys = () => forge.pki.rsa.generateKeyPair({ bits: 1024 });
const nodeKeys = newKeys();

/** A CA (no issuer) or a node certificate signed by `issuer`, valid for a year from `from`. */
function certificate(subject: string, issuer: Issued | null, from: Date, keys = nodeKeys): Issued {
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = '01';
  cert.validity.notBefore = from;
  cert.validity.notAfter = new Date(from.getTime() + 365 * DAY_MS);
  cert.setSubject([{ name: 'commonName', value: subject }]);
  cert.setIssuer(issuer ? issuer.cert.subject.attributes : [{ name: 'commonName', value: subject }]);
  if (!issuer) cert.setExtensions([{ name: 'basicConstraints', cA: true }, { name: 'keyUsage', keyCertSign: true }]);
  cert.sign((issuer ?? { keys }).keys.privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), cert, keys };
}

describe('nodeCertificateProblem', () => {
  const now = new Date('2026-11-23T12:00:00Z');
  const lastMonth = new Date(now.getTime() - 30 * DAY_MS);
  const ca = certificate('oja cluster CA 1', null, lastMonth, newKeys());

  it('accepts a certificate of the cluster CA within its dates, as PEM or DER', () => {
    const node = certificate('node-a', ca, lastMonth);
    expect(nodeCertificateProblem(node.certPem, ca.certPem, now)).toBeNull();
    const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(node.cert)).getBytes(), 'binary');
    expect(nodeCertificateProblem(der, ca.certPem, now)).toBeNull();
  });

  it('refuses one signed by another CA, even one that copies the cluster CA name', () => {
    const other = certificate('oja cluster CA 2', null, lastMonth, newKeys());
    expect(nodeCertificateProblem(certificate('node-a', other, lastMonth).certPem, ca.certPem, now)).toBe(
      `it is not signed by this cluster's CA (its issuer is "CN=oja cluster CA 2")`,
    );
    const impostor = certificate('oja cluster CA 1', null, lastMonth, newKeys());
    expect(nodeCertificateProblem(certificate('node-a', impostor, lastMonth).certPem, ca.certPem, now)).toBe(
      `it is not signed by this cluster's CA (its issuer is "CN=oja cluster CA 1")`,
    );
  });

  it('refuses an expired one and one not valid yet, saying when', () => {
    const expired = certificate('node-a', ca, new Date('2025-11-01T00:00:00Z'));
    expect(nodeCertificateProblem(expired.certPem, ca.certPem, now)).toBe('it expired at 2026-11-01T00:00:00.000Z');
    const early = certificate('node-a', ca, new Date('2026-12-01T00:00:00Z'));
    expect(nodeCertificateProblem(early.certPem, ca.certPem, now)).toBe('it is not valid before 2026-12-01T00:00:00.000Z');
  });
});
