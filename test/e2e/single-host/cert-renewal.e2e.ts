import type { InstanceView } from '@oja/contracts';
import { X509Certificate, createHash, createPrivateKey, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { AgentGatewayServer } from '../../../apps/control-plane/src/gateway/agent-gateway.server';
import { startControlPlane, type TestControlPlane } from '../../support/control-plane';
import { waitFor } from '../../support/fake-agent';
import { runEveryStep } from '../../support/teardown';
import { nodeContainers, removeNodeContainers } from '../agent-runtime/support';
import { AgentProcess } from './agent-process';

// The built agent against a control plane issuing 43-second node certificates (OJA_NODE_CERT_DAYS=0.0005): the agent
// renews each one about 27 s after it was issued (a third of its life left), swaps node.crt and reconnects, while its
// containers keep running untouched. Needs the built bins and the oja/busybox:1 image (npm test sets both up).

const ROOT = join(__dirname, '..', '..', '..');
const RUN = randomBytes(3).toString('hex');
const NODE = `e2e-renew-${RUN}`;
const CERT_DAYS = '0.0005';
const WAIT_MS = 150_000;

let cp: TestControlPlane;
let tmp: string;
let dataDir: string;
let token: string;
const agents: AgentProcess[] = [];

function startAgent(args: string[]): AgentProcess {
  const started = new AgentProcess(['--data-dir', dataDir, ...args], join(tmp, 'agent.log'), { OJA_RUN_DIR: join(tmp, 'run') });
  agents.push(started);
  return started;
}

async function instances(name: string): Promise<InstanceView[]> {
  const res = await cp.request('GET', `/v1/deployments/${name}/instances`, { token });
  if (res.status !== 200) throw new Error(`instances of ${name}: ${res.status} ${res.text}`);
  return res.body.items as InstanceView[];
}

async function healthy(name: string, replicas: number): Promise<InstanceView[]> {
  return waitFor(async () => {
    const items = await instances(name);
    return items.length === replicas && items.every((i) => i.state === 'healthy') && items;
  }, `${replicas} healthy instances of ${name}`, WAIT_MS);
}

async function renewals(): Promise<string[]> {
  const res = await cp.request('GET', `/v1/events?type=node.certificate-renewed&node=${NODE}`, { token: cp.adminToken });
  if (res.status !== 200) throw new Error(`events: ${res.status} ${res.text}`);
  return (res.body.items as { message: string }[]).map((e) => e.message);
}

/** sha256 of the certificate the control plane holds as the node's current one. */
async function acceptedFingerprint(): Promise<string | null> {
  const client = new Client({ connectionString: cp.database.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ cert_fingerprint: string | null }>(`SELECT cert_fingerprint FROM nodes WHERE name = $1`, [NODE]);
    return rows[0]?.cert_fingerprint ?? null;
  } finally {
    await client.end();
  }
}

const nodeCrt = () => readFileSync(join(dataDir, 'node.crt'), 'utf8');
const sha256 = (pem: string) => createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'apps/agent/dist/main.js'))) throw new Error('build first: npx nx run-many -t build');
  tmp = mkdtempSync(join(tmpdir(), 'oja-renew-'));
  dataDir = join(tmp, 'agent');
  cp = await startControlPlane({ env: { OJA_NODE_CERT_DAYS: CERT_DAYS } });
  token = (await cp.tenant(`acme-${RUN}`)).token;
  const minted = await cp.request('POST', '/v1/join-tokens', { token: cp.adminToken, body: {} });
  if (minted.status !== 201) throw new Error(`join token: ${minted.status} ${minted.text}`);
  const grpcAddress = `127.0.0.1:${cp.app.get(AgentGatewayServer).port}`;
  const agent = startAgent(['--join', grpcAddress, '--token', minted.body.token, '--name', NODE, '--advertise-address', '127.0.0.1', '--no-overlay']);
  await waitFor(() => agent.count('registered with the control plane') >= 1, `the agent to register\n${agent.tail()}`, WAIT_MS);
});

afterAll(async () => {
  const steps: (() => unknown)[] = [
    ...agents.map((a) => () => a.stop()),
    () => removeNodeContainers(NODE),
    () => cp?.close(),
    () => tmp && !process.env.OJA_E2E_KEEP && rmSync(tmp, { recursive: true, force: true }),
  ];
  await runEveryStep(steps);
});

describe('node certificate renewal with the built agent', () => {
  const web = `web-${RUN}`;

  it('renews before each certificate expires, reconnecting each time, and keeps its containers running past the first expiry', async () => {
    const res = await cp.request('PUT', `/v1/deployments/${web}`, {
      token,
      body: {
        name: web, image: 'oja/busybox:1', replicas: 2, command: ['httpd', '-f', '-p', '8080', '-h', '/www'], resources: { cpu: 0.05, memoryMb: 32 },
        health: { http: { path: '/', port: 8080 }, intervalSeconds: 1, timeoutSeconds: 1, failureThreshold: 2 },
      },
    });
    expect(res.status).toBeLessThan(300);
    const before = await healthy(web, 2);
    const [agent] = agents;
    const joined = new X509Certificate(nodeCrt());

    await waitFor(() => Date.now() > new Date(joined.validTo).getTime() + 1000, 'the certificate from Join to expire', WAIT_MS);
    await waitFor(() => agent.count('node certificate renewed') >= 2, `two renewals\n${agent.tail()}`, WAIT_MS);
    // Each renewal reopened the stream with the new certificate, and the control plane took it.
    await waitFor(async () => (await acceptedFingerprint()) === sha256(nodeCrt()), 'the control plane to hold the certificate on disk', WAIT_MS);
    expect(agent.running).toBe(true);
    expect(agent.count('reconnecting with the renewed node certificate')).toBe(agent.count('node certificate renewed'));
    expect(agent.count('registered with the control plane')).toBeGreaterThan(agent.count('node certificate renewed'));
    expect(agent.count('node certificate renewal failed; retrying')).toBe(0);
    expect((await renewals()).length).toBeGreaterThanOrEqual(2);

    const renewed = new X509Certificate(nodeCrt());
    expect(renewed.subject).toBe(`CN=${NODE}`);
    expect(renewed.serialNumber).not.toBe(joined.serialNumber);
    expect(renewed.checkPrivateKey(createPrivateKey(readFileSync(join(dataDir, 'node.key'), 'utf8')))).toBe(true);
    expect(statSync(join(dataDir, 'node.crt')).mode & 0o777).toBe(0o600);

    // Nothing was recreated or restarted by the reconnects.
    const after = await healthy(web, 2);
    const ids = (items: InstanceView[]) => items.map((i) => [i.id, i.containerId, i.restarts]).sort();
    expect(ids(after)).toEqual(ids(before));
    expect((await nodeContainers(NODE)).map((c) => [c.Id, c.State]).sort()).toEqual(before.map((i) => [i.containerId, 'running']).sort());
  });

  it('restarted with its data dir (no token), it connects with the renewed certificate it saved', async () => {
    const [first] = agents;
    first.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });
    const restarted = startAgent(['--no-overlay']);
    await waitFor(() => restarted.count('registered with the control plane') >= 1, `the restarted agent to register\n${restarted.tail()}`, WAIT_MS);
    expect(restarted.count('control plane stream closed; reconnecting')).toBe(0);
    // It may have renewed at start-up (the saved certificate was due): then the one it reconnected with is on disk.
    await waitFor(async () => (await acceptedFingerprint()) === sha256(nodeCrt()), 'the control plane to hold the certificate on disk', WAIT_MS);
    await healthy(web, 2);
  });
});
