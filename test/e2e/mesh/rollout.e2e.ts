import type { DeploymentSpecInput, EventView } from '@oja/contracts';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentGatewayServer } from '../../../apps/control-plane/src/gateway/agent-gateway.server';
import { startControlPlane, type TestControlPlane } from '../../support/control-plane';
import { freePort } from '../../support/ports';
import { waitFor } from '../../support/fake-agent';
import { docker, removeNodeContainers } from '../agent-runtime/support';
import { AgentProcess } from '../single-host/agent-process';
import { haproxyCommand } from '../../../apps/agent/src/mesh/runtime-api';
import { get, startLoad, type LoadReport, type RunningLoad } from './load';
import { expectNoFailure, meshAnswers as meshAnswersAt, rolledOutTo as rolledOutToRevision } from './rollout-checks';

// Zero-downtime rollouts through the routing mesh on one host: in-process control plane (real Postgres + Redis), the
// BUILT agent (which runs HAProxy), real dockerd. Load goes to the mesh's published port on 127.0.0.1 while the
// deployment rolls v1 → v2, is undone, and a failing v3 is rolled back automatically: no request may fail.

const ROOT = join(__dirname, '..', '..', '..');
const IMAGE = 'oja/busybox:1';
const RUN = randomBytes(3).toString('hex');
const NODE = `e2e-mesh-${RUN}`;
const NAME = `site-${RUN}`;
const ROLLOUT_MS = 150_000;
/** Requests per second asked of the load generator (2-core machine, shared with other suites). */
const RATE = 300;

let cp: TestControlPlane;
let token: string;
let tmp: string;
let agent: AgentProcess | undefined;
let publish: number;
let load: RunningLoad | undefined;
const reports: Record<string, LoadReport> = {};

/** busybox httpd answering its version on / (also its health check), published on the mesh port. */
function site(version: string, extra: Partial<DeploymentSpecInput> = {}): DeploymentSpecInput {
  return {
    name: NAME,
    image: IMAGE,
    replicas: 3,
    command: ['sh', '-c', 'echo "$VERSION" > /www/index.html; exec httpd -f -p 8080 -h /www'],
    env: { VERSION: version },
    ports: [{ name: 'http', container: 8080, publish }],
    resources: { cpu: 0.05, memoryMb: 32 },
    health: { http: { path: '/', port: 8080 }, intervalSeconds: 1, timeoutSeconds: 1, failureThreshold: 2 },
    update: { maxSurge: 1, maxUnavailable: 0, minReadySeconds: 1, progressDeadlineSeconds: 60, autoRollback: true },
    stopGracePeriodSeconds: 2,
    ...extra,
  };
}

async function api(method: string, path: string, body?: unknown) {
  const res = await cp.request(method, path, { token, body });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
  return res.body;
}

const rolledOutTo = (revision: number) =>
  rolledOutToRevision(api, NAME, revision, 3, ROLLOUT_MS).catch((err: Error) => {
    throw new Error(`${err.message}\n  agent log:\n${agent?.tail(20)}`);
  });
const meshAnswers = (body: string) => meshAnswersAt('127.0.0.1', publish, body, ROLLOUT_MS);

function startTraffic(): void {
  load = startLoad({ host: '127.0.0.1', port: publish, ratePerSecond: RATE, maxSeconds: ROLLOUT_MS / 1000 });
}

async function stopTraffic(phase: string): Promise<LoadReport> {
  const report = await load!.stop();
  load = undefined;
  reports[phase] = report;
  return report;
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'apps/agent/dist/main.js'))) throw new Error('build first: npx nx run-many -t build');
  await docker.getImage(IMAGE).inspect();
  tmp = mkdtempSync(join(tmpdir(), 'oja-mesh-')); // short: unix socket paths below it stay under 108 bytes
  publish = await freePort();
  cp = await startControlPlane();
  token = (await cp.tenant(`mesh-${RUN}`)).token;
  const minted = await cp.request('POST', '/v1/join-tokens', { token: cp.adminToken, body: {} });
  agent = new AgentProcess(
    [
      '--join', `127.0.0.1:${cp.app.get(AgentGatewayServer).port}`, '--token', minted.body.token, '--name', NODE,
      '--data-dir', join(tmp, 'agent'), '--advertise-address', '127.0.0.1', '--capacity-cpu', '4', '--capacity-memory-mb', '4096',
      '--no-overlay', // the overlay is one per host netns: the multi-host lab covers it
    ],
    join(tmp, 'agent.log'),
    // The mesh listens on loopback only (other suites may publish the same ports); its sockets stay in the temp dir.
    { OJA_MESH_BIND_ADDRESS: '127.0.0.1', OJA_RUN_DIR: join(tmp, 'run') },
  );
  await waitFor(() => agent!.count('registered with the control plane') >= 1, 'registration', 60_000).catch((err: Error) => {
    throw new Error(`${err.message}\n${agent!.tail()}`);
  });
});

afterAll(async () => {
  const steps: (() => unknown)[] = [
    async () => {
      if (load) reports['unfinished (a test failed)'] = await load.stop();
    },
    () => agent?.stop(),
    () => removeNodeContainers(NODE),
    () => cp?.close(),
    () => tmp && !process.env.OJA_E2E_KEEP && rmSync(tmp, { recursive: true, force: true }),
  ];
  const failures: unknown[] = [];
  for (const step of steps) await Promise.resolve().then(step).catch((err) => failures.push(err));
  // The figures, for docs/benchmarks.md and the final report (no timing is asserted).
  if (Object.keys(reports).length) console.log(`mesh rollout load (asked ${RATE} req/s):\n${JSON.stringify(reports, null, 2)}`);
  if (failures.length > 0) throw failures[0];
});

describe('routing mesh on one host: rollouts under load drop no request', () => {
  it('serves v1 through HAProxy on the published port, balanced over the 3 instances', async () => {
    await api('PUT', `/v1/deployments/${NAME}`, site('v1'));
    await rolledOutTo(1);
    await meshAnswers('v1');
    // The agent wrote its HAProxy config in its data dir; the instances went into server slots through the runtime API.
    expect(readFileSync(join(tmp, 'agent', 'haproxy.cfg'), 'utf8')).toContain(`bind 127.0.0.1:${publish}`);
    const { nodeId } = JSON.parse(readFileSync(join(tmp, 'agent', 'identity.json'), 'utf8')) as { nodeId: string };
    const stat = await haproxyCommand(join(tmp, 'run', `mesh-${nodeId}`, 'haproxy.sock'), ['show stat']);
    const servers = stat.split('\n').filter((l) => l.startsWith(`p${publish},s`)).map((l) => l.split(',')[17]);
    expect(servers.filter((status) => status === 'UP')).toHaveLength(3);
    expect(servers.filter((status) => status !== 'UP').every((status) => status === 'MAINT')).toBe(true);
  });

  it('rolls v1 → v2 with 0 failed requests; afterwards only v2 answers', async () => {
    startTraffic();
    await api('PUT', `/v1/deployments/${NAME}`, site('v2'));
    await rolledOutTo(2);
    await meshAnswers('v2');
    const report = await stopTraffic('v1→v2');
    expectNoFailure(report);
    expect(report.bodies.v1).toBeGreaterThan(0);
    expect(report.bodies.v2).toBeGreaterThan(0);
    for (let i = 0; i < 30; i++) expect(await get('127.0.0.1', publish)).toMatchObject({ status: 200, body: 'v2' });
  });

  it('undo (rollback to v1) under load: 0 failed requests, only v1 afterwards', async () => {
    startTraffic();
    await api('POST', `/v1/deployments/${NAME}/rollback`, {});
    await rolledOutTo(3);
    await meshAnswers('v1');
    expectNoFailure(await stopTraffic('undo→v1'));
    for (let i = 0; i < 30; i++) expect(await get('127.0.0.1', publish)).toMatchObject({ status: 200, body: 'v1' });
  });

  it('a v3 that never gets healthy is rolled back automatically: 0 failed requests, v1 answers throughout', async () => {
    startTraffic();
    await api(
      'PUT',
      `/v1/deployments/${NAME}`,
      site('v3', {
        health: { http: { path: '/never-there', port: 8080 }, intervalSeconds: 1, timeoutSeconds: 1, failureThreshold: 2 },
        update: { maxSurge: 1, maxUnavailable: 0, minReadySeconds: 1, progressDeadlineSeconds: 10, autoRollback: true },
      }),
    );
    // Revision 4 (v3) fails; revision 5 carries revision 3's spec (v1).
    await rolledOutTo(5);
    const report = await stopTraffic('failing v3→auto-rollback');
    expectNoFailure(report);
    expect(Object.keys(report.bodies)).toEqual(['v1']);
    const events = (await api('GET', `/v1/events?deployment=${NAME}`)) as { items: EventView[] };
    const types = events.items.map((e) => e.type);
    expect(types).toContain('rollout.failed');
    expect(events.items.find((e) => e.type === 'rollout.rolledback')?.message).toBe('revision 4 failed; rolled back to revision 3 (as revision 5)');
  });
});
