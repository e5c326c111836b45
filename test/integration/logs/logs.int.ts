import type { LogEntry } from '@oja/contracts';
import { startControlPlane, type TestControlPlane } from '../../support/control-plane';
import { type FakeAgent, type FakeLogLine, waitFor } from '../../support/fake-agent';
import { spec, startAgent } from '../gateway/cluster';
import { sampleValue } from '../metrics/prometheus';
import { openLogs, readLogs } from './log-stream';

/** The logs API over real gRPC: three fake agents serve their instances' lines; the control plane merges and relays them. */
describe('GET /v1/deployments/:name/logs', () => {
  let cp: TestControlPlane;
  let agents: FakeAgent[] = [];
  let tenant: { token: string; name: string };
  /** Instance id → the agent running it. */
  const agentOf = new Map<string, FakeAgent>();
  /** The instance placed on this agent at the start, with its five lines; the scale-up test may add a second one. */
  const firstInstanceOf = (agent: FakeAgent): string => [...agentOf].find(([, a]) => a === agent)?.[0] as string;
  const base = Date.parse('2026-11-23T10:00:00Z');
  /** Line k of agent a: 10 ms steps, agents interleaved (a0 k0, a1 k0, a2 k0, a0 k1, …), ts with Docker's trimmed zeros. */
  const lineOf = (a: number, k: number): FakeLogLine => ({
    ts: new Date(base + (k * 3 + a) * 10).toISOString().replace(/\.?0+Z$/, 'Z'),
    stream: k % 2 === 0 ? 'stdout' : 'stderr',
    line: `agent${a} line${k}`,
  });

  const logStreams = async () => sampleValue((await cp.request('GET', '/metrics')).text, 'oja_log_streams');

  beforeAll(async () => {
    cp = await startControlPlane();
    agents = [await startAgent(cp, 'logs-a'), await startAgent(cp, 'logs-b'), await startAgent(cp, 'logs-c')];
    tenant = await cp.tenant();
    const applied = await cp.request('PUT', '/v1/deployments/web', { token: tenant.token, body: spec('web', 3) });
    expect(applied.status).toBe(201);
    await waitFor(() => agents.every((a) => a.desiredIds().length === 1), 'one instance on each agent');
    agents.forEach((agent, a) => {
      const [id] = agent.desiredIds();
      agentOf.set(id, agent);
      agent.logLines.set(id, Array.from({ length: 5 }, (_, k) => lineOf(a, k)));
      agent.reportAllRunning();
    });
    await waitFor(async () => {
      const res = await cp.request('GET', '/v1/deployments/web/instances', { token: tenant.token });
      return res.body.items.length === 3 && res.body.items.every((i: { containerId: string | null }) => i.containerId);
    }, 'container ids recorded');
  });
  afterAll(async () => {
    for (const agent of agents) agent.disconnect();
    await cp?.close();
  });

  it('merges every replica on every node in time order, each line tagged with its instance, node and stream', async () => {
    const entries = await readLogs(cp, tenant.token, '/v1/deployments/web/logs');
    expect(entries.map((e) => e.line)).toEqual(Array.from({ length: 15 }, (_, i) => `agent${i % 3} line${Math.floor(i / 3)}`));
    for (const e of entries) {
      const agent = agentOf.get(e.instance);
      expect(agent).toBeDefined();
      expect(e.node).toBe(agent?.name);
      expect(e.line.startsWith(`agent${agents.indexOf(agent as FakeAgent)} `)).toBe(true);
      expect(e.stream).toBe(Number(e.line.slice(-1)) % 2 === 0 ? 'stdout' : 'stderr');
    }
    expect(await logStreams()).toBe(0);
  });

  it('applies tail per instance, since, and an instance filter by unique prefix', async () => {
    const tailed = await readLogs(cp, tenant.token, '/v1/deployments/web/logs?tail=2');
    expect(tailed.map((e) => e.line)).toEqual(['agent0 line3', 'agent1 line3', 'agent2 line3', 'agent0 line4', 'agent1 line4', 'agent2 line4']);

    const since = new Date(base + 120).toISOString(); // line k=4 of agent 0 and later
    expect((await readLogs(cp, tenant.token, `/v1/deployments/web/logs?since=${since}`)).map((e) => e.line)).toEqual(['agent0 line4', 'agent1 line4', 'agent2 line4']);

    const id = firstInstanceOf(agents[1]);
    const one = await readLogs(cp, tenant.token, `/v1/deployments/web/logs?instance=${id.slice(0, 8)}&tail=1`);
    expect(one).toEqual([{ ts: lineOf(1, 4).ts, instance: id, node: 'logs-b', stream: 'stdout', line: 'agent1 line4' }]);
  });

  it('answers bad input with a 400 naming the field and another tenant or instance with a 404', async () => {
    const bad = await cp.request('GET', '/v1/deployments/web/logs?tail=-1', { token: tenant.token });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(bad.body.detail).toContain('tail');
    const badSince = await cp.request('GET', '/v1/deployments/web/logs?since=2026-02-31T99:99:99Z', { token: tenant.token });
    expect(badSince.status).toBe(400);
    expect(badSince.body.detail).toContain('since');
    expect((await cp.request('GET', '/v1/deployments/web/logs?instance=zzzz', { token: tenant.token })).status).toBe(404);

    const other = await cp.tenant();
    const foreign = await cp.request('GET', '/v1/deployments/web/logs', { token: other.token });
    expect(foreign.status).toBe(404);
    expect((await cp.request('GET', '/v1/deployments/nope/logs', { token: tenant.token })).status).toBe(404);
  });

  it('follows: streams new lines, picks up an instance started later, and cancels every agent stream on disconnect', async () => {
    const stream = await openLogs(cp, tenant.token, '/v1/deployments/web/logs?follow&tail=0');
    expect(stream.status).toBe(200);
    expect(stream.contentType).toContain('application/x-ndjson');
    await waitFor(() => agents.every((a) => a.openLogRequests.size === 1), 'a follow request on each agent');
    expect(await logStreams()).toBe(3);

    agents[2].log(firstInstanceOf(agents[2]), { ts: new Date().toISOString(), stream: 'stdout', line: 'live from c' });
    await waitFor(() => stream.entries.some((e) => e.line === 'live from c' && e.node === 'logs-c'), 'the live line');

    // Scale up: the fourth instance lands on some agent; its container starts after the stream began.
    const before = new Set(agentOf.keys());
    expect((await cp.request('PATCH', '/v1/deployments/web/scale', { token: tenant.token, body: { replicas: 4 } })).status).toBe(200);
    const late = await waitFor(() => {
      for (const agent of agents) for (const id of agent.desiredIds()) if (!before.has(id)) return { agent, id };
      return undefined;
    }, 'the fourth instance');
    late.agent.logLines.set(late.id, [{ ts: new Date().toISOString(), stream: 'stderr', line: 'started late' }]);
    late.agent.report(late.id, { state: 'running', healthy: true });
    await waitFor(() => stream.entries.some((e) => e.line === 'started late' && e.instance === late.id && e.stream === 'stderr'), 'the late instance line');
    expect(await logStreams()).toBe(4);

    const opened = agents.flatMap((a) => [...a.openLogRequests.keys()]);
    expect(opened).toHaveLength(4);
    stream.close();
    await waitFor(() => agents.every((a) => a.openLogRequests.size === 0), 'every follow request cancelled');
    for (const requestId of opened) expect(agents.some((a) => a.logCancels.includes(requestId))).toBe(true);
    await waitFor(async () => (await logStreams()) === 0, 'oja_log_streams back to 0');
  });

  it('keeps following an instance whose agent reconnects, without repeating lines', async () => {
    const agent = agents[1];
    const id = firstInstanceOf(agent);
    const stream = await openLogs(cp, tenant.token, `/v1/deployments/web/logs?follow=1&tail=0&instance=${id}`);
    await waitFor(() => agent.openLogRequests.size === 1, 'the follow request');
    agent.log(id, { ts: new Date().toISOString(), stream: 'stdout', line: 'before the reconnect' });
    await waitFor(() => stream.entries.some((e) => e.line === 'before the reconnect'), 'the first line');

    agent.disconnect();
    agent.connect();
    await waitFor(() => agent.openLogRequests.size === 1, 'the follow request opened again after the reconnect');
    agent.log(id, { ts: new Date().toISOString(), stream: 'stdout', line: 'after the reconnect' });
    await waitFor(() => stream.entries.some((e) => e.line === 'after the reconnect'), 'the line after the reconnect');
    stream.close();

    expect(stream.entries.filter((e) => e.line === 'before the reconnect')).toHaveLength(1);
    expect(stream.entries.some((e) => e.line.startsWith('oja: log stream interrupted') && e.instance === id)).toBe(true);
    await waitFor(() => agent.openLogRequests.size === 0, 'cancelled on disconnect');
  });

  it('tells the reader when an instance could not be read', async () => {
    const id = firstInstanceOf(agents[0]);
    const lines = agents[0].logLines.get(id) as FakeLogLine[];
    agents[0].logLines.delete(id); // the agent no longer knows the container
    try {
      const entries: LogEntry[] = await readLogs(cp, tenant.token, `/v1/deployments/web/logs?instance=${id}`);
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ instance: id, node: 'logs-a', stream: 'stderr' });
      expect(entries[0].line).toMatch(/^oja: logs unavailable: .*no container/);
    } finally {
      agents[0].logLines.set(id, lines);
    }
  });

  it('keeps following a container that exited and was restarted in place, without repeating lines', async () => {
    const agent = agents[0];
    const id = firstInstanceOf(agent);
    const stream = await openLogs(cp, tenant.token, `/v1/deployments/web/logs?follow=1&tail=0&instance=${id}`);
    const requests = () => [...agent.openLogRequests].filter(([, instance]) => instance === id).map(([requestId]) => requestId);
    try {
      await waitFor(() => requests().length === 1, 'the follow request');
      agent.log(id, { ts: new Date().toISOString(), stream: 'stdout', line: 'before the crash' });
      await waitFor(() => stream.entries.some((e) => e.line === 'before the crash'), 'the line before the crash');

      // The process dies: Docker ends the follow, the agent reports the exit, then restarts the same container.
      const [ended] = requests();
      agent.openLogRequests.delete(ended);
      agent.send({ $case: 'logEnd', value: { requestId: ended, instanceId: id, error: '' } });
      agent.report(id, { state: 'exited', healthy: false, exitCode: 1, reason: 'exited with code 1; restarting in 1s' });
      agent.logLines.get(id)?.push({ ts: new Date(Date.now() + 1).toISOString(), stream: 'stderr', line: 'after the restart' });
      agent.report(id, { state: 'running', healthy: true, restarts: 1, exitCode: 1 });
      await waitFor(() => stream.entries.some((e) => e.line === 'after the restart'), 'the line after the restart');
    } finally {
      stream.close();
    }

    expect(stream.entries.filter((e) => e.line === 'before the crash')).toHaveLength(1);
    expect(stream.entries.filter((e) => e.line === 'after the restart')).toHaveLength(1);
    await waitFor(() => requests().length === 0, 'cancelled on disconnect');
  });

  it("reads a stopped instance's last lines while its container exists (the agent keeps an exited container to restart it)", async () => {
    const agent = agents[2];
    const id = firstInstanceOf(agent);
    agent.report(id, { state: 'exited', healthy: false, exitCode: 3, reason: 'exited with code 3; restarting in 8s' });
    await waitFor(async () => {
      const res = await cp.request('GET', '/v1/deployments/web/instances', { token: tenant.token });
      return res.body.items.some((i: { id: string; state: string; containerId: string | null }) => i.id === id && i.state === 'exited' && i.containerId);
    }, 'the instance exited, its container id kept');
    try {
      const entries = await readLogs(cp, tenant.token, `/v1/deployments/web/logs?instance=${id}&tail=2`);
      const last = (agent.logLines.get(id) ?? []).slice(-2);
      expect(last).toHaveLength(2);
      expect(entries).toEqual(last.map((l) => ({ ts: l.ts, instance: id, node: 'logs-c', stream: l.stream, line: l.line })));
    } finally {
      agent.report(id, { state: 'running', healthy: true, restarts: 1, exitCode: 3 });
    }
  });

  it('follow survives a rollout: lines of the replacing instances arrive in the same stream, none twice', async () => {
    const name = 'roll';
    const now = () => new Date().toISOString();
    /** Instance id → the agent it was desired on (every instance of this deployment seen so far). */
    const seenOn = new Map<string, FakeAgent>();
    const gone = new Set<string>();
    /**
     * Plays the agents' part once: a newly desired instance gets a log with one line and is reported running; one no
     * longer desired ends its log streams (its container went away) and is reported exited.
     */
    const converge = () => {
      for (const agent of agents) {
        const desired = new Set((agent.desired?.instances ?? []).filter((i) => i.deployment === name).map((i) => i.id));
        for (const id of desired) {
          if (seenOn.has(id)) continue;
          seenOn.set(id, agent);
          agent.logLines.set(id, [{ ts: now(), stream: 'stdout', line: `${id} first` }]);
          agent.report(id, { state: 'running', healthy: true });
        }
        for (const [id, on] of seenOn) {
          if (on !== agent || desired.has(id) || gone.has(id)) continue;
          gone.add(id);
          for (const [requestId, instanceId] of agent.openLogRequests) {
            if (instanceId !== id) continue;
            agent.openLogRequests.delete(requestId);
            agent.send({ $case: 'logEnd', value: { requestId, instanceId, error: '' } });
          }
          agent.report(id, { state: 'exited', healthy: false, exitCode: 0 });
        }
      }
    };
    const deployment = async () => (await cp.request('GET', `/v1/deployments/${name}`, { token: tenant.token })).body;
    const rolledOut = (revision: number) => waitFor(async () => {
      converge();
      const d = await deployment();
      return d.revision === revision && d.status.phase === 'complete' && d.status.updated === 2 && d.status.ready === 2 && d.status.desired === 2 && d;
    }, `${name} at revision ${revision}`, 40_000);

    expect((await cp.request('PUT', `/v1/deployments/${name}`, { token: tenant.token, body: spec(name, 2) })).status).toBe(201);
    await rolledOut(1);
    const old = [...seenOn.keys()];
    const stream = await openLogs(cp, tenant.token, `/v1/deployments/${name}/logs?follow&tail=0`);
    const following = (id: string) => [...(seenOn.get(id)?.openLogRequests.values() ?? [])].filter((i) => i === id).length;
    await waitFor(() => old.every((id) => following(id) === 1), 'a follow request on each old instance');
    for (const id of old) seenOn.get(id)?.log(id, { ts: now(), stream: 'stdout', line: `${id} before the rollout` });

    expect((await cp.request('PUT', `/v1/deployments/${name}`, { token: tenant.token, body: spec(name, 2, { env: { VERSION: '2' } }) })).status).toBe(200);
    await rolledOut(2);
    const replacements = [...seenOn.keys()].filter((id) => !old.includes(id));
    expect(replacements).toHaveLength(2);
    await waitFor(() => replacements.every((id) => following(id) === 1), 'a follow request on each new instance');
    for (const id of replacements) seenOn.get(id)?.log(id, { ts: now(), stream: 'stderr', line: `${id} live` });
    await waitFor(() => replacements.every((id) => stream.entries.some((e) => e.line === `${id} live`)), 'the live lines of the new instances');
    stream.close();

    const lines = stream.entries.filter((e) => !e.line.startsWith('oja: ')).map((e) => `${e.instance} ${e.node} ${e.line}`);
    expect(lines.sort()).toEqual(
      [
        ...old.map((id) => `${id} ${seenOn.get(id)?.name} ${id} before the rollout`),
        // The new instances' lines from their start (tail=0 applies to the instances there when the stream opened).
        ...replacements.flatMap((id) => [`${id} ${seenOn.get(id)?.name} ${id} first`, `${id} ${seenOn.get(id)?.name} ${id} live`]),
      ].sort(),
    );
    expect(stream.entries.filter((e) => e.line.startsWith('oja: '))).toEqual([]);
    await waitFor(() => agents.every((a) => a.openLogRequests.size === 0), 'every follow request cancelled');
  });
});
