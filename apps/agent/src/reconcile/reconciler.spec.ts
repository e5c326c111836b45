import { LABEL, type CreateContainerOptions } from '../runtime/runtime';
import { FakeRuntime } from '../runtime/fake-runtime';
import { AgentMetrics } from '../metrics/agent-metrics';
import { containerOptions } from './container-spec';
import { desiredInstance } from './fixtures';
import { Reconciler, type ReconcilerOptions } from './reconciler';
import type { InstanceStatusReport } from './types';

const NODE = 'node-a';
const quiet = { warn: jest.fn() };

/** The sequence of states reported for one instance, repeats folded (a report also fires when e.g. the container id changes). */
function statesOf(reports: InstanceStatusReport[], id: string): string[] {
  return reports.filter((x) => x.id === id).map((x) => x.state).filter((s, i, all) => i === 0 || all[i - 1] !== s);
}

/** Polls until predicate holds; the deadline is a guard against hanging, not a timing assertion. */
async function waitFor(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('Reconciler (fake runtime)', () => {
  let runtime: FakeRuntime;
  let reconcilers: Reconciler[];

  function reconciler(extra: Partial<ReconcilerOptions> = {}): { r: Reconciler; reports: InstanceStatusReport[] } {
    const r = new Reconciler({ runtime, node: NODE, backoff: { initialMs: 10, maxMs: 80, resetAfterMs: 60_000 }, logger: quiet, ...extra });
    reconcilers.push(r);
    const reports: InstanceStatusReport[] = [];
    r.onStatus((rep) => reports.push(rep));
    return { r, reports };
  }

  const containersOf = (id: string) => [...runtime.containers.values()].filter((c) => c.details.labels[LABEL.instance] === id);
  const reportOf = (r: Reconciler, id: string) => r.observed().find((o) => o.id === id);

  beforeEach(() => {
    runtime = new FakeRuntime();
    runtime.images.add('oja/busybox:1');
    reconcilers = [];
    quiet.warn.mockReset();
  });
  afterEach(async () => {
    await Promise.all(reconcilers.map((r) => r.stop()));
  });

  it('creates every missing instance with labels, limits and hardening, and reports it running', async () => {
    const { r, reports } = reconciler();
    await r.start();
    const wanted = [desiredInstance({ capabilities: ['NET_BIND_SERVICE'] }), desiredInstance(), desiredInstance()];
    expect(await r.apply(1, wanted)).toBe(true);

    expect(runtime.containers.size).toBe(3);
    for (const d of wanted) {
      const [c] = containersOf(d.id);
      expect(c.details.running).toBe(true);
      expect(c.options).toEqual(containerOptions(d, NODE, 512));
      expect(c.details.labels).toMatchObject({ 'oja.tenant': 'acme', 'oja.deployment': 'web', 'oja.instance': d.id, 'oja.revision': '1', 'oja.node': NODE });
      expect(reportOf(r, d.id)).toMatchObject({ state: 'running', healthy: true, containerId: c.details.id, restarts: 0, reason: null });
      expect(statesOf(reports, d.id)).toEqual(['starting', 'running']);
    }
    expect(containersOf(wanted[0].id)[0].options.capAdd).toEqual(['NET_BIND_SERVICE']);
  });

  it('pulls an absent image with the instance credentials, and only then', async () => {
    const { r } = reconciler();
    await r.start();
    const auth = { server: 'reg.local:5000', username: 'u', password: 'p' };
    await r.apply(1, [desiredInstance({ image: 'reg.local:5000/acme/web:2', registryAuth: auth }), desiredInstance()]);
    expect(runtime.calls.filter((c) => c.startsWith('pull'))).toEqual(['pull reg.local:5000/acme/web:2']);
  });

  it('reports a pull once, on the report right after it, and keeps it out of the stored state', async () => {
    const { r, reports } = reconciler();
    await r.start();
    const [pulled, present] = [desiredInstance({ image: 'reg.local:5000/acme/web:2' }), desiredInstance()];
    runtime.images.delete('reg.local:5000/acme/web:2');
    await r.apply(1, [pulled, present]);

    expect(reports.filter((x) => x.pulledImage).map((x) => [x.id, x.state, x.pulledImage])).toEqual([[pulled.id, 'starting', 'reg.local:5000/acme/web:2']]);
    expect(reportOf(r, pulled.id)).toMatchObject({ state: 'running' });
    expect(r.observed().every((x) => x.pulledImage === undefined)).toBe(true);

    // A replacement container of the same image (the spec changed) finds it present: no second pull, no second report.
    await r.apply(2, [{ ...pulled, env: { CHANGED: '1' } }, present]);
    expect(runtime.calls.filter((c) => c.startsWith('pull'))).toHaveLength(1);
    expect(reports.filter((x) => x.pulledImage)).toHaveLength(1);
  });

  it('stops (with the grace period) and removes instances no longer desired, reporting them exited', async () => {
    const { r, reports } = reconciler();
    await r.start();
    const [keep, drop1, drop2] = [desiredInstance(), desiredInstance({ stopGracePeriodSeconds: 7 }), desiredInstance()];
    await r.apply(1, [keep, drop1, drop2]);
    const dropId = containersOf(drop1.id)[0].details.id;
    await r.apply(2, [keep]);

    expect(runtime.containers.size).toBe(1);
    expect(containersOf(keep.id)).toHaveLength(1);
    expect(runtime.calls).toEqual(expect.arrayContaining([`stop ${dropId} grace=7`, `remove ${dropId}`]));
    expect(runtime.calls.indexOf(`stop ${dropId} grace=7`)).toBeLessThan(runtime.calls.indexOf(`remove ${dropId}`));
    expect(reports.filter((x) => x.id === drop1.id).pop()).toMatchObject({ state: 'exited', exitCode: 143 });
    expect(r.observed().map((o) => o.id)).toEqual([keep.id]);
  });

  it('calls the drain hook (with the grace period) before stopping a container on purpose, and stops even when it fails', async () => {
    const drained: string[] = [];
    const { r } = reconciler({
      beforeStop: async (instanceId, containerId, graceSeconds) => {
        drained.push(`${instanceId} ${containerId} running=${runtime.containers.get(containerId)?.details.running} grace=${graceSeconds}`);
        throw new Error('mesh unreachable');
      },
    });
    await r.start();
    const [keep, drop] = [desiredInstance(), desiredInstance({ stopGracePeriodSeconds: 45 })];
    await r.apply(1, [keep, drop]);
    const dropContainer = containersOf(drop.id)[0].details.id;
    await r.apply(2, [keep]);
    expect(drained).toEqual([`${drop.id} ${dropContainer} running=true grace=45`]);
    expect(runtime.containers.has(dropContainer)).toBe(false);
    expect(quiet.warn).toHaveBeenCalledWith(`before stopping ${drop.id}: mesh unreachable`);
  });

  it('replaces a container whose spec changed, never running two for one instance', async () => {
    const { r } = reconciler();
    await r.start();
    const d = desiredInstance();
    await r.apply(1, [d]);
    const oldId = containersOf(d.id)[0].details.id;
    runtime.images.add('oja/busybox:2');
    const create = runtime.create.bind(runtime);
    const seenBeforeCreate: number[] = [];
    runtime.create = async (opts: CreateContainerOptions) => {
      seenBeforeCreate.push(containersOf(opts.labels[LABEL.instance]).length);
      return create(opts);
    };
    await r.apply(2, [{ ...d, image: 'oja/busybox:2' }]);

    const now = containersOf(d.id);
    expect(now).toHaveLength(1);
    expect(now[0].details.id).not.toBe(oldId);
    expect(now[0].options.image).toBe('oja/busybox:2');
    expect(seenBeforeCreate).toEqual([0]);
  });

  it('does not recreate a container when only the probe, grace period or credentials change', async () => {
    const { r } = reconciler();
    await r.start();
    const d = desiredInstance();
    await r.apply(1, [d]);
    runtime.calls.length = 0;
    await r.apply(2, [{ ...d, stopGracePeriodSeconds: 30, registryAuth: { server: 's', username: 'u', password: 'p' } }]);
    expect(runtime.calls).toEqual([]);

    // A probe added to the running instance takes effect in place.
    runtime.execResult = { exitCode: 1, output: 'down' };
    const health = { exec: { command: ['check'] }, intervalSeconds: 1, timeoutSeconds: 1, failureThreshold: 1, initialDelaySeconds: 0 };
    await r.apply(3, [{ ...d, health }]);
    await waitFor(() => reportOf(r, d.id)?.state === 'unhealthy', 'the new probe failing');
    expect(runtime.calls).toEqual([]);
  });

  it('restarts a crashed container with doubling back-off, counting restarts and keeping the exit code', async () => {
    const metrics = new AgentMetrics();
    const { r, reports } = reconciler({ metrics });
    await r.start();
    const d = desiredInstance();
    await r.apply(1, [d]);
    const containerId = containersOf(d.id)[0].details.id;

    for (let n = 1; n <= 4; n++) {
      runtime.crash(containerId, 137, n === 4);
      await waitFor(() => reportOf(r, d.id)?.restarts === n && reportOf(r, d.id)?.state === 'running', `restart ${n}`);
    }
    const exits = reports.filter((x) => x.id === d.id && x.state === 'exited');
    expect(exits.map((x) => x.reason)).toEqual([
      'exited with code 137; restarting in 10ms',
      'exited with code 137; restarting in 20ms',
      'exited with code 137; restarting in 40ms',
      'killed: out of memory (exit code 137); restarting in 80ms',
    ]);
    expect(exits.every((x) => x.exitCode === 137)).toBe(true);
    expect(reportOf(r, d.id)).toMatchObject({ containerId, restarts: 4, exitCode: 137 });
    expect(containersOf(d.id)).toHaveLength(1);
    expect((await metrics.registry.getSingleMetricAsString('oja_agent_restarts_total'))).toMatch(/oja_agent_restarts_total 4/);
  });

  it('caps the back-off and starts the doubling over after a long enough run', async () => {
    const { r, reports } = reconciler({ backoff: { initialMs: 10, maxMs: 20, resetAfterMs: 0 } });
    await r.start();
    const d = desiredInstance();
    await r.apply(1, [d]);
    const containerId = containersOf(d.id)[0].details.id;
    for (let n = 1; n <= 3; n++) {
      runtime.crash(containerId, 1);
      await waitFor(() => reportOf(r, d.id)?.restarts === n && reportOf(r, d.id)?.state === 'running', `restart ${n}`);
    }
    // resetAfterMs 0: every run counts as long, so every crash is the "first" again.
    expect(reports.filter((x) => x.state === 'exited').map((x) => x.reason)).toEqual(Array(3).fill('exited with code 1; restarting in 10ms'));
  });

  it('adopts running containers after an agent restart without recreating them', async () => {
    const wanted = [desiredInstance(), desiredInstance()];
    const ids = await Promise.all(wanted.map((d) => runtime.seed(containerOptions(d, NODE))));
    const { r } = reconciler();
    await r.start();

    // Before any desired set: reported for Register, nothing touched.
    expect(r.observed().map((o) => [o.id, o.state, o.containerId, o.healthy]).sort()).toEqual(
      wanted.map((d, i) => [d.id, 'running', ids[i], true]).sort(),
    );
    await r.apply(7, wanted);
    expect(runtime.calls).toEqual([]);
    expect(wanted.map((d) => r.containerIdOf(d.id))).toEqual(ids);
  });

  it('keeps unknown containers until the first desired set arrives, then removes those not in it', async () => {
    const stray = desiredInstance();
    const strayId = await runtime.seed(containerOptions(stray, NODE));
    const { r } = reconciler();
    await r.start();
    expect(runtime.containers.has(strayId)).toBe(true);
    await r.apply(1, []);
    expect(runtime.containers.has(strayId)).toBe(false);
    expect(r.observed()).toEqual([]);
  });

  it("never touches another node's containers on the same engine", async () => {
    const foreign = await runtime.seed(containerOptions(desiredInstance(), 'node-b'));
    const { r } = reconciler();
    await r.start();
    await r.apply(1, [desiredInstance()]);
    expect(runtime.containers.get(foreign)?.details.running).toBe(true);
    expect(r.observed()).toHaveLength(1);
  });

  it('ignores a desired set older than the newest applied', async () => {
    const { r } = reconciler();
    await r.start();
    const [a, b] = [desiredInstance(), desiredInstance()];
    await r.apply(5, [a, b]);
    expect(await r.apply(4, [a])).toBe(false);
    expect(containersOf(b.id)).toHaveLength(1);
    expect(await r.apply(5, [a, b])).toBe(true);
  });

  it('creates exactly one container per instance under concurrent applies and events', async () => {
    const { r } = reconciler();
    await r.start();
    const wanted = Array.from({ length: 5 }, () => desiredInstance());
    await Promise.all([r.apply(1, wanted), r.apply(2, wanted), r.apply(3, wanted), r.apply(3, wanted)]);
    const first = containersOf(wanted[0].id)[0].details.id;
    runtime.crash(first, 2);
    await Promise.all([r.apply(4, wanted), r.apply(5, wanted)]);
    await waitFor(() => reportOf(r, wanted[0].id)?.state === 'running', 'restart');
    for (const d of wanted) expect(containersOf(d.id)).toHaveLength(1);
    expect(runtime.calls.filter((c) => c.startsWith('create'))).toHaveLength(5);
  });

  it('reports a pull failure as failed with its reason, leaves the others alone, and retries', async () => {
    const { r } = reconciler();
    await r.start();
    runtime.pullFailures.set('reg.local/acme/private:1', 'pull denied: bad credentials');
    const [bad, good] = [desiredInstance({ image: 'reg.local/acme/private:1' }), desiredInstance()];
    await r.apply(1, [bad, good]);

    expect(reportOf(r, bad.id)).toMatchObject({ state: 'failed', containerId: null, healthy: false });
    expect(reportOf(r, bad.id)?.reason).toMatch(/^pull denied: bad credentials \(retrying in 10ms\)$/);
    expect(reportOf(r, good.id)).toMatchObject({ state: 'running', healthy: true });

    runtime.pullFailures.clear();
    await waitFor(() => reportOf(r, bad.id)?.state === 'running', 'retry after the pull is fixed');
    expect(reportOf(r, bad.id)?.restarts).toBe(0);
  });

  it('replaces a container that cannot start', async () => {
    const { r } = reconciler();
    await r.start();
    const d = desiredInstance();
    runtime.failStarts.add(containerOptions(d, NODE).name);
    await r.apply(1, [d]);
    expect(reportOf(r, d.id)).toMatchObject({ state: 'failed' });
    expect(reportOf(r, d.id)?.reason).toMatch(/^start failed: OCI runtime create failed/);
    await waitFor(() => reportOf(r, d.id)?.state === 'running', 'second attempt');
    expect(containersOf(d.id)).toHaveLength(1);
  });

  it('reports health from the probe: healthy after one success, unhealthy after the threshold', async () => {
    const { r, reports } = reconciler();
    await r.start();
    runtime.execResult = { exitCode: 1, output: 'nope' };
    const d = desiredInstance({
      health: { exec: { command: ['true'] }, intervalSeconds: 1, timeoutSeconds: 1, failureThreshold: 2, initialDelaySeconds: 0 },
    });
    await r.apply(1, [d]);
    expect(reportOf(r, d.id)).toMatchObject({ state: 'running', healthy: false });
    await waitFor(() => reportOf(r, d.id)?.state === 'unhealthy', 'unhealthy');
    expect(reportOf(r, d.id)).toMatchObject({ healthy: false, reason: 'health check failed: nope' });
    expect(reportOf(r, d.id)?.lastChecks?.map((c) => c.ok)).toEqual([false, false]);
    runtime.execResult = { exitCode: 0, output: 'ok' };
    await waitFor(() => reportOf(r, d.id)?.state === 'healthy', 'healthy');
    expect(statesOf(reports, d.id)).toEqual(['starting', 'running', 'unhealthy', 'healthy']);
  }, 15_000);

  it('rides out an unreachable engine and converges once it answers again', async () => {
    runtime.unavailable = true;
    const { r } = reconciler({ resyncIntervalMs: 20 });
    await r.start();
    const d = desiredInstance();
    expect(await r.apply(1, [d])).toBe(true);
    expect(runtime.containers.size).toBe(0);
    expect(quiet.warn).toHaveBeenCalledWith(expect.stringMatching(/connect ENOENT/));

    runtime.unavailable = false;
    await waitFor(() => reportOf(r, d.id)?.state === 'running', 'convergence after the engine is back');
    expect(containersOf(d.id)).toHaveLength(1);
  });

  it('leaves containers running when stopped', async () => {
    const { r } = reconciler();
    await r.start();
    await r.apply(1, [desiredInstance(), desiredInstance()]);
    await r.stop();
    expect([...runtime.containers.values()].every((c) => c.details.running)).toBe(true);
  });

  it('exposes instance states as oja_agent_containers', async () => {
    const metrics = new AgentMetrics();
    const { r } = reconciler({ metrics });
    await r.start();
    runtime.pullFailures.set('x/y:1', 'image not found: x/y:1');
    await r.apply(1, [desiredInstance(), desiredInstance(), desiredInstance({ image: 'x/y:1' })]);
    const text = await metrics.registry.getSingleMetricAsString('oja_agent_containers');
    expect(text).toMatch(/oja_agent_containers\{state="running"\} 2/);
    expect(text).toMatch(/oja_agent_containers\{state="failed"\} 1/);
    expect(text).toMatch(/oja_agent_containers\{state="healthy"\} 0/);
  });
});
