import { X509Certificate } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { Client } from 'pg';
import { AgentGatewayServer } from '../../../apps/control-plane/src/gateway/agent-gateway.server';
import { createCa, signNodeCsr } from '../../../apps/control-plane/src/pki/certificates';
import { startControlPlane, type TestControlPlane } from '../../support/control-plane';
import { FakeAgent, generateKeyAndCsr, presentedChain, waitFor } from '../../support/fake-agent';

describe('agent join and mTLS connect', () => {
  let cp: TestControlPlane;
  let address: string;
  const agents: FakeAgent[] = [];

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

  beforeAll(async () => {
    cp = await startControlPlane();
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
    const key = generateKeyAndCsr('taken-name');
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

  it('rejects a Connect with a certificate from another CA, and one without a client certificate', async () => {
    const caPem = (await presentedChain(address))[1];
    const checkServerIdentity = () => undefined;
    const foreignCa = createCa();
    const { keyPem, csrPem } = generateKeyAndCsr('rogue');
    const legit = agent('legit-for-rogue');
    const { nodeId } = await legit.join((await joinToken()).token);
    // Same node id in the SAN, but signed by a CA the cluster does not know.
    const rogueCert = signNodeCsr(foreignCa, csrPem, 'legit-for-rogue', nodeId);
    const rogue = new FakeAgent({ address, name: 'legit-for-rogue' });
    agents.push(rogue);
    rogue.identity = { keyPem, certPem: rogueCert, caPem, nodeId };
    rogue.connect();
    await waitFor(() => rogue.streamError ?? rogue.streamEnded, 'the rogue stream to end');
    expect(rogue.registered).toEqual([]);
    expect(rogue.streamError?.code).toBe(grpc.status.UNAUTHENTICATED);

    const anonymous = new FakeAgent({ address, name: 'anonymous' });
    agents.push(anonymous);
    // No client certificate at all: TLS only.
    const creds = grpc.credentials.createSsl(Buffer.from(caPem), null, null, { checkServerIdentity });
    const { AgentGatewayClient } = await import('@oja/proto');
    const client = new AgentGatewayClient(address, creds);
    const stream = client.connect();
    const error = await new Promise<grpc.ServiceError>((resolve) => {
      stream.on('error', resolve);
      stream.on('data', () => undefined);
      stream.write({ kind: { $case: 'heartbeat', value: { observedGeneration: 0, runningContainers: 0 } } });
    });
    client.close();
    expect(error.code).toBe(grpc.status.UNAUTHENTICATED);
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
