import { startControlPlane, type TestControlPlane } from '../../support/control-plane';
import { type FakeAgent, waitFor } from '../../support/fake-agent';
import { spec, startAgent } from '../gateway/cluster';
import { sampleValue } from '../metrics/prometheus';
import { openLogs, readLogs } from './log-stream';

/** Logs asked of a replica that does not hold the node's stream travel through Redis to the one that does. */
describe('logs across control-plane replicas', () => {
  let a: TestControlPlane;
  let b: TestControlPlane;
  let agent: FakeAgent;
  let tenant: { token: string };
  let instanceId: string;

  beforeAll(async () => {
    a = await startControlPlane();
    b = await startControlPlane({ database: a.database, queuePrefix: a.config.queuePrefix, env: { OJA_ADMIN_TOKEN: a.adminToken } });
    agent = await startAgent(a, 'relay-a'); // the node's stream is held by A only
    tenant = await a.tenant();
    expect((await a.request('PUT', '/v1/deployments/api', { token: tenant.token, body: spec('api', 1) })).status).toBe(201);
    [instanceId] = await waitFor(() => agent.desiredIds().length === 1 && agent.desiredIds(), 'the instance on the agent');
    agent.logLines.set(instanceId, [
      { ts: '2026-11-23T10:00:00.1Z', stream: 'stdout', line: 'one' },
      { ts: '2026-11-23T10:00:00.2Z', stream: 'stderr', line: 'two' },
    ]);
    agent.reportAllRunning();
    await waitFor(async () => (await b.request('GET', '/v1/deployments/api/instances', { token: tenant.token })).body.items[0]?.containerId, 'container id');
  });
  afterAll(async () => {
    agent?.disconnect();
    await b?.close();
    await a?.close();
  });

  it('serves a snapshot through the other replica', async () => {
    const entries = await readLogs(b, tenant.token, '/v1/deployments/api/logs');
    expect(entries.map((e) => [e.stream, e.line, e.node, e.instance])).toEqual([
      ['stdout', 'one', 'relay-a', instanceId],
      ['stderr', 'two', 'relay-a', instanceId],
    ]);
  });

  it('follows through the other replica and cancels the agent stream when the reader leaves', async () => {
    const stream = await openLogs(b, tenant.token, '/v1/deployments/api/logs?follow=true&tail=0');
    const [requestId] = await waitFor(() => agent.openLogRequests.size === 1 && [...agent.openLogRequests.keys()], 'the follow request on the agent');
    agent.log(instanceId, { ts: new Date().toISOString(), stream: 'stdout', line: 'relayed live' });
    await waitFor(() => stream.entries.some((e) => e.line === 'relayed live'), 'the live line through B');
    expect(sampleValue((await b.request('GET', '/metrics')).text, 'oja_log_streams')).toBe(1);

    stream.close();
    await waitFor(() => agent.logCancels.includes(requestId), 'LogCancel relayed to the agent');
    expect(agent.openLogRequests.size).toBe(0);
    await waitFor(async () => sampleValue((await b.request('GET', '/metrics')).text, 'oja_log_streams') === 0, 'oja_log_streams on B back to 0');
  });
});
