import { X509Certificate } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { SecretBox } from '../../../apps/control-plane/src/crypto/secret-box';
import { certificateFingerprint, createCa, signNodeCsr } from '../../../apps/control-plane/src/pki/certificates';
import { CA_KEY_CONTEXT } from '../../../apps/control-plane/src/pki/pki.service';
import { CapturedLogs } from '../../support/captured-logs';
import { startControlPlane, type TestControlPlane } from '../../support/control-plane';
import { secretKeyHex } from '../../support/env';
import { csrForKey, generateNodeKeyAndCsr } from '../../../apps/agent/src/identity/node-key';
import { FakeAgent, waitFor } from '../../support/fake-agent';
import { grpcAddress, joinToken, sql } from './cluster';

const DAY_MS = 24 * 3600 * 1000;
const CERT_DAYS = 30;
const NO_VERIFIED_CERTIFICATE =
  "no client certificate that verifies against this cluster's CA: none was presented, or it is expired, not yet valid or signed by another CA";
const superseded = (name: string) =>
  `the client certificate is not the one last issued to node ${name} (it joined again or renewed its certificate since)`;

// Renew over real gRPC: a node authenticated by its current certificate gets a new one for the same key; the new one
// replaces the old one when first presented.
describe('node certificate renewal', () => {
  let cp: TestControlPlane;
  const agents: FakeAgent[] = [];
  const logs = new CapturedLogs();
  const renewalRefusals = () => logs.matching('warn', 'RenewalService', 'refused');

  const agent = (name: string): FakeAgent => {
    const a = new FakeAgent({ address: grpcAddress(cp), name });
    agents.push(a);
    return a;
  };
  /** Joins and registers once over mTLS, then drops the stream. */
  const joined = async (name: string): Promise<FakeAgent> => {
    const a = agent(name);
    await a.join(await joinToken(cp));
    await registers(a);
    return a;
  };
  /** Connects with what the agent holds and waits until the control plane takes it (Registered), then drops the stream. */
  const registers = async (a: FakeAgent): Promise<void> => {
    const before = a.registered.length;
    a.connect();
    await waitFor(() => a.registered.length > before || a.streamError, `${a.name} registered or refused`);
    a.disconnect();
    if (a.registered.length === before) throw new Error(`${a.name} was refused: ${a.streamError?.details}`);
  };
  /** Another agent of the same node holding its key with `certPem`. */
  const holding = (a: FakeAgent, certPem: string): FakeAgent => Object.assign(agent(a.name), { identity: { ...a.identity!, certPem } });
  /** The refusal of a stream presenting `certPem` with the node's key, if it is refused. */
  const refusalOf = async (a: FakeAgent, certPem: string): Promise<grpc.ServiceError | undefined> => {
    const other = holding(a, certPem);
    other.connect();
    await waitFor(() => other.registered.length > 0 || other.streamError, `the stream with ${a.name}'s certificate to be answered`);
    other.disconnect();
    return other.streamError;
  };
  const renewedEvents = async (nodeId: string) =>
    (await sql<{ message: string }>(cp, `SELECT message FROM events WHERE node_id = $1 AND type = 'node.certificate-renewed' ORDER BY id`, [nodeId])).map(
      (e) => e.message,
    );
  const clusterCa = async () => {
    const [stored] = await sql<{ cert_pem: string; key_ciphertext: Buffer }>(cp, `SELECT cert_pem, key_ciphertext FROM cluster_ca`);
    return { certPem: stored.cert_pem, keyPem: new SecretBox(Buffer.from(secretKeyHex(), 'hex')).openString(stored.key_ciphertext, CA_KEY_CONTEXT) };
  };

  beforeAll(async () => {
    cp = await startControlPlane({ logger: logs, env: { OJA_NODE_CERT_DAYS: String(CERT_DAYS) } });
  });
  afterAll(async () => {
    for (const a of agents) a.disconnect();
    await cp?.close();
  });

  it('issues a certificate for the same key, CN and SAN, valid for OJA_NODE_CERT_DAYS, and records the renewal', async () => {
    const a = await joined('renew-ok');
    const joinedCert = new X509Certificate(a.identity!.certPem);
    expect(new Date(joinedCert.validTo).getTime() - Date.now()).toBeGreaterThan((CERT_DAYS - 1) * DAY_MS);
    expect(new Date(joinedCert.validTo).getTime() - Date.now()).toBeLessThanOrEqual(CERT_DAYS * DAY_MS);

    const { certificatePem } = await a.renew();
    const renewed = new X509Certificate(certificatePem);
    expect(renewed.subject).toBe('CN=renew-ok');
    expect(renewed.subjectAltName).toBe(`URI:oja://node/${a.nodeId}`);
    expect(renewed.checkIssued(new X509Certificate(a.identity!.caPem))).toBe(true);
    expect(renewed.publicKey.export({ type: 'spki', format: 'der' })).toEqual(joinedCert.publicKey.export({ type: 'spki', format: 'der' }));
    expect(renewed.serialNumber).not.toBe(joinedCert.serialNumber);
    expect(new Date(renewed.validTo).getTime() - Date.now()).toBeGreaterThan((CERT_DAYS - 1) * DAY_MS);
    expect(await renewedEvents(a.nodeId)).toEqual([`node renew-ok renewed its certificate (valid until ${new Date(renewed.validTo).toISOString()})`]);
  });

  it('takes the new certificate on Connect; from then on the old one is refused', async () => {
    const a = await joined('renew-swap');
    const old = a.identity!.certPem;
    await a.renew();
    await registers(a);
    const [node] = await sql(cp, `SELECT cert_fingerprint, pending_cert_fingerprint FROM nodes WHERE id = $1`, [a.nodeId]);
    expect(node).toEqual({ cert_fingerprint: certificateFingerprint(a.identity!.certPem), pending_cert_fingerprint: null });

    const before = logs.matching('warn', 'AgentStreams', superseded('renew-swap')).length;
    expect(await refusalOf(a, old)).toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: superseded('renew-swap') });
    expect(logs.matching('warn', 'AgentStreams', superseded('renew-swap'))).toHaveLength(before + 1);
    // Renew with the old one is refused too; the current one renews again.
    await expect(holding(a, old).renew()).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: superseded('renew-swap') });
    await a.renew();
    await registers(a);
  });

  it('keeps the old certificate working until the new one is presented, so a lost answer heals by renewing again', async () => {
    const a = await joined('renew-lost');
    const old = a.identity!;
    const { certificatePem: lost } = await a.renew();
    // The answer never reached the agent: it still holds the old certificate, which still connects and renews.
    a.identity = old;
    await registers(a);
    const { certificatePem: second } = await a.renew();
    // Only the newest renewal is waiting: the lost one is never accepted.
    expect(await refusalOf(a, lost)).toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: superseded('renew-lost') });
    expect(a.identity!.certPem).toBe(second);
    await registers(a);
    expect(await renewedEvents(a.nodeId)).toHaveLength(2);
  });

  it('refuses a CSR for another key, and one that is not a CSR; the node keeps its certificate', async () => {
    const a = await joined('renew-other-key');
    const before = renewalRefusals().length;
    await expect(a.renew(generateNodeKeyAndCsr('renew-other-key').csrPem)).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
      details: "the CSR is not for the key of node renew-other-key's certificate: a renewal keeps the node key (a new key means joining again)",
    });
    await expect(a.renew('not a csr')).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    expect(renewalRefusals().slice(before)).toEqual([
      expect.stringMatching(/^certificate renewal from 127\.0\.0\.1:\d+ refused: the CSR is not for the key of node renew-other-key's certificate/),
      expect.stringMatching(/^certificate renewal from 127\.0\.0\.1:\d+ refused: csr_pem is not a PEM PKCS#10 request/),
    ]);
    const [node] = await sql(cp, `SELECT cert_fingerprint, pending_cert_fingerprint FROM nodes WHERE id = $1`, [a.nodeId]);
    expect(node).toEqual({ cert_fingerprint: certificateFingerprint(a.identity!.certPem), pending_cert_fingerprint: null });
    expect(await renewedEvents(a.nodeId)).toEqual([]);
    await registers(a);
  });

  it("refuses a certificate of another CA with the node's id and key, an expired one of this CA, and one of a removed node", async () => {
    const a = await joined('renew-unknown');
    const csrPem = csrForKey(a.identity!.keyPem, a.name);

    const rogue = holding(a, signNodeCsr(createCa(), csrPem, a.name, a.nodeId));
    await expect(rogue.renew()).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: NO_VERIFIED_CERTIFICATE });

    // Recorded as the node's certificate, so its age is the only thing wrong with it.
    const expired = signNodeCsr(await clusterCa(), csrPem, a.name, a.nodeId, new Date(Date.now() - 2 * CERT_DAYS * DAY_MS), CERT_DAYS * DAY_MS);
    await sql(cp, `UPDATE nodes SET cert_fingerprint = $2 WHERE id = $1`, [a.nodeId, certificateFingerprint(expired)]);
    await expect(holding(a, expired).renew()).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: NO_VERIFIED_CERTIFICATE });

    // Joined, never registered, so still down: an operator may remove it.
    const b = agent('renew-removed');
    await b.join(await joinToken(cp));
    expect((await cp.request('DELETE', '/v1/nodes/renew-removed', { token: cp.adminToken })).status).toBe(204);
    await expect(b.renew()).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: `node ${b.nodeId} is not registered` });
    expect(await renewedEvents(a.nodeId)).toEqual([]);
  });

  it('drops a renewed certificate not yet presented when the node joins again', async () => {
    const key = generateNodeKeyAndCsr('renew-rejoin');
    const a = agent('renew-rejoin');
    await a.join(await joinToken(cp), { key });
    const { certificatePem: pending } = await a.renew();
    await a.join(await joinToken(cp), { key });
    expect(await refusalOf(a, pending)).toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: superseded('renew-rejoin') });
    await registers(a);
  });
});
