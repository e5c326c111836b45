import { X509Certificate, createHash } from 'node:crypto';
import forge from 'node-forge';
import {
  InvalidCsrError,
  certificateFingerprint,
  createCa,
  csrIsForCertificateKey,
  csrKeyFingerprint,
  issueServerCertificate,
  nodeIdFromCertificate,
  signNodeCsr,
} from './certificates';

function csrFor(name: string, keys = forge.pki.rsa.generateKeyPair({ bits: 2048 })): { csrPem: string; keyPem: string } {
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = keys.publicKey;
  csr.setSubject([{ name: 'commonName', value: name }]);
  csr.sign(keys.privateKey, forge.md.sha256.create());
  return { csrPem: forge.pki.certificationRequestToPem(csr), keyPem: forge.pki.privateKeyToPem(keys.privateKey) };
}

describe('cluster CA certificates', () => {
  const now = new Date('2026-11-23T12:00:00Z');
  const ca = createCa(now);
  const otherCa = createCa(now);

  it('makes a ten-year self-signed CA', () => {
    const x = new X509Certificate(ca.certPem);
    expect(x.ca).toBe(true);
    expect(x.subject).toMatch(/^CN=oja cluster CA [0-9a-f]{12}$/);
    expect(new X509Certificate(otherCa.certPem).subject).not.toBe(x.subject);
    expect(x.verify(x.publicKey)).toBe(true);
    expect(new Date(x.validTo).getUTCFullYear()).toBe(2036);
  });

  it('signs a node CSR with CN = node name, SAN oja://node/<id>, clientAuth, one year', () => {
    const { csrPem } = csrFor('whatever-the-csr-says');
    const pem = signNodeCsr(ca, csrPem, 'node-a', 'b3c1f4e2-0000-4000-8000-000000000001', now);
    const x = new X509Certificate(pem);
    expect(x.subject).toBe('CN=node-a');
    expect(x.subjectAltName).toBe('URI:oja://node/b3c1f4e2-0000-4000-8000-000000000001');
    expect(x.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(x.ca).toBe(false);
    expect(x.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(new Date(x.validTo).getUTCFullYear()).toBe(2027);
    expect(nodeIdFromCertificate(pem)).toBe('b3c1f4e2-0000-4000-8000-000000000001');
    expect(nodeIdFromCertificate(x.raw)).toBe('b3c1f4e2-0000-4000-8000-000000000001');
    expect(x.checkIssued(new X509Certificate(otherCa.certPem))).toBe(false);
  });

  it('signs for the lifetime asked, backdated for clock skew by 5 minutes but never more than a tenth of it', () => {
    const { csrPem } = csrFor('n');
    const month = new X509Certificate(signNodeCsr(ca, csrPem, 'n', 'id', now, 30 * 24 * 3600_000));
    expect(new Date(month.validTo)).toEqual(new Date('2026-12-23T12:00:00Z'));
    expect(new Date(month.validFrom)).toEqual(new Date('2026-11-23T11:55:00Z'));
    // A one-minute certificate (tests of renewal) starts 6 s early, so two thirds of its life lie ahead of it.
    const minute = new X509Certificate(signNodeCsr(ca, csrPem, 'n', 'id', now, 60_000));
    expect(new Date(minute.validFrom)).toEqual(new Date('2026-11-23T11:59:54Z'));
    expect(new Date(minute.validTo)).toEqual(new Date('2026-11-23T12:01:00Z'));
  });

  it('tells whether a CSR asks for the key of a certificate, whatever name it asks for', () => {
    const keys = forge.pki.rsa.generateKeyPair({ bits: 1024 });
    const certPem = signNodeCsr(ca, csrFor('node-a', keys).csrPem, 'node-a', 'id', now);
    expect(csrIsForCertificateKey(csrFor('node-a', keys).csrPem, certPem)).toBe(true);
    expect(csrIsForCertificateKey(csrFor('anything', keys).csrPem, new X509Certificate(certPem).raw)).toBe(true);
    expect(csrIsForCertificateKey(csrFor('node-a').csrPem, certPem)).toBe(false);
    expect(() => csrIsForCertificateKey('garbage', certPem)).toThrow(InvalidCsrError);
  });

  it('fingerprints a CSR by its key, whatever name it asks for', () => {
    const keys = forge.pki.rsa.generateKeyPair({ bits: 1024 });
    const { csrPem } = csrFor('n', keys);
    expect(csrKeyFingerprint(csrFor('other-name', keys).csrPem)).toBe(csrKeyFingerprint(csrPem));
    expect(csrKeyFingerprint(csrFor('n').csrPem)).not.toBe(csrKeyFingerprint(csrPem));
  });

  it('fingerprints a certificate as sha256 of its DER, from PEM or DER alike', () => {
    const der = new X509Certificate(ca.certPem).raw;
    expect(certificateFingerprint(ca.certPem)).toBe(createHash('sha256').update(der).digest('hex'));
    expect(certificateFingerprint(der)).toBe(certificateFingerprint(ca.certPem));
  });

  it('issues the server certificate for oja-control-plane, serverAuth', () => {
    const server = issueServerCertificate(ca, now);
    const x = new X509Certificate(server.certPem);
    expect(x.subject).toBe('CN=oja-control-plane');
    expect(x.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(x.checkIssued(new X509Certificate(ca.certPem))).toBe(true);
    expect(nodeIdFromCertificate(server.certPem)).toBeNull();
  });

  it('refuses a CSR that is not PEM or whose signature does not verify', () => {
    expect(() => signNodeCsr(ca, 'garbage', 'n', 'id', now)).toThrow(InvalidCsrError);
    // Claims one key but is signed with another: proof of possession fails.
    const [claimed, signer] = [forge.pki.rsa.generateKeyPair({ bits: 1024 }), forge.pki.rsa.generateKeyPair({ bits: 1024 })];
    const forged = forge.pki.createCertificationRequest();
    forged.publicKey = claimed.publicKey;
    forged.setSubject([{ name: 'commonName', value: 'n' }]);
    forged.sign(signer.privateKey, forge.md.sha256.create());
    expect(() => signNodeCsr(ca, forge.pki.certificationRequestToPem(forged), 'n', 'id', now)).toThrow(InvalidCsrError);
  });
});
