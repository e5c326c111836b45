import type { EventView } from '@oja/contracts';
import { startLoad, type LoadReport, type RunningLoad } from '../e2e/mesh/load';
import { expectNoFailure, meshAnswers, rolledOutTo } from '../e2e/mesh/rollout-checks';
import { OverlayCluster, type Tenant } from './overlay-cluster';
import { waitFor } from './processes';

// Three lab hosts, the built control plane and agents: every host's routing mesh listens on the published port and
// balances over the instances on all hosts through the overlay. Load goes from the root netns to host 1's mesh
// (a lab address) while the deployment rolls; the control plane is SIGKILLed mid-rollout and restarted; a failing
// revision is rolled back automatically; an undo returns to revision 1; a host is drained and another dedicated to
// a second tenant, which moves instances off them. No request may fail.

const NAME = 'site';
const PUBLISH = 8090;
const ROLLOUT_MS = 240_000;
/**
 * Requests per second asked of the load generator: 1,000 as the issue asks. On a 2-core machine that also runs 3
 * engines, 3 agents, 3 HAProxies and the control plane the generator may reach less: each phase's achieved rate is
 * printed after the run (figures in docs/benchmarks.md). OJA_LAB_ROLLOUT_RATE overrides the rate.
 */
const RATE = Number(process.env.OJA_LAB_ROLLOUT_RATE ?? 1000);
/** Enough request loops for the rate when one request (a new connection each) takes a few ms. */
const CONCURRENCY = Math.max(8, Math.ceil(RATE / 20));

function site(version: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: NAME,
    image: 'oja/busybox:1',
    replicas: 3,
    command: ['sh', '-c', 'mkdir -p /tmp/www && echo "$VERSION" > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www'],
    env: { VERSION: version },
    ports: [{ name: 'http', container: 8080, publish: PUBLISH }],
    resources: { cpu: 0.1, memoryMb: 32 },
    health: { http: { path: '/', port: 8080 }, intervalSeconds: 1, timeoutSeconds: 1, failureThreshold: 2 },
    update: { maxSurge: 1, maxUnavailable: 0, minReadySeconds: 1, progressDeadlineSeconds: 90, autoRollback: true },
    stopGracePeriodSeconds: 2,
    ...extra,
  };
}

describe('rollouts across lab hosts through the routing mesh', () => {
  let cluster: OverlayCluster;
  let tenant: Tenant;
  let load: RunningLoad | undefined;
  const reports: Record<string, LoadReport> = {};

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await cluster.api(method, path, body, tenant.token);
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const host = (n: number) => cluster.lab.hostAddress(n);
  const traffic = () => (load = startLoad({ host: host(1), port: PUBLISH, ratePerSecond: RATE, concurrency: CONCURRENCY, maxSeconds: ROLLOUT_MS / 1000 }));
  const stopTraffic = async (phase: string) => {
    reports[phase] = await load!.stop();
    load = undefined;
    return reports[phase];
  };

  beforeAll(async () => {
    // The default node grace (10 s): with less, heartbeats of a loaded 2-core machine miss it and nodes flap down.
    cluster = await OverlayCluster.start(3, { env: { OJA_NODE_GRACE_SECONDS: '10' } });
    tenant = await cluster.tenant('roll');
  });

  afterAll(async () => {
    if (load) reports['unfinished (a test failed)'] = await load.stop();
    if (Object.keys(reports).length) console.log(`lab mesh rollout load to host 1 (asked ${RATE} req/s):\n${JSON.stringify(reports, null, 2)}`);
    await cluster?.stop();
  });

  it('serves v1 on every host, balanced over instances on several hosts', async () => {
    await api('PUT', `/v1/deployments/${NAME}`, site('v1'));
    await rolledOutTo(api, NAME, 1, 3, ROLLOUT_MS);
    const instances = (await api('GET', `/v1/deployments/${NAME}/instances`)).items as { node: string }[];
    // Spread puts them one per host; at least two hosts prove the mesh routes across the overlay.
    expect(new Set(instances.map((i) => i.node)).size).toBeGreaterThanOrEqual(2);
    for (const n of [1, 2, 3]) await meshAnswers(host(n), PUBLISH, 'v1', 60_000);
  });

  it('rolls v1 → v2 under load with the control plane SIGKILLed mid-rollout: 0 failed requests', async () => {
    traffic();
    await api('PUT', `/v1/deployments/${NAME}`, site('v2'));
    // Mid-rollout: the first v2 instance has come up, old ones are still serving.
    await waitFor('a first v2 instance', async () => {
      const items = (await api('GET', `/v1/deployments/${NAME}/instances`)).items as { revision: number; state: string }[];
      return items.some((i) => i.revision === 2 && i.state === 'healthy') && items.some((i) => i.revision === 1);
    }, ROLLOUT_MS);
    await cluster.restartControlPlane('SIGKILL');
    await rolledOutTo(api, NAME, 2, 3, ROLLOUT_MS);
    for (const n of [1, 2, 3]) await meshAnswers(host(n), PUBLISH, 'v2', 60_000);
    const report = await stopTraffic('v1→v2 (control plane killed)');
    expectNoFailure(report);
    expect(report.bodies.v2).toBeGreaterThan(0);
  });

  it('rolls a failing v3 back automatically under load: 0 failed requests, v2 answers throughout', async () => {
    traffic();
    await api('PUT', `/v1/deployments/${NAME}`, site('v3', {
      health: { http: { path: '/never-there', port: 8080 }, intervalSeconds: 1, timeoutSeconds: 1, failureThreshold: 2 },
      update: { maxSurge: 1, maxUnavailable: 0, minReadySeconds: 1, progressDeadlineSeconds: 10, autoRollback: true },
    }));
    await rolledOutTo(api, NAME, 4, 3, ROLLOUT_MS);
    const report = await stopTraffic('failing v3→auto-rollback');
    expectNoFailure(report);
    expect(Object.keys(report.bodies)).toEqual(['v2']);
    const events = (await api('GET', `/v1/events?deployment=${NAME}`)).items as EventView[];
    expect(events.find((e) => e.type === 'rollout.rolledback')?.message).toBe('revision 3 failed; rolled back to revision 2 (as revision 4)');
  });

  it('undoes to revision 1 under load: 0 failed requests, only v1 afterwards', async () => {
    traffic();
    await api('POST', `/v1/deployments/${NAME}/rollback`, { revision: 1 });
    await rolledOutTo(api, NAME, 5, 3, ROLLOUT_MS);
    for (const n of [1, 2, 3]) await meshAnswers(host(n), PUBLISH, 'v1', 60_000);
    const report = await stopTraffic('undo to revision 1');
    expectNoFailure(report);
    expect(report.bodies.v1).toBeGreaterThan(0);
  });

  // Drain and dedicate move instances with the same new-before-old replacement as a rollout: no request may fail.
  const nodeAction = async (n: number, action: string, body?: unknown) => {
    const res = await cluster.api('POST', `/v1/nodes/${cluster.lab.hostName(n)}/${action}`, body);
    if (res.status >= 300) throw new Error(`${action} ${cluster.lab.hostName(n)}: ${res.status} ${JSON.stringify(res.body)}`);
  };
  const instancesOn = async (n: number) =>
    ((await api('GET', `/v1/deployments/${NAME}/instances`)).items as { node: string; state: string }[]).filter((i) => i.node === cluster.lab.hostName(n));
  const settled = async (off: number) =>
    waitFor(`3 healthy instances of ${NAME}, none on host ${off}`, async () => {
      const items = (await api('GET', `/v1/deployments/${NAME}/instances`)).items as { node: string; state: string }[];
      return items.length === 3 && items.every((i) => i.state === 'healthy' && i.node !== cluster.lab.hostName(off));
    }, ROLLOUT_MS);

  // Rollouts keep the spread (one instance per host), but a host that flapped down under load leaves it uneven:
  // drain host 2, or host 3 if 2 runs none, then dedicate the other of the two (host 1 takes the load).
  let drainedHost = 2;

  it('drains host 2 (or 3) under load: its instance moves off, 0 failed requests', async () => {
    drainedHost = (await instancesOn(2)).length > 0 ? 2 : 3;
    expect((await instancesOn(drainedHost)).length).toBeGreaterThan(0);
    traffic();
    await nodeAction(drainedHost, 'drain');
    await settled(drainedHost);
    for (const n of [1, 2, 3].filter((n) => n !== drainedHost)) await meshAnswers(host(n), PUBLISH, 'v1', 60_000);
    const report = await stopTraffic(`drain host ${drainedHost}`);
    await nodeAction(drainedHost, 'undrain');
    expectNoFailure(report);
  });

  it("dedicates the other of hosts 2 and 3 to another tenant under load: this tenant's instance moves off, 0 failed requests", async () => {
    const dedicatedHost = 5 - drainedHost;
    expect((await instancesOn(dedicatedHost)).length).toBeGreaterThan(0);
    const other = await cluster.tenant('owner');
    traffic();
    await nodeAction(dedicatedHost, 'dedicate', { tenant: other.name });
    await settled(dedicatedHost);
    const report = await stopTraffic(`dedicate host ${dedicatedHost}`);
    await nodeAction(dedicatedHost, 'undedicate');
    expectNoFailure(report);
  });
});
