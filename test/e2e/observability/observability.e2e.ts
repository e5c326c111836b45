import type { DeploymentSpecInput, InstanceView } from '@oja/contracts';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentGatewayServer } from '../../../apps/control-plane/src/gateway/agent-gateway.server';
import { timestampKey } from '../../../apps/control-plane/src/logs/log-merge';
import { startControlPlane, type TestControlPlane } from '../../support/control-plane';
import { waitFor } from '../../support/fake-agent';
import { freePort } from '../../support/ports';
import { runEveryStep } from '../../support/teardown';
import { openLogs, readLogs } from '../../integration/logs/log-stream';
import { sampleValue } from '../../integration/metrics/prometheus';
import { docker, removeNodeContainers } from '../agent-runtime/support';
import { AgentProcess } from '../single-host/agent-process';

// Logs and metrics end to end on one host: the control plane in-process (real Postgres + Redis), the BUILT agent as
// a child process, the real dockerd and containers writing to stdout and stderr. The agent runs with --no-overlay
// (the overlay is one per host network namespace; the lab tests it).

const IMAGE = 'oja/busybox:1';
const RUN = randomBytes(3).toString('hex');
const NODE = `e2e-obs-${RUN}`;
const CONVERGE_MS = 90_000;

let cp: TestControlPlane;
let agent: AgentProcess | undefined;
let tmp: string;
let token: string;
let metricsPort: number;

/** Two replicas printing a numbered line to stdout and one to stderr five times a second. */
const chatty = (name: string): DeploymentSpecInput => ({
  name,
  image: IMAGE,
  replicas: 2,
  command: ['sh', '-c', 'i=0; while true; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); sleep 0.2; done'],
  resources: { cpu: 0.05, memoryMb: 32 },
  stopGracePeriodSeconds: 1,
});

const agentMetrics = async () => {
  const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  if (res.status !== 200) throw new Error(`agent metrics: ${res.status}`);
  return res.text();
};
const controlPlaneMetrics = async () => (await cp.request('GET', '/metrics')).text;

beforeAll(async () => {
  if (!existsSync(join(__dirname, '../../../apps/agent/dist/main.js'))) throw new Error('build the agent first (npx nx run-many -t build)');
  await docker.getImage(IMAGE).inspect(); // set up by deploy/lib (npm test does it)
  tmp = mkdtempSync(join(tmpdir(), 'oja-obs-'));
  cp = await startControlPlane();
  token = (await cp.tenant(`obs-${RUN}`)).token;
  const joinToken = (await cp.request('POST', '/v1/join-tokens', { token: cp.adminToken, body: {} })).body.token as string;
  metricsPort = await freePort();
  agent = new AgentProcess(
    [
      '--join', `127.0.0.1:${cp.app.get(AgentGatewayServer).port}`, '--token', joinToken, '--name', NODE, '--data-dir', join(tmp, 'agent'),
      '--advertise-address', '127.0.0.1', '--metrics-addr', `127.0.0.1:${metricsPort}`, '--no-overlay',
    ],
    join(tmp, 'agent.log'),
    { OJA_RUN_DIR: join(tmp, 'run') },
  );
  const started = agent;
  await waitFor(() => started.count('registered with the control plane') >= 1, `agent registration\n${started.tail()}`, CONVERGE_MS);
});

afterAll(async () => {
  const steps: (() => unknown)[] = [
    () => agent?.stop(),
    () => removeNodeContainers(NODE),
    () => cp?.close(),
    () => tmp && !process.env.OJA_E2E_KEEP && rmSync(tmp, { recursive: true, force: true }),
  ];
  await runEveryStep(steps);
});

describe('observability on one host: logs from real containers, metrics of agent and control plane', () => {
  const name = `chatty-${RUN}`;
  let items: InstanceView[];
  const events: string[] = [];

  beforeAll(async () => {
    const applied = await cp.request('PUT', `/v1/deployments/${name}`, { token, body: chatty(name) });
    expect(applied.status).toBe(201);
    let last = '';
    const recordEvents = async () => {
      const res = await cp.request('GET', `/v1/events?deployment=${name}`, { token });
      events.splice(0, events.length, ...((res.body?.items ?? []) as { type: string; message: string }[]).map((e) => `${e.type}: ${e.message}`));
    };
    items = await waitFor(async () => {
      const res = await cp.request('GET', `/v1/deployments/${name}/instances`, { token });
      const list = res.body.items as InstanceView[];
      last = JSON.stringify(list.map((i) => [i.state, i.reason, i.node]));
      return list.length === 2 && list.every((i) => i.state === 'running' && i.containerId) && list;
    }, 'two running instances', CONVERGE_MS).catch(async (err: Error) => {
      await recordEvents();
      throw new Error(`${err.message}; last seen ${last}; events ${events.join(' | ')}`);
    });
  });

  it('merges both replicas, tells stdout from stderr, tags node and instance, in time order', async () => {
    // Enough lines on both replicas first (each prints 10 a second).
    await waitFor(async () => (await readLogs(cp, token, `/v1/deployments/${name}/logs`)).filter((e) => e.stream === 'stderr').length >= 8, 'lines from both', CONVERGE_MS);
    const entries = await readLogs(cp, token, `/v1/deployments/${name}/logs?tail=4`);
    expect(entries).toHaveLength(8); // tail is per instance
    expect(new Set(entries.map((e) => e.instance))).toEqual(new Set(items.map((i) => i.id)));
    for (const e of entries) {
      expect(e.node).toBe(NODE);
      expect(e.line).toMatch(e.stream === 'stdout' ? /^out \d+$/ : /^err \d+$/);
    }
    expect(entries.filter((e) => e.stream === 'stdout').length).toBeGreaterThan(0);
    expect(entries.filter((e) => e.stream === 'stderr').length).toBeGreaterThan(0);
    const keys = entries.map((e) => timestampKey(e.ts));
    expect(keys.every((k) => k !== '')).toBe(true);
    expect([...keys].sort()).toEqual(keys);
  });

  it('follows until the client disconnects; then the agent closes every Docker log stream', async () => {
    expect(sampleValue(await agentMetrics(), 'oja_agent_log_streams')).toBe(0);
    const stream = await openLogs(cp, token, `/v1/deployments/${name}/logs?follow=1&tail=0`);
    expect(stream.status).toBe(200);
    await waitFor(() => items.every((i) => stream.entries.some((e) => e.instance === i.id)), 'live lines from both replicas', CONVERGE_MS);
    expect(sampleValue(await agentMetrics(), 'oja_agent_log_streams')).toBe(2);
    expect(sampleValue(await controlPlaneMetrics(), 'oja_log_streams')).toBe(2);

    stream.close();
    await waitFor(async () => sampleValue(await agentMetrics(), 'oja_agent_log_streams') === 0, 'oja_agent_log_streams back to 0', CONVERGE_MS);
    expect(sampleValue(await controlPlaneMetrics(), 'oja_log_streams')).toBe(0);
  });

  it('exposes agent metrics: containers by state, operation latency, CPU and memory per deployment from Docker stats', async () => {
    const text = await agentMetrics();
    expect(sampleValue(text, 'oja_agent_containers', { state: 'running' })).toBe(2);
    expect(sampleValue(text, 'oja_agent_container_op_duration_seconds_count', { op: 'start' })).toBeGreaterThanOrEqual(2);
    expect(sampleValue(text, 'oja_agent_container_memory_bytes', { deployment: name })).toBeGreaterThan(0);
    expect(sampleValue(text, 'oja_agent_container_cpu_seconds_total', { deployment: name })).toBeGreaterThan(0);
    expect(text).not.toMatch(/oja_agent_container_(cpu|memory)[^\n]*instance=/);
  });
});
