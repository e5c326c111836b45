import type { DesiredInstance } from '@oja/proto';
import { startControlPlane, type TestControlPlane } from '../../support/control-plane';
import { type FakeAgent, waitFor } from '../../support/fake-agent';
import { uniqueName } from '../../support/specs';
import { spec, sql, startAgent } from '../gateway/cluster';
import { TenantApi } from './tenant-api';

// Operations during a rollout against a real control plane (BullMQ worker, real gRPC, fake agents): as in Kubernetes,
// whatever the deployment says when an evaluation runs is the target. Each rollout here is v1 → v2 held midway: the
// revision-2 instance is placed but its agent does not start it, so (maxUnavailable 0) no v1 instance can stop yet.

const MAX_SURGE = 1;

/**
 * Plays the agents' part for one deployment: every instance in an agent's desired set runs (reported running: the
 * spec has no probe, so it is ready) unless `hold` says to keep it starting; every instance dropped from a desired
 * set is reported exited. Records the most instances ever desired at once (they are what the nodes run).
 */
class Nodes {
  hold: (instance: DesiredInstance) => boolean = () => false;
  peak = 0;
  private readonly reported = new Map<string, FakeAgent>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly agents: FakeAgent[],
    private readonly tenant: string,
    private readonly deployment: string,
  ) {
    this.timer = setInterval(() => this.tick(), 50);
  }

  /** The deployment's instances desired on any node now. */
  desired(): DesiredInstance[] {
    return this.agents.flatMap((a) => (a.desired?.instances ?? []).filter((i) => i.tenant === this.tenant && i.deployment === this.deployment));
  }

  revisions(): number[] {
    return this.desired().map((i) => i.revision).sort();
  }

  resetPeak(): void {
    this.peak = this.desired().length;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    // Sampled before any report: a new instance can only follow a report, so no peak goes unseen.
    this.peak = Math.max(this.peak, this.desired().length);
    const wanted = new Set<string>();
    for (const agent of this.agents) {
      for (const i of agent.desired?.instances ?? []) {
        if (i.tenant !== this.tenant || i.deployment !== this.deployment) continue;
        wanted.add(i.id);
        if (this.reported.has(i.id) || this.hold(i)) continue;
        agent.report(i.id, { state: 'running', healthy: true });
        this.reported.set(i.id, agent);
      }
    }
    for (const [id, agent] of this.reported) {
      if (wanted.has(id)) continue;
      agent.report(id, { state: 'exited', healthy: false, exitCode: 0 });
      this.reported.delete(id);
    }
  }
}

describe('operations during a rollout: the newest target supersedes', () => {
  let cp: TestControlPlane;
  let api: TenantApi;
  let agents: FakeAgent[] = [];
  const running: Nodes[] = [];

  beforeAll(async () => {
    cp = await startControlPlane();
    api = new TenantApi(cp, await cp.tenant());
    agents = [await startAgent(cp, 'ro-1'), await startAgent(cp, 'ro-2'), await startAgent(cp, 'ro-3')];
  });
  afterAll(async () => {
    for (const nodes of running) nodes.stop();
    for (const agent of agents) agent.disconnect();
    await cp?.close();
  });

  const site = (name: string, version: string, replicas = 3) =>
    spec(name, replicas, {
      env: { VERSION: version },
      update: { maxSurge: MAX_SURGE, maxUnavailable: 0, minReadySeconds: 0, progressDeadlineSeconds: 600, autoRollback: false },
    });

  /** The deployment at `revision`, complete, with `replicas` instances of that revision and nothing else on any node. */
  async function rolledOut(name: string, nodes: Nodes, revision: number, replicas: number): Promise<void> {
    let last = '';
    await waitFor(
      async () => {
        const d = (await cp.request('GET', `/v1/deployments/${name}`, { token: api.tenant.token })).body;
        const rows = await api.instances(name);
        last = `r${d.revision} ${d.status.phase}, desired revisions ${nodes.revisions()}, ${rows.length} rows`;
        return d.revision === revision && d.status.phase === 'complete' && rows.length === replicas &&
          nodes.revisions().join() === Array(replicas).fill(revision).join();
      },
      `${name} rolled out to revision ${revision} with ${replicas} instances`,
      30_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; last seen: ${last}`);
    });
  }

  /** v1 complete on 3 instances, then v2 applied and held: 3 × revision 1 + 1 × revision 2 (not started). */
  async function midRollout(): Promise<{ name: string; nodes: Nodes; heldId: string }> {
    const name = uniqueName('ro');
    const nodes = new Nodes(agents, api.tenant.name, name);
    running.push(nodes);
    await api.apply(site(name, 'v1'));
    await rolledOut(name, nodes, 1, 3);
    nodes.hold = (i) => i.revision === 2;
    await api.apply(site(name, 'v2'));
    const held = await waitFor(() => nodes.desired().find((i) => i.revision === 2), 'the revision-2 instance placed');
    expect(nodes.revisions()).toEqual([1, 1, 1, 2]);
    return { name, nodes, heldId: held.id };
  }

  it('a newer apply mid-rollout (v1 → v2, then v3): the v2 instance is replaced by v3, only v3 remains', async () => {
    const { name, nodes, heldId } = await midRollout();
    await api.apply(site(name, 'v3'));
    await rolledOut(name, nodes, 3, 3);
    expect(nodes.desired().map((i) => i.id)).not.toContain(heldId);
    expect(nodes.peak).toBeLessThanOrEqual(3 + MAX_SURGE);
    expect((await api.events(name, 'rollout.complete')).at(-1)).toBe('revision 3: 3 of 3 available');
  });

  it('scaling up mid-rollout finishes with the new count, never above replicas + maxSurge', async () => {
    const { name, nodes } = await midRollout();
    expect(nodes.peak).toBeLessThanOrEqual(3 + MAX_SURGE);
    await api.scale(name, 5);
    nodes.resetPeak();
    nodes.hold = () => false;
    await rolledOut(name, nodes, 2, 5);
    expect(nodes.peak).toBeLessThanOrEqual(5 + MAX_SURGE);
  });

  it('scaling down mid-rollout stops the outdated instances and keeps the new one, never above replicas + maxSurge', async () => {
    const { name, nodes, heldId } = await midRollout();
    await api.scale(name, 1);
    nodes.hold = () => false;
    await rolledOut(name, nodes, 2, 1);
    // The revision-2 instance is the one kept: no churn of the new revision.
    expect(nodes.desired().map((i) => i.id)).toEqual([heldId]);
    expect(nodes.peak).toBeLessThanOrEqual(3 + MAX_SURGE);
  });

  it('deleting mid-rollout stops every instance of both revisions and leaves nothing behind', async () => {
    const { name, nodes } = await midRollout();
    const [{ id }] = await sql<{ id: string }>(cp, `SELECT id FROM deployments WHERE tenant_id = $1 AND name = $2`, [api.tenant.id, name]);
    await api.delete(name);
    await waitFor(() => nodes.desired().length === 0, 'no instance of the deployment desired on any node');
    expect(await sql(cp, `SELECT id FROM instances WHERE deployment_id = $1`, [id])).toEqual([]);
    expect((await cp.request('GET', `/v1/deployments/${name}`, { token: api.tenant.token })).status).toBe(404);
  });

  it('pausing mid-rollout halts it (an evaluation sees the new instance ready and stops nothing); resuming finishes it', async () => {
    const { name, nodes, heldId } = await midRollout();
    await api.pause(name);
    const saved = async () =>
      (await sql<{ status: { phase: string; ready: number } }>(cp, `SELECT rollout_status AS status FROM deployments WHERE tenant_id = $1 AND name = $2`, [api.tenant.id, name]))[0].status;
    nodes.hold = () => false;
    // The report of the revision-2 instance running makes an evaluation run: paused, it records the count and does no step.
    await waitFor(async () => {
      const status = await saved();
      return status.phase === 'paused' && status.ready === 1;
    }, 'a paused evaluation that saw the revision-2 instance ready');
    expect(nodes.revisions()).toEqual([1, 1, 1, 2]);
    const stopping = await sql(cp, `SELECT i.id FROM instances i JOIN deployments d ON d.id = i.deployment_id
      WHERE d.tenant_id = $1 AND d.name = $2 AND (i.desired <> 'running' OR i.stop_requested_at IS NOT NULL)`, [api.tenant.id, name]);
    expect(stopping).toEqual([]);

    await api.resume(name);
    await rolledOut(name, nodes, 2, 3);
    expect(nodes.desired().map((i) => i.id)).toContain(heldId);
    expect(await api.events(name, 'rollout.paused')).toEqual(['rollout paused']);
    expect(await api.events(name, 'rollout.resumed')).toEqual(['rollout resumed']);
  });
});
