import type { DeploymentSpecInput, EventView, InstanceView } from '@oja/contracts';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LogChunk, LogEnd } from '@oja/proto';
import { AgentGatewayServer } from '../../../apps/control-plane/src/gateway/agent-gateway.server';
import { AgentSessions } from '../../../apps/control-plane/src/gateway/agent-sessions.service';
import { startControlPlane, type TestControlPlane } from '../../support/control-plane';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { waitFor } from '../../support/fake-agent';
import { freePort } from '../../support/ports';
import { runEveryStep } from '../../support/teardown';
import { docker, nodeContainers, removeNodeContainers } from '../agent-runtime/support';
import { AgentProcess } from './agent-process';

// One control plane (in-process, real Postgres + Redis), the BUILT agent as a child process, the real dockerd.
// The agent runs with --no-overlay: the WireGuard overlay lives in the host's network namespace, one per host, so a
// single-host suite must not claim it (the multi-host lab tests it, one namespace per host).
// Cases run in order and share the node; each uses deployments of its own. OJA_E2E_KEEP=1 keeps the temp dir
// (agent data dir and agent.log) for a look after a failure.

const ROOT = join(__dirname, '..', '..', '..');
const IMAGE = 'oja/busybox:1';
const RUN = randomBytes(3).toString('hex');
const NODE = `e2e-sh-${RUN}`;
const CONVERGE_MS = 90_000;
/** Longer than the reconciler's periodic resync (5 s): time for a duplicate or a recreation to show. */
const SETTLE_MS = 7_000;

let db: TestDatabase;
let cp: TestControlPlane;
let grpcAddress: string;
let tmp: string;
let dataDir: string;
let agent: AgentProcess;
const agents: AgentProcess[] = [];
let token: string;
let joinToken: string;
let metricsPort: number;

function httpd(name: string, replicas: number, extra: Partial<DeploymentSpecInput> = {}): DeploymentSpecInput {
  return {
    name,
    image: IMAGE,
    replicas,
    command: ['httpd', '-f', '-p', '8080', '-h', '/www'],
    resources: { cpu: 0.05, memoryMb: 32 },
    health: { http: { path: '/', port: 8080 }, intervalSeconds: 1, timeoutSeconds: 1, failureThreshold: 2 },
    stopGracePeriodSeconds: 1,
    ...extra,
  };
}

const unique = (base: string) => `${base}-${RUN}`;

async function api(method: string, path: string, body?: unknown) {
  return cp.request(method, path, { token, body });
}

async function apply(spec: DeploymentSpecInput): Promise<void> {
  const res = await api('PUT', `/v1/deployments/${spec.name}`, spec);
  if (res.status >= 300) throw new Error(`PUT ${spec.name}: ${res.status} ${res.text}`);
}

async function scale(name: string, replicas: number): Promise<void> {
  const res = await api('PATCH', `/v1/deployments/${name}/scale`, { replicas });
  if (res.status >= 300) throw new Error(`scale ${name}: ${res.status} ${res.text}`);
}

async function instances(name: string): Promise<InstanceView[]> {
  const res = await api('GET', `/v1/deployments/${name}/instances`);
  if (res.status !== 200) throw new Error(`instances of ${name}: ${res.status} ${res.text}`);
  return res.body.items as InstanceView[];
}

async function events(name: string): Promise<EventView[]> {
  const res = await api('GET', `/v1/events?deployment=${name}`);
  if (res.status !== 200) throw new Error(`events of ${name}: ${res.status} ${res.text}`);
  return res.body.items as EventView[];
}

/** This node's containers of one deployment (docker ps -a --filter label=…). */
async function containersOf(name: string) {
  return (await nodeContainers(NODE)).filter((c) => c.Labels['oja.deployment'] === name);
}

/**
 * Waits until the API and `docker ps` agree that `replicas` instances of the deployment run healthy: the API lists
 * exactly that many instances, all healthy, and Docker has exactly those containers, all running.
 */
async function converged(name: string, replicas: number): Promise<InstanceView[]> {
  let last = '';
  try {
    return await waitFor(
      async () => {
        const [items, containers] = await Promise.all([instances(name), containersOf(name)]);
        last = `api: ${JSON.stringify(items.map((i) => [i.state, i.containerId?.slice(0, 12), i.reason]))}; docker: ${JSON.stringify(containers.map((c) => [c.Id.slice(0, 12), c.State]))}`;
        const healthy = items.filter((i) => i.state === 'healthy' && i.healthy);
        const running = containers.filter((c) => c.State === 'running');
        const sameIds = healthy.every((i) => running.some((c) => c.Id === i.containerId));
        return items.length === replicas && healthy.length === replicas && containers.length === replicas && running.length === replicas && sameIds && items;
      },
      `${replicas} healthy instance(s) of ${name}`,
      CONVERGE_MS,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}\n  last seen: ${last}\n  agent log:\n${agent.tail(15)}`);
  }
}

function startAgent(args: string[]): AgentProcess {
  // Its sockets (the routing mesh's HAProxy) go under the test's temp dir, not the host's /run/oja.
  const started = new AgentProcess(args, join(tmp, 'agent.log'), { OJA_RUN_DIR: join(tmp, 'run') });
  agents.push(started);
  return started;
}

async function registeredCount(target: AgentProcess, atLeast: number): Promise<void> {
  await waitFor(() => target.count('registered with the control plane') >= atLeast, `agent registration #${atLeast}\n${target.tail()}`, CONVERGE_MS);
}

async function nodeContainerIds(): Promise<string[]> {
  return (await nodeContainers(NODE)).map((c) => c.Id).sort();
}

function nodeId(): string {
  return (JSON.parse(readFileSync(join(dataDir, 'identity.json'), 'utf8')) as { nodeId: string }).nodeId;
}

/** Asks the agent for an instance's logs through the control plane's gateway, as the logs API does. */
function requestLogs(instanceId: string, follow: boolean) {
  const chunks: LogChunk[] = [];
  const ends: LogEnd[] = [];
  const requestId = randomBytes(8).toString('hex');
  const cancel = cp.app
    .get(AgentSessions)
    .requestLogs(nodeId(), { requestId, instanceId, follow, tail: -1, since: '', timestamps: true }, {
      onChunk: (c) => chunks.push(c),
      onEnd: (e) => ends.push(e),
    });
  if (!cancel) throw new Error('the control plane holds no stream for the node');
  return { chunks, ends, cancel };
}

async function agentMetrics(): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  if (res.status !== 200) throw new Error(`metrics: ${res.status}`);
  return res.text();
}

/** The engine and the image the suite needs, set up as `npm test` does if absent; and the built agent. */
function ensurePrerequisites(engineOk: boolean, imageOk: boolean): void {
  if (!engineOk || !imageOk) {
    execFileSync('bash', ['-c', '. deploy/lib/setup.sh && ensure_docker && ensure_image'], { cwd: ROOT, stdio: 'inherit' });
  }
  if (!existsSync(join(ROOT, 'apps/agent/dist/main.js'))) {
    execFileSync('npx', ['nx', 'run-many', '-t', 'build'], { cwd: ROOT, stdio: 'inherit' });
  }
}

beforeAll(async () => {
  const engineOk = await docker.ping().then(() => true, () => false);
  const imageOk = engineOk && (await docker.getImage(IMAGE).inspect().then(() => true, () => false));
  ensurePrerequisites(engineOk, imageOk);
  tmp = mkdtempSync(join(tmpdir(), 'oja-sh-')); // short: unix socket paths below it must stay under 108 bytes
  dataDir = join(tmp, 'agent');
  db = await createTestDatabase();
  cp = await startControlPlane({ database: db });
  grpcAddress = `127.0.0.1:${cp.app.get(AgentGatewayServer).port}`;
  token = (await cp.tenant(unique('acme'))).token;
  const minted = await cp.request('POST', '/v1/join-tokens', { token: cp.adminToken, body: {} });
  if (minted.status !== 201) throw new Error(`join token: ${minted.status} ${minted.text}`);
  joinToken = minted.body.token;
  metricsPort = await freePort();
  agent = startAgent([
    '--join', grpcAddress, '--token', joinToken, '--name', NODE, '--data-dir', dataDir,
    '--advertise-address', '127.0.0.1', '--capacity-cpu', '4', '--capacity-memory-mb', '4096',
    '--metrics-addr', `127.0.0.1:${metricsPort}`, '--no-overlay',
  ]);
  await registeredCount(agent, 1);
});

afterAll(async () => {
  // Every step runs even if an earlier one fails, so nothing is left behind.
  const steps: (() => unknown)[] = [
    ...agents.map((a) => () => a.stop()),
    () => removeNodeContainers(NODE),
    () => cp?.close(),
    () => db?.drop(),
    () => tmp && !process.env.OJA_E2E_KEEP && rmSync(tmp, { recursive: true, force: true }),
  ];
  await runEveryStep(steps);
});

describe('single host: control plane + built agent + real dockerd', () => {
  const web = unique('web');

  it('joins: the data dir holds the identity with private files, and the node is ready', async () => {
    const nodes = await cp.request('GET', '/v1/nodes', { token: cp.adminToken });
    expect(nodes.status).toBe(200);
    expect(nodes.body.items.find((n: { name: string }) => n.name === NODE)).toMatchObject({ status: 'ready', underlayAddress: '127.0.0.1' });
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    for (const file of ['identity.json', 'settings.json', 'node.key', 'node.crt', 'ca.crt']) {
      expect([file, statSync(join(dataDir, file)).mode & 0o777]).toEqual([file, 0o600]);
    }
  });

  it('applies 3 replicas of httpd with an HTTP health check: 3 running and healthy, API and docker ps agree', async () => {
    await apply(httpd(web, 3));
    const items = await converged(web, 3);
    const containers = await containersOf(web);
    expect(containers.map((c) => c.Labels['oja.instance']).sort()).toEqual(items.map((i) => i.id).sort());
    expect(new Set(items.map((i) => i.node))).toEqual(new Set([NODE]));
  });

  it('scales to 5, to 1 and to 0', async () => {
    await scale(web, 5);
    await converged(web, 5);
    await scale(web, 1);
    await converged(web, 1);
    await scale(web, 0);
    await converged(web, 0);
  });

  it('restarts a container killed behind its back (restarts = 1)', async () => {
    await scale(web, 2);
    const [victim] = await converged(web, 2);
    await docker.getContainer(victim.containerId!).kill();
    await waitFor(async () => (await instances(web)).find((i) => i.id === victim.id && i.restarts === 1 && i.state === 'healthy'), 'the killed instance restarted and healthy again', CONVERGE_MS);
    const after = await converged(web, 2);
    expect(after.find((i) => i.id === victim.id)).toMatchObject({ restarts: 1 });
    expect(after.find((i) => i.id !== victim.id)).toMatchObject({ restarts: 0 });
  });

  it('agent stopped with SIGTERM exits 0 and leaves its containers running', async () => {
    const before = await nodeContainerIds();
    agent.kill('SIGTERM');
    expect(await agent.exited).toEqual({ code: 0, signal: null });
    const containers = await nodeContainers(NODE);
    expect(containers.map((c) => c.Id).sort()).toEqual(before);
    expect(containers.every((c) => c.State === 'running')).toBe(true);
    agent = startAgent(['--data-dir', dataDir]);
    await registeredCount(agent, 1);
    await converged(web, 2);
  });

  it('agent SIGKILLed and restarted with --data-dir only: same containers, none recreated, no duplicates', async () => {
    const before = await nodeContainerIds();
    agent.kill('SIGKILL');
    await agent.exited;
    agent = startAgent(['--data-dir', dataDir]);
    await registeredCount(agent, 1);
    await converged(web, 2);
    await sleep(SETTLE_MS);
    await converged(web, 2);
    expect(await nodeContainerIds()).toEqual(before);
  });

  it('refuses to restart under another name than the saved identity', async () => {
    const other = startAgent(['--data-dir', dataDir, '--name', `${NODE}-other`]);
    expect(await other.exited).toEqual({ code: 1, signal: null });
    expect(other.tail()).toContain(`does not match this node's identity \\"${NODE}\\"`);
  });

  it('control plane closed and a new one started on the same database: nothing recreated', async () => {
    const before = await nodeContainerIds();
    const registrations = agent.count('registered with the control plane');
    await cp.close();
    cp = await startControlPlane({ database: db, env: { OJA_GRPC_ADDR: grpcAddress } });
    await registeredCount(agent, registrations + 1);
    await converged(web, 2);
    await sleep(SETTLE_MS);
    await converged(web, 2);
    expect(await nodeContainerIds()).toEqual(before);
  });

  it('a nonexistent image: the instance fails with a clear reason and an event; other deployments are fine', async () => {
    const broken = unique('broken');
    const image = `oja/nonexistent-${RUN}:1`;
    await apply({ name: broken, image, replicas: 1, resources: { cpu: 0.05, memoryMb: 32 } });
    const [failed] = await waitFor(async () => {
      const items = await instances(broken);
      return items.length === 1 && items[0].state === 'failed' && items;
    }, 'the instance with a nonexistent image to fail', CONVERGE_MS);
    expect(failed.reason).toContain(image);
    await waitFor(async () => (await events(broken)).find((e) => e.type === 'instance.failed' && e.message.includes(image)), 'an instance.failed event', CONVERGE_MS);
    await converged(web, 2);
  });

  it('a failing health check is reported unhealthy', async () => {
    const sick = unique('sick');
    await apply(httpd(sick, 1, { health: { http: { path: '/no-such-page', port: 8080 }, intervalSeconds: 1, timeoutSeconds: 1, failureThreshold: 2 } }));
    const [item] = await waitFor(async () => {
      const items = await instances(sick);
      return items.length === 1 && items[0].state === 'unhealthy' && items;
    }, 'the instance to be reported unhealthy', CONVERGE_MS);
    expect(item.healthy).toBe(false);
    await waitFor(async () => (await events(sick)).find((e) => e.type === 'instance.unhealthy'), 'an instance.unhealthy event', CONVERGE_MS);
  });

  it('serves its metrics on --metrics-addr', async () => {
    await waitFor(async () => /^oja_agent_containers\{state="healthy"\} 2$/m.test(await agentMetrics()), 'oja_agent_containers{state="healthy"} 2', CONVERGE_MS);
    expect(await agentMetrics()).toMatch(/^oja_agent_log_streams 0$/m);
  });

  it('relays an instance\'s logs (stdout and stderr told apart) and stops a followed stream when cancelled', async () => {
    const chatty = unique('chatty');
    await apply({
      name: chatty,
      image: IMAGE,
      replicas: 1,
      command: ['sh', '-c', 'echo hello-out; echo hello-err >&2; exec sleep 3600'],
      resources: { cpu: 0.05, memoryMb: 32 },
      health: { exec: { command: ['true'] }, intervalSeconds: 1 },
      stopGracePeriodSeconds: 1,
    });
    const [instance] = await converged(chatty, 1);

    const finite = requestLogs(instance.id, false);
    await waitFor(() => finite.ends.length === 1, 'LogEnd of a finite log request', CONVERGE_MS);
    expect(finite.ends[0]).toMatchObject({ instanceId: instance.id, error: '' });
    expect(finite.chunks.map((c) => [c.stream, c.line]).sort()).toEqual([
      ['stderr', 'hello-err'],
      ['stdout', 'hello-out'],
    ]);
    expect(finite.chunks.every((c) => !Number.isNaN(Date.parse(c.ts)))).toBe(true);

    const followed = requestLogs(instance.id, true);
    await waitFor(() => followed.chunks.length === 2, 'the followed stream to deliver the lines so far', CONVERGE_MS);
    await waitFor(async () => /^oja_agent_log_streams 1$/m.test(await agentMetrics()), 'one open log stream on the agent', CONVERGE_MS);
    followed.cancel();
    await waitFor(async () => /^oja_agent_log_streams 0$/m.test(await agentMetrics()), 'the cancelled log stream closed on the agent', CONVERGE_MS);
    expect(followed.ends).toEqual([]);
  });

  it('a join token is one-time: a second agent using it exits 1 with the control plane\'s message', async () => {
    const second = startAgent(['--join', grpcAddress, '--token', joinToken, '--name', `${NODE}-b`, '--data-dir', join(tmp, 'second'), '--advertise-address', '127.0.0.1']);
    expect(await second.exited).toEqual({ code: 1, signal: null });
    expect(second.tail()).toContain('join token already used');
    expect(existsSync(join(tmp, 'second', 'identity.json'))).toBe(false);
  });

  it('refuses a control plane whose CA does not match the token, before sending the secret', async () => {
    const forged = joinToken.replace(/^OJA1-([0-9a-f]{64})-/, (_m, hash: string) => `OJA1-${hash.startsWith('0') ? '1' : '0'}${hash.slice(1)}-`);
    const third = startAgent(['--join', grpcAddress, '--token', forged, '--name', `${NODE}-c`, '--data-dir', join(tmp, 'third'), '--advertise-address', '127.0.0.1']);
    expect(await third.exited).toEqual({ code: 1, signal: null });
    expect(third.tail()).toContain('control plane CA does not match the join token');
  });

  it('delete removes every container of the deployment', async () => {
    const res = await api('DELETE', `/v1/deployments/${web}`);
    expect(res.status).toBeLessThan(300);
    await waitFor(async () => (await containersOf(web)).length === 0, `no container of ${web} left`, CONVERGE_MS);
    expect((await api('GET', `/v1/deployments/${web}`)).status).toBe(404);
  });
});
