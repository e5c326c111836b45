import { X509Certificate } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { Client } from 'pg';
import { SecretBox } from '../../../apps/control-plane/src/crypto/secret-box';
import { AgentGatewayServer } from '../../../apps/control-plane/src/gateway/agent-gateway.server';
import { certificateFingerprint, createCa, signNodeCsr } from '../../../apps/control-plane/src/pki/certificates';
import { CA_KEY_CONTEXT } from '../../../apps/control-plane/src/pki/pki.service';
import { CapturedLogs } from '../../support/captured-logs';
import { startControlPlane, type TestControlPlane } from '../../support/control-plane';
import { secretKeyHex } from '../../support/env';
import { generateNodeKeyAndCsr } from '../../../apps/agent/src/identity/node-key';
import { FakeAgent, presentedChain, waitFor } from '../../support/fake-agent';

const NO_VERIFIED_CERTIFICATE =
  "no client certificate that verifies against this cluster's CA: none was presented, or it is expired, not yet valid or signed by another CA";

describe('agent join and mTLS connect', () => {
  let cp: TestControlPlane;
  let address: string;
  const agents: FakeAgent[] = [];
  const logs = new CapturedLogs();
  const refusals = (text: string) => logs.matching('warn', 'AgentStreams', text);

  const joinToken = async (ttlSeconds?: number): Promise<{ id: string; token: string; expiresAt: string }> => {
    const res = await cp.request('POST', '/v1/join-tokens', { token: cp.adminToken, body: ttlSeconds ? { ttlSeconds } : {} });
    expect(res.status).toBe(201);
    return res.body;
  };
  const agent = (name: string): FakeAgent => {
    const a = new FakeAgent({ address, name });
    agents.push(a);
    return a;
  };
  const sql = async (text: string, params: unknown[] = []) => {
    const c = new Client({ connectionString: cp.database.url });
    await c.connect();
    try {
      return (await c.query(text, params)).rows;
    } finally {
      await c.end();
    }
  };

  /** Joins `name` with a key of its own and connects it once over mTLS: the normal path. */
  const joinedAndRegistered = async (name: string) => {
    const key = generateNodeKeyAndCsr(name);
    const a = agent(name);
    await a.join((await joinToken()).token, { key });
    a.connect();
    await waitFor(() => a.registered[0], `${name} registered`);
    a.disconnect();
    return { key, identity: a.identity! };
  };
  /** A fake agent presenting `certPem` with the node's own key and id. */
  const presenting = (name: string, identity: NonNullable<FakeAgent['identity']>, certPem: string): FakeAgent => {
    const a = agent(name);
    a.identity = { ...identity, certPem };
    a.connect();
    return a;
  };

  beforeAll(async () => {
    cp = await startControlPlane({ logger: logs });
    address = `127.0.0.1:${cp.app.get(AgentGatewayServer).port}`;
  });
  afterAll(async () => {
    for (const a of agents) a.disconnect();
    await cp?.close();
  });

  it('mints join tokens for the admin only, carrying the CA hash the server presents', async () => {
    const { token, expiresAt } = await joinToken(600);
    const [, caHash] = /^OJA1-([0-9a-f]{64})-(.{43})$/.exec(token) ?? [];
    expect(caHash).toBeDefined();
    expect(new Date(expiresAt).getTime()).toBeGreaterThan(Date.now());
    const chain = await presentedChain(address);
    expect(chain).toHaveLength(2);
    expect(new X509Certificate(chain[0]).subject).toBe('CN=oja-control-plane');
    expect(new X509Certificate(chain[1]).fingerprint256.replace(/:/g, '').toLowerCase()).toBe(caHash);

    const tenant = await cp.tenant();
    expect((await cp.request('POST', '/v1/join-tokens', { token: tenant.token, body: {} })).status).toBe(403);
    const bad = await cp.request('POST', '/v1/join-tokens', { token: cp.adminToken, body: { ttlSeconds: 5 } });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('ttlSeconds');
  });

  it('joins with a valid token: node certificate for its own key, CN = name, SAN = node id; then registers over mTLS', async () => {
    const a = agent('join-ok');
    const res = await a.join((await joinToken()).token);
    const cert = new X509Certificate(res.certificatePem);
    expect(cert.subject).toBe('CN=join-ok');
    expect(cert.subjectAltName).toBe(`URI:oja://node/${res.nodeId}`);
    expect(cert.checkIssued(new X509Certificate(res.caPem))).toBe(true);
    a.connect();
    const registered = await waitFor(() => a.registered[0], 'Registered');
    expect(registered.nodeId).toBe(res.nodeId);
    expect(registered.overlaySubnet).toMatch(/^10\.42\.\d+\.0\/24$/);
    expect(registered.overlayCidr).toBe('10.42.0.0/16');
    await waitFor(() => a.desired, 'first DesiredState');
    expect(a.desired?.instances).toEqual([]);
    const [node] = await sql(`SELECT status, overlay_subnet, agent_version FROM nodes WHERE id = $1`, [res.nodeId]);
    expect(node).toEqual({ status: 'ready', overlay_subnet: registered.overlaySubnet, agent_version: 'fake-0.0.0' });
    const events = await sql(`SELECT type FROM events WHERE node_id = $1 ORDER BY id`, [res.nodeId]);
    expect(events.map((e) => e.type)).toEqual(['node.joined', 'node.registered']);
  });

  it('refuses a token used twice', async () => {
    const { token } = await joinToken();
    await agent('reuse-a').join(token);
    await expect(agent('reuse-b').join(token)).rejects.toMatchObject({ code: grpc.status.PERMISSION_DENIED, details: 'join token already used' });
  });

  it('refuses an expired token', async () => {
    const { id, token } = await joinToken();
    await sql(`UPDATE join_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`, [id]);
    await expect(agent('expired').join(token)).rejects.toMatchObject({ code: grpc.status.PERMISSION_DENIED, details: 'join token expired' });
  });

  it('refuses an unknown token and a token of another cluster', async () => {
    const { token } = await joinToken();
    await expect(agent('forged').join(token.slice(0, -4) + 'AAAA')).rejects.toMatchObject({ details: 'invalid join token' });
    const otherCluster = `OJA1-${'0'.repeat(64)}-${token.split('-').slice(2).join('-')}`;
    const a = agent('other-cluster');
    // The fake agent itself would refuse (CA mismatch); call Join directly as a careless client would.
    await expect(a.join(otherCluster)).rejects.toThrow('control plane CA does not match the join token');
  });

  it('refuses a second agent claiming an existing node name with another key, but lets the same key join again', async () => {
    const key = generateNodeKeyAndCsr('taken-name');
    const first = agent('taken-name');
    const { nodeId } = await first.join((await joinToken()).token, { key });
    const impostor = agent('taken-name');
    await expect(impostor.join((await joinToken()).token)).rejects.toMatchObject({
      code: grpc.status.ALREADY_EXISTS,
      details: 'node name "taken-name" is already registered to another node',
    });
    // An agent whose Join answer was lost retries with its key: same node, new certificate.
    const again = await agent('taken-name').join((await joinToken()).token, { key });
    expect(again.nodeId).toBe(nodeId);
  });

  it('refuses a certificate of another CA carrying the node\'s own id and key, and none at all, saying so in its log', async () => {
    const { key, identity } = await joinedAndRegistered('legit-for-rogue');
    const before = refusals(NO_VERIFIED_CERTIFICATE).length;
    // The node's id in the SAN and its very key, but signed by a CA the cluster does not know.
    const rogue = presenting('legit-for-rogue', identity, signNodeCsr(createCa(), key.csrPem, 'legit-for-rogue', identity.nodeId));
    await waitFor(() => rogue.streamError, 'the rogue stream to be refused');
    expect(rogue.streamError).toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: NO_VERIFIED_CERTIFICATE });
    expect(rogue.registered).toEqual([]);

    // No client certificate at all: TLS only.
    const creds = grpc.credentials.createSsl(Buffer.from(identity.caPem), null, null, { checkServerIdentity: () => undefined });
    const { AgentGatewayClient } = await import('@oja/proto');
    const client = new AgentGatewayClient(address, creds);
    const stream = client.connect();
    const error = await new Promise<grpc.ServiceError>((resolve) => {
      stream.on('error', resolve);
      stream.on('data', () => undefined);
      stream.write({ kind: { $case: 'heartbeat', value: { observedGeneration: 0, runningContainers: 0 } } });
    });
    client.close();
    expect(error).toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: NO_VERIFIED_CERTIFICATE });
    const lines = refusals(NO_VERIFIED_CERTIFICATE).slice(before);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^stream from 127\.0\.0\.1:\d+ refused: no client certificate/);
  });

  it('refuses an expired certificate of this cluster\'s CA, even the one on record for the node', async () => {
    const { key, identity } = await joinedAndRegistered('expired-cert');
    const [stored] = await sql(`SELECT cert_pem, key_ciphertext FROM cluster_ca`);
    const ca = { certPem: stored.cert_pem, keyPem: new SecretBox(Buffer.from(secretKeyHex(), 'hex')).openString(stored.key_ciphertext, CA_KEY_CONTEXT) };
    const twoYearsAgo = new Date(Date.now() - 2 * 365 * 24 * 3600 * 1000);
    const expired = signNodeCsr(ca, key.csrPem, 'expired-cert', identity.nodeId, twoYearsAgo);
    expect(new X509Certificate(expired).checkIssued(new X509Certificate(ca.certPem))).toBe(true);
    // Recorded as the node's certificate, so its age is the only thing wrong with it.
    await sql(`UPDATE nodes SET cert_fingerprint = $2 WHERE id = $1`, [identity.nodeId, certificateFingerprint(expired)]);
    const before = refusals(NO_VERIFIED_CERTIFICATE).length;
    const old = presenting('expired-cert', identity, expired);
    await waitFor(() => old.streamError, 'the expired certificate to be refused');
    expect(old.streamError).toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: NO_VERIFIED_CERTIFICATE });
    expect(old.registered).toEqual([]);
    expect(refusals(NO_VERIFIED_CERTIFICATE).length).toBe(before + 1);
  });

  it('refuses a certificate the node no longer holds once it joined again with its key, and takes the new one', async () => {
    const { key, identity } = await joinedAndRegistered('rejoined');
    const again = agent('rejoined');
    await again.join((await joinToken()).token, { key });
    const stale = presenting('rejoined', identity, identity.certPem);
    await waitFor(() => stale.streamError, 'the replaced certificate to be refused');
    const why = 'the client certificate is not the one last issued to node rejoined (it joined again or renewed its certificate since)';
    expect(stale.streamError).toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: why });
    expect(refusals(`refused: ${why}`)).toHaveLength(1);
    again.connect();
    await waitFor(() => again.registered[0], 'Registered with the new certificate');
  });

  it('rejects a Register naming another node than the certificate', async () => {
    const a = agent('honest-name');
    await a.join((await joinToken()).token);
    a.connect();
    await waitFor(() => a.registered[0], 'Registered');
    a.disconnect();
    const liar = new FakeAgent({ address, name: 'someone-else' });
    agents.push(liar);
    liar.identity = a.identity;
    liar.connect();
    await waitFor(() => liar.streamError, 'the stream to be refused');
    expect(liar.streamError?.code).toBe(grpc.status.PERMISSION_DENIED);
  });
});
