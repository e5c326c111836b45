import { startControlPlane, type TestControlPlane } from '../../support/control-plane';
import { type FakeAgent, waitFor } from '../../support/fake-agent';
import { spec, startAgent } from '../gateway/cluster';
import { sampleValue } from './prometheus';

/** The control plane's /metrics after known actions (real Postgres, Redis, BullMQ, fake agents over gRPC). */
describe('control-plane metrics', () => {
  let cp: TestControlPlane;
  let agents: FakeAgent[] = [];
  const scrape = async () => {
    const res = await cp.request('GET', '/metrics');
    expect(res.status).toBe(200);
    return res.text;
  };
  /** Polls until the gauge shows `want` (cluster gauges are cached for a couple of seconds). */
  const expectSample = (name: string, labels: Record<string, string>, want: number) =>
    waitFor(async () => sampleValue(await scrape(), name, labels) === want, `${name}${JSON.stringify(labels)} = ${want}`);

  beforeAll(async () => {
    cp = await startControlPlane();
  });
  afterAll(async () => {
    for (const agent of agents) agent.disconnect();
    await cp?.close();
  });

  it('counts nodes by status, instances by state and tenant, deployments, placements and agent messages, and times their handling', async () => {
    const before = await scrape();
    const placementsBefore = sampleValue(before, 'oja_placements_total') ?? 0;
    expect(sampleValue(before, 'oja_log_streams')).toBe(0);
    expect(sampleValue(before, 'oja_nodes', { status: 'ready' })).toBe(0);

    agents = [await startAgent(cp, 'm-a'), await startAgent(cp, 'm-b'), await startAgent(cp, 'm-c')];
    await expectSample('oja_nodes', { status: 'ready' }, 3);
    const tenant = await cp.tenant();
    await expectSample('oja_deployments', { tenant: tenant.name }, 0);

    expect((await cp.request('PUT', '/v1/deployments/web', { token: tenant.token, body: spec('web', 3) })).status).toBe(201);
    await waitFor(() => agents.every((a) => a.desiredIds().length === 1), 'one instance per agent');
    await expectSample('oja_deployments', { tenant: tenant.name }, 1);
    await expectSample('oja_instances', { tenant: tenant.name, state: 'pending' }, 3);
    expect(sampleValue(await scrape(), 'oja_placements_total')).toBe(placementsBefore + 3);

    for (const agent of agents) agent.reportAllRunning();
    await expectSample('oja_instances', { tenant: tenant.name, state: 'running' }, 3);
    const text = await scrape();
    expect(sampleValue(text, 'oja_instances', { tenant: tenant.name, state: 'pending' })).toBe(0);
    expect(sampleValue(text, 'oja_rollouts', { phase: 'failed' })).toBe(0);
    expect(sampleValue(text, 'oja_scheduling_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(sampleValue(text, 'oja_evaluations_waiting')).toBeGreaterThanOrEqual(0);
    expect(sampleValue(text, 'oja_grpc_agent_streams')).toBe(3);
    expect(sampleValue(text, 'oja_grpc_messages_total', { direction: 'received', kind: 'register' })).toBe(3);
    expect(sampleValue(text, 'oja_grpc_messages_total', { direction: 'sent', kind: 'desiredState' })).toBeGreaterThanOrEqual(6);
    // Handling time of agent messages by kind: one observation per register and per instance report, once handled.
    await expectSample('oja_grpc_message_duration_seconds_count', { kind: 'register' }, 3);
    await expectSample('oja_grpc_message_duration_seconds_count', { kind: 'instanceStatus' }, 3);
    const timed = await scrape();
    expect(sampleValue(timed, 'oja_grpc_message_duration_seconds_bucket', { kind: 'register', le: '+Inf' })).toBe(3);
    expect(sampleValue(timed, 'oja_grpc_message_duration_seconds_sum', { kind: 'register' })).toBeGreaterThan(0);
    // No instance ids as labels on the control plane.
    expect(text).not.toMatch(/instance="/);

    expect((await cp.request('POST', '/v1/nodes/m-c/drain', { token: cp.adminToken })).status).toBe(200);
    await expectSample('oja_nodes', { status: 'draining' }, 1);
    await expectSample('oja_nodes', { status: 'ready' }, 2);
  });
});
