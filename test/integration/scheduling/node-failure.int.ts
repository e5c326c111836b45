import type { InstanceStatus } from '@oja/proto';
import { startControlPlane, type TestControlPlane } from '../../support/control-plane';
import { FakeAgent, waitFor } from '../../support/fake-agent';
import { grpcAddress, spec, sql, startAgent, totalDesired } from '../gateway/cluster';
import { nodeEvents, TenantApi } from './tenant-api';

const GRACE_SECONDS = '3';
// The monitor waits grace + the agents' reconnect time after a start before it judges silence.
const DOWN_TIMEOUT_MS = 45_000;

const runningReport = (id: string): InstanceStatus => ({
  instanceId: id, state: 'running', containerId: `c-${id.slice(0, 8)}`, overlayIp: '', healthy: true, restarts: 0, exitCode: -1, reason: '',
  lastChecks: [], at: new Date().toISOString(), pulledImage: '',
});

// Two control-plane replicas on one database and queue prefix, both running the node monitor, the sweep and the
// evaluation workers; agents connected to either. A node that goes silent is acted on once.
describe('node failure and recovery, two control-plane replicas', () => {
  let a: TestControlPlane;
  let b: TestControlPlane;
  let api: TenantApi;
  let agents: FakeAgent[] = [];

  beforeAll(async () => {
    a = await startControlPlane({ env: { OJA_NODE_GRACE_SECONDS: GRACE_SECONDS } });
    b = await startControlPlane({
      database: a.database, queuePrefix: a.config.queuePrefix, env: { OJA_ADMIN_TOKEN: a.adminToken, OJA_NODE_GRACE_SECONDS: GRACE_SECONDS },
    });
    api = new TenantApi(a, await a.tenant());
    agents = [await startAgent(a, 'nf-1'), await startAgent(b, 'nf-2'), await startAgent(a, 'nf-3'), await startAgent(b, 'nf-4')];
  });
  afterAll(async () => {
    for (const agent of agents) agent.disconnect();
    await b?.close();
    await a?.close();
  });

  it('marks a silent node down once, its instances lost, and places exactly one replacement for each elsewhere', async () => {
    await api.apply(spec('api', 6));
    await waitFor(() => totalDesired(agents) === 6, 'six desired instances');
    for (const agent of agents) agent.reportAllRunning();
    await waitFor(async () => (await api.deployment('api')).status.phase === 'complete' || undefined, 'rollout complete');
    const [silent, ...live] = [...agents].sort((x, y) => y.desiredIds().length - x.desiredIds().length);
    const lostIds = silent.desiredIds();
    expect(lostIds.length).toBeGreaterThan(0);

    silent.stopHeartbeats();
    await waitFor(async () => (await sql(a, `SELECT 1 FROM nodes WHERE name = $1 AND status = 'down'`, [silent.name])).length === 1 || undefined,
      `${silent.name} down`, DOWN_TIMEOUT_MS);
    await waitFor(() => totalDesired(live) === 6, 'six instances on the live nodes', DOWN_TIMEOUT_MS);
    expect(live.flatMap((agent) => agent.desiredIds()).filter((id) => lostIds.includes(id))).toEqual([]);
    for (const agent of live) agent.reportAllRunning();
    await waitFor(async () => (await api.deployment('api')).status.phase === 'complete' || undefined, 'complete again');

    const lost = await sql<{ observed: string; desired: string }>(a, `SELECT observed, desired FROM instances WHERE id = ANY($1::uuid[])`, [lostIds]);
    expect(lost.every((row) => row.observed === 'lost' && row.desired === 'stopped')).toBe(true);
    // Acted on once, although both replicas watch the node and both run workers.
    expect(await nodeEvents(a, silent.name, 'node.down')).toHaveLength(1);
    expect(await api.events('api', 'instance.scheduled')).toHaveLength(6 + lostIds.length);
    const [running] = await sql<{ n: number }>(a, `SELECT count(*)::int AS n FROM instances WHERE desired = 'running'`);
    expect(running.n).toBe(6);

    // The node returns (through the other replica) still running its old copies: it is told to stop them.
    silent.disconnect();
    const other = silent.options.address === grpcAddress(a) ? b : a;
    const back = new FakeAgent({ ...silent.options, address: grpcAddress(other) });
    back.identity = silent.identity;
    back.connect(lostIds.map(runningReport));
    agents.push(back);
    await waitFor(async () => (await sql(a, `SELECT 1 FROM nodes WHERE name = $1 AND status = 'ready'`, [silent.name])).length === 1 || undefined,
      `${silent.name} ready`);
    await waitFor(() => back.desired !== undefined, 'a desired set for the returning node');
    expect(back.desiredIds().filter((id) => lostIds.includes(id))).toEqual([]);
    expect(await nodeEvents(a, silent.name, 'node.up')).toHaveLength(1);
    expect(totalDesired([back, ...live])).toBe(6);
    // Once it converged (heartbeat), the lost rows are forgotten.
    back.heartbeat();
    await waitFor(async () => (await sql(a, `SELECT 1 FROM instances WHERE id = ANY($1::uuid[])`, [lostIds])).length === 0 || undefined, 'lost rows deleted');
  });
});
