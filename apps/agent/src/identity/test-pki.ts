import forge from 'node-forge';
import { generateNodeKeyAndCsr } from './node-key';
import type { NodeCredentials } from './store';

/** Test fixtures: a throwaway cluster CA, a control-plane certificate and a node's key and certificate (forge). */

export interface Issuer {
  cn: string;
  key: forge.pki.rsa.PrivateKey;
}

export interface Validity {
  notBefore: Date;
  notAfter: Date;
}

export interface TestPki {
  caPem: string;
  caIssuer: Issuer;
  server: { keyPem: string; certPem: string };
  node: NodeCredentials;
}

/** From a minute ago for an hour. */
function anHour(): Validity {
  return { notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 3600_000) };
}

export function certificate(subjectCn: string, publicKey: forge.pki.PublicKey, issuer: Issuer, options: Partial<Validity> & { ca?: boolean } = {}): string {
  const validity = { ...anHour(), ...options };
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = '01' + forge.util.bytesToHex(forge.random.getBytesSync(8)); // leading 01: positive and minimally encoded
  cert.validity.notBefore = validity.notBefore;
  cert.validity.notAfter = validity.notAfter;
  cert.setSubject([{ name: 'commonName', value: subjectCn }]);
  cert.setIssuer([{ name: 'commonName', value: issuer.cn }]);
  cert.setExtensions([{ name: 'basicConstraints', cA: options.ca ?? false }]);
  cert.sign(issuer.key, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

/** The test CA's certificate for the key a CSR carries (what the control plane answers to Join or Renew). */
export function signNodeCsr(pki: Pick<TestPki, 'caIssuer'>, csrPem: string, nodeName: string, validity: Partial<Validity> = {}): string {
  return certificate(nodeName, forge.pki.certificationRequestFromPem(csrPem).publicKey!, pki.caIssuer, validity);
}

export function testPki(nodeValidity: Partial<Validity> = {}): TestPki {
  const caKeys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
  const caIssuer = { cn: 'test CA', key: caKeys.privateKey };
  const caPem = certificate('test CA', caKeys.publicKey, caIssuer, { ca: true });
  const serverKeys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
  const serverPem = certificate('oja-control-plane', serverKeys.publicKey, caIssuer);
  const node = generateNodeKeyAndCsr('node-1');
  return {
    caPem,
    caIssuer,
    server: { keyPem: forge.pki.privateKeyToPem(serverKeys.privateKey), certPem: serverPem },
    node: { keyPem: node.keyPem, certificatePem: signNodeCsr({ caIssuer }, node.csrPem, 'node-1', nodeValidity), caPem },
  };
}
