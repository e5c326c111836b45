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
import { haproxyCommand, sessionsByServer } from '../../../apps/agent/src/mesh/runtime-api';
import { startPrivateRegistry, type PrivateRegistry } from '../agent-runtime/private-registry';
import { get, startLoad, type LoadReport, type RunningLoad } from './load';
import { expectNoFailure, meshAnswers as meshAnswersAt, rolledOutTo as rolledOutToRevision } from './rollout-checks';

// Zero-downtime rollouts through the routing mesh on one host: in-process control plane (real Postgres + Redis), the
// BUILT agent (which runs HAProxy), real dockerd. Load goes to the mesh's published port on 127.0.0.1 while the
// deployment rolls v1 → v2, is undone, and a failing v3 and a v4 whose image does not exist (a registry on loopback
// answers "not found") are rolled back automatically: no request may fail. A second deployment shows that a slow
// request in flight on an old instance completes across a rolling update.

const ROOT = join(__dirname, '..', '..', '..');
const IMAGE = 'oja/busybox:1';
const RUN = randomBytes(3).toString('hex');
const NODE = `e2e-mesh-${RUN}`;
const NAME = `site-${RUN}`;
const ROLLOUT_MS = 150_000;
/** Requests per second asked of the load generator (2-core machine, shared with other suites). */
const RATE = 300;
const REGISTRY_CREDENTIAL = 'e2e-registry';
const SLOW = `slow-${RUN}`;
/**
 * How long each slow request takes: more than the fixed 10 s the drain used to wait plus the time the rollout takes to
 * stop the old instances, less than their grace period.
 */
const SLOW_SECONDS = 30;

let cp: TestControlPlane;
let token: string;
let tmp: string;
let agent: AgentProcess | undefined;
let publish: number;
let slowPublish: number;
let registry: PrivateRegistry | undefined;
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

/** The runtime-API socket of the agent's HAProxy. */
function adminSocket(): string {
  const { nodeId } = JSON.parse(readFileSync(join(tmp, 'agent', 'identity.json'), 'utf8')) as { nodeId: string };
  return join(tmp, 'run', `mesh-${nodeId}`, 'haproxy.sock');
}

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
  slowPublish = await freePort();
  registry = await startPrivateRegistry('e2e', randomBytes(12).toString('hex'));
  cp = await startControlPlane();
  token = (await cp.tenant(`mesh-${RUN}`)).token;
  await api('POST', '/v1/registry-credentials', {
    name: REGISTRY_CREDENTIAL, server: registry.address, username: registry.username, password: registry.password,
  });
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
    () => registry?.stop(),
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
    const stat = await haproxyCommand(adminSocket(), ['show stat']);
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

  it('a v4 whose image does not exist fails at its deadline and is rolled back: 0 failed requests, only v1 answers', async () => {
    const missing = `${registry!.address}/oja/missing-${RUN}:1`;
    startTraffic();
    await api(
      'PUT',
      `/v1/deployments/${NAME}`,
      site('v4', {
        image: missing,
        registryCredential: REGISTRY_CREDENTIAL,
        update: { maxSurge: 1, maxUnavailable: 0, minReadySeconds: 1, progressDeadlineSeconds: 5, autoRollback: true },
      }),
    );
    // Revision 6 (v4) fails: the registry has no such image (the pull is retried with back-off); revision 7 carries revision 5's spec (v1).
    await rolledOutTo(7);
    const report = await stopTraffic('missing image v4→auto-rollback');
    expectNoFailure(report);
    expect(Object.keys(report.bodies)).toEqual(['v1']);
    for (let i = 0; i < 30; i++) expect(await get('127.0.0.1', publish)).toMatchObject({ status: 200, body: 'v1' });

    const { items } = (await api('GET', `/v1/events?deployment=${NAME}&limit=1000`)) as { items: EventView[] };
    const oldestFirst = [...items].reverse();
    const failedPull = oldestFirst.find((e) => e.type === 'instance.failed' && e.message.includes(`image not found: ${missing}`));
    const failed = oldestFirst.findIndex((e) => e.type === 'rollout.failed' && e.message.includes('revision 6'));
    const rolledBack = oldestFirst.findIndex((e) => e.type === 'rollout.rolledback' && e.message === 'revision 6 failed; rolled back to revision 5 (as revision 7)');
    expect(failedPull).toBeDefined();
    expect(failed).toBeGreaterThanOrEqual(0);
    expect(rolledBack).toBeGreaterThan(failed);
  });
});

/**
 * Serves on 8080 like `site`, plus /cgi-bin/slow?N, which answers its version after N seconds. The shell (PID 1)
 * exits on SIGTERM, taking httpd and every request still in flight with it, as most servers do.
 */
function slowSite(version: string): DeploymentSpecInput {
  return {
    name: SLOW,
    image: IMAGE,
    replicas: 3,
    command: [
      'sh', '-c',
      [
        'mkdir -p /www/cgi-bin; echo "$VERSION" > /www/index.html',
        "cat > /www/cgi-bin/slow <<'CGI'",
        '#!/bin/sh',
        'sleep "$QUERY_STRING"',
        `printf 'Content-Type: text/plain\\r\\n\\r\\n%s\\n' "$VERSION"`,
        'CGI',
        'chmod +x /www/cgi-bin/slow',
        'trap "exit 0" TERM; httpd -f -p 8080 -h /www & wait',
      ].join('\n'),
    ],
    env: { VERSION: version },
    ports: [{ name: 'http', container: 8080, publish: slowPublish }],
    resources: { cpu: 0.05, memoryMb: 32 },
    // A TCP probe makes the route TCP mode, where HAProxy never retries a request that was cut (HTTP mode would retry it elsewhere).
    health: { tcp: { port: 8080 }, intervalSeconds: 1, timeoutSeconds: 1, failureThreshold: 2 },
    // All three new instances at once, so all three old ones are stopped as soon as the new ones are available.
    update: { maxSurge: 3, maxUnavailable: 0, minReadySeconds: 1, progressDeadlineSeconds: 120, autoRollback: false },
    stopGracePeriodSeconds: 90,
  };
}

describe('routing mesh on one host: an instance is drained before it stops', () => {
  it('slow requests in flight on the old instances complete across a rolling update (drained for up to the grace period)', async () => {
    await api('PUT', `/v1/deployments/${SLOW}`, slowSite('slow-v1'));
    await rolledOutToRevision(api, SLOW, 1, 3, ROLLOUT_MS);
    await meshAnswersAt('127.0.0.1', slowPublish, 'slow-v1', ROLLOUT_MS);

    // One slow request per old instance (round robin), all open in HAProxy before the rollout starts.
    const slow = Array.from({ length: 3 }, () => get('127.0.0.1', slowPublish, 3 * SLOW_SECONDS * 1000, false, `/cgi-bin/slow?${SLOW_SECONDS}`));
    await waitFor(async () => {
      const sessions = sessionsByServer(await haproxyCommand(adminSocket(), ['show stat']));
      return [...sessions].filter(([server]) => server.startsWith(`p${slowPublish}/s`)).reduce((n, [, count]) => n + count, 0) === 3;
    }, 'the 3 slow requests open in HAProxy');

    await api('PUT', `/v1/deployments/${SLOW}`, slowSite('slow-v2'));
    const answers = await Promise.all(slow);
    expect(answers.map(({ status, body, error }) => ({ status, body, error }))).toEqual(Array(3).fill({ status: 200, body: 'slow-v1', error: undefined }));
    await rolledOutToRevision(api, SLOW, 2, 3, ROLLOUT_MS);
    await meshAnswersAt('127.0.0.1', slowPublish, 'slow-v2', ROLLOUT_MS);
  });
});
