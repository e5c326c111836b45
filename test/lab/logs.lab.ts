import type { LogEntry } from '@oja/contracts';
import { timestampKey } from '../../apps/control-plane/src/logs/log-merge';
import { openLogs, readLogs } from '../integration/logs/log-stream';
import { sampleValue } from '../integration/metrics/prometheus';
import { METRICS_PORT, OverlayCluster, type Tenant } from './overlay-cluster';
import { waitFor } from './processes';

// Three lab hosts, one replica of a chatty deployment on each: `oja logs` merges all three hosts in time order,
// follows them, and a disconnecting reader closes the Docker log stream on every host.
describe('logs across three hosts', () => {
  let cluster: OverlayCluster;
  let tenant: Tenant;
  const hosts = [1, 2, 3];
  const api = () => ({ baseUrl: cluster.controlPlane.httpUrl });
  const agentLogStreams = async (n: number) => {
    const res = await fetch(`http://${cluster.lab.hostAddress(n)}:${METRICS_PORT}/metrics`);
    return sampleValue(await res.text(), 'oja_agent_log_streams');
  };

  beforeAll(async () => {
    cluster = await OverlayCluster.start(3);
    tenant = await cluster.tenant('logs');
    await cluster.deploy(tenant, {
      name: 'chatty',
      image: 'oja/busybox:1',
      replicas: 3,
      command: ['sh', '-c', 'i=0; while true; do echo "out $(hostname) $i"; echo "err $i" >&2; i=$((i+1)); sleep 0.2; done'],
      resources: { cpu: 0.05, memoryMb: 32 },
    });
    await cluster.waitRunning(tenant, 'chatty', 3);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('merges the replicas of all three hosts in time order, stdout and stderr told apart', async () => {
    let entries: LogEntry[] = [];
    await waitFor('4 lines from every host', async () => {
      entries = await readLogs(api(), tenant.token, '/v1/deployments/chatty/logs?tail=4');
      return entries.length === 12;
    }, 60_000);
    expect(new Set(entries.map((e) => e.node))).toEqual(new Set(hosts.map((n) => cluster.lab.hostName(n))));
    expect(new Set(entries.map((e) => e.instance)).size).toBe(3);
    for (const e of entries) expect(e.line).toMatch(e.stream === 'stdout' ? /^out \S+ \d+$/ : /^err \d+$/);
    const keys = entries.map((e) => timestampKey(e.ts));
    expect([...keys].sort()).toEqual(keys);
  });

  it('follows every host; a disconnecting reader leaves no log stream open on any agent', async () => {
    const stream = await openLogs(api(), tenant.token, '/v1/deployments/chatty/logs?follow=true&tail=0');
    expect(stream.status).toBe(200);
    await waitFor('live lines from every host', () => hosts.every((n) => stream.entries.some((e) => e.node === cluster.lab.hostName(n))), 60_000);
    for (const n of hosts) expect(await agentLogStreams(n)).toBe(1);
    stream.close();
    for (const n of hosts) await waitFor(`no log stream on host ${n}`, async () => (await agentLogStreams(n)) === 0, 30_000);
  });
});
