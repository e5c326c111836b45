import { Client } from 'pg';
import { AgentGatewayServer } from '../../../apps/control-plane/src/gateway/agent-gateway.server';
import type { TestControlPlane } from '../../support/control-plane';
import { FakeAgent, waitFor } from '../../support/fake-agent';

/** Test helpers over a control plane and its fake agents (real gRPC, real Postgres). */

export function grpcAddress(cp: TestControlPlane): string {
  return `127.0.0.1:${cp.app.get(AgentGatewayServer).port}`;
}

export async function joinToken(cp: TestControlPlane): Promise<string> {
  const res = await cp.request('POST', '/v1/join-tokens', { token: cp.adminToken, body: {} });
  if (res.status !== 201) throw new Error(`join token: ${res.status} ${res.text}`);
  return res.body.token;
}

/** Joins, connects and waits for the first desired state; heartbeats every 300 ms. */
export async function startAgent(
  cp: TestControlPlane,
  name: string,
  opts: { capacity?: { cpu: number; memoryMb: number }; labels?: Record<string, string>; token?: string } = {},
): Promise<FakeAgent> {
  const agent = new FakeAgent({ address: grpcAddress(cp), name, heartbeatMs: 300, capacity: opts.capacity, labels: opts.labels });
  await agent.join(opts.token ?? (await joinToken(cp)));
  agent.connect();
  await waitFor(() => agent.desired, `${name}'s first desired state`);
  return agent;
}

export async function sql<T = Record<string, unknown>>(cp: TestControlPlane, text: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: cp.database.url });
  await c.connect();
  try {
    return (await c.query(text, params)).rows as T[];
  } finally {
    await c.end();
  }
}

/** Instance ids desired on each agent, by agent name. */
export function desiredByAgent(agents: FakeAgent[]): Record<string, string[]> {
  return Object.fromEntries(agents.map((a) => [a.name, a.desiredIds()]));
}

export function totalDesired(agents: FakeAgent[]): number {
  return agents.reduce((n, a) => n + a.desiredIds().length, 0);
}

export const spec = (name: string, replicas: number, extra: Record<string, unknown> = {}) => ({
  name,
  image: 'oja/busybox:1',
  replicas,
  command: ['httpd', '-f', '-p', '8080', '-h', '/www'],
  resources: { cpu: 0.1, memoryMb: 32 },
  ...extra,
});
