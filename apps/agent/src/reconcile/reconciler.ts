import type { InstanceState } from '@oja/contracts';
import { UNKNOWN_HEALTH, type HealthState } from '../health/health-state';
import { Prober } from '../health/prober';
import { probeFor } from '../health/probes';
import type { AgentMetrics } from '../metrics/agent-metrics';
import { LABEL, PullError, type ContainerDetails, type ContainerSummary, type Runtime } from '../runtime/runtime';
import { DEFAULT_BACKOFF, backoffDelay, countFailure, type BackoffPolicy } from './backoff';
import { DEFAULT_PIDS_LIMIT, containerOptions, containerSpecHash } from './container-spec';
import { KeyedLanes } from './keyed-lanes';
import type { DesiredInstance, InstanceStatusReport } from './types';

export interface ReconcilerOptions {
  runtime: Runtime;
  /** This node's name; every container gets `oja.node=<node>` and only those are ever touched. */
  node: string;
  metrics?: AgentMetrics;
  /** Full pass over all instances even without events (default 5 s). */
  resyncIntervalMs?: number;
  backoff?: BackoffPolicy;
  pidsLimit?: number;
  /** Grace period for containers whose desired spec is unknown (adopted, then dropped). Default 10 s. */
  defaultGraceSeconds?: number;
  /** Pause before re-subscribing to engine events after the stream ended (default 1 s). */
  eventsRetryMs?: number;
  logger?: Pick<Console, 'warn'>;
  /**
   * Called before a container is stopped on purpose (no longer desired, replaced, a duplicate), e.g. to
   * drain it from the routing mesh first, for at most the instance's grace period. A failure is logged and the
   * stop goes ahead.
   */
  beforeStop?: (instanceId: string, containerId: string, graceSeconds: number) => Promise<void>;
}

type StatusListener = (report: InstanceStatusReport) => void;

/** What the reconciler knows about one instance id. */
interface Tracked {
  desired: DesiredInstance | null;
  containerId: string | null;
  report: InstanceStatusReport;
  /** Consecutive failures (crashes, failed pulls/creates) driving the back-off. */
  failures: number;
  /** No new attempt before this time (unix ms). */
  notBefore: number;
  /** `<container id>@<started at>` of the exit already counted, so one crash is counted once. */
  countedExit: string | null;
  retryTimer: NodeJS.Timeout | null;
  health: HealthState;
  prober: Prober | null;
  /** Identifies what the running prober checks (container + probe spec); a change restarts it. */
  proberKey: string | null;
}

const UP_STATES: ReadonlySet<InstanceState> = new Set(['running', 'healthy', 'unhealthy']);
/** A running container found rather than started (agent restart): it ran under oja before, so it is
 * trusted as healthy until its probe says otherwise; the routing mesh must not drop it meanwhile. */
const ADOPTED_HEALTH: HealthState = { ...UNKNOWN_HEALTH, healthy: true };

/**
 * Level-triggered convergence of the local engine to the control plane's full desired set for this
 * node: creates what is missing, removes what is not wanted (graceful stop first), replaces containers
 * whose spec hash changed, restarts crashed ones with back-off, and adopts containers that survived an
 * agent restart. Work is serialized per instance id, so one instance never gets two containers.
 * Triggers: apply(), engine events (die/oom/start/destroy), retry timers and a periodic resync.
 */
export class Reconciler {
  private readonly runtime: Runtime;
  private readonly node: string;
  private readonly backoff: BackoffPolicy;
  private readonly log: Pick<Console, 'warn'>;
  private readonly lanes: KeyedLanes;
  private readonly tracked = new Map<string, Tracked>();
  private readonly listeners = new Set<StatusListener>();
  /** null until the first apply(): before that nothing is removed, only adopted and observed. */
  private desired: Map<string, DesiredInstance> | null = null;
  private generation = -1;
  private resyncTimer: NodeJS.Timeout | null = null;
  private readonly events = new AbortController();
  private eventsLoop: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly opts: ReconcilerOptions) {
    this.runtime = opts.runtime;
    this.node = opts.node;
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.log = opts.logger ?? console;
    this.lanes = new KeyedLanes((id, err) => this.log.warn(`reconcile ${id}: ${(err as Error).message ?? err}`));
    opts.metrics?.setContainerStateSource(() => [...this.tracked.values()].map((t) => t.report.state));
  }

  /**
   * Adopts the containers this node already runs (their reports are then in observed(), for Register),
   * and starts watching engine events and the periodic resync.
   */
  async start(): Promise<void> {
    this.eventsLoop = this.watchEvents();
    await this.resync();
    const interval = this.opts.resyncIntervalMs ?? 5000;
    this.resyncTimer = setInterval(() => void this.resync(), interval);
    this.resyncTimer.unref();
  }

  /**
   * Takes the full desired set for this node. A generation older than the newest applied is ignored
   * (returns false). Resolves after one convergence pass over every instance.
   */
  async apply(generation: number, instances: DesiredInstance[]): Promise<boolean> {
    if (generation < this.generation || this.stopped) return false;
    this.generation = generation;
    this.desired = new Map(instances.map((i) => [i.id, i]));
    await this.resync();
    return true;
  }

  onStatus(listener: StatusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Current reports of every instance with a container or a desired entry. */
  observed(): InstanceStatusReport[] {
    return [...this.tracked.values()].map((t) => copyReport(t.report));
  }

  containerIdOf(instanceId: string): string | null {
    return this.tracked.get(instanceId)?.containerId ?? null;
  }

  /** Stops watching and probing; containers keep running (an agent going away must not kill workloads). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.events.abort();
    await this.eventsLoop;
    await this.lanes.idle();
    for (const t of this.tracked.values()) {
      this.stopProber(t);
      if (t.retryTimer) clearTimeout(t.retryTimer);
    }
  }

  /** One pass: every instance that is desired, tracked, or has a container on this node. */
  private async resync(): Promise<void> {
    if (this.stopped) return;
    let containers: ContainerSummary[];
    try {
      containers = await this.runtime.list({ [LABEL.node]: this.node, [LABEL.instance]: undefined });
    } catch (err) {
      this.log.warn(`resync: cannot list containers: ${(err as Error).message}`);
      return;
    }
    const ids = new Set<string>([...(this.desired?.keys() ?? []), ...this.tracked.keys()]);
    for (const c of containers) ids.add(c.labels[LABEL.instance]);
    await Promise.all([...ids].map((id) => this.schedule(id)));
  }

  private schedule(id: string): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return this.lanes.run(id, () => this.converge(id));
  }

  private async watchEvents(): Promise<void> {
    const signal = this.events.signal;
    while (!signal.aborted) {
      try {
        await this.runtime.events({ [LABEL.node]: this.node }, (e) => {
          const id = e.labels[LABEL.instance];
          if (!id) return;
          // Docker emits "die" just before it marks the container stopped; a pass started at once
          // could still see it running and do nothing.
          const settled = e.action === 'die' ? this.runtime.waitStopped(e.containerId).catch(() => undefined) : Promise.resolve();
          void settled.then(() => this.schedule(id));
        }, signal);
      } catch (err) {
        this.log.warn(`engine events: ${(err as Error).message}`);
      }
      if (!signal.aborted) await sleep(this.opts.eventsRetryMs ?? 1000, signal);
    }
  }

  // ---- one instance ------------------------------------------------------------------------------

  private async converge(id: string): Promise<void> {
    if (this.stopped) return;
    const containers = await this.runtime.list({ [LABEL.node]: this.node, [LABEL.instance]: id });
    if (!this.desired) return this.adopt(id, containers);
    const desired = this.desired.get(id) ?? null;
    if (!desired) return this.removeAll(id, containers);

    const t = this.track(id);
    t.desired = desired;
    const hash = containerSpecHash(desired);
    const keep = pickContainer(containers.filter((c) => c.labels[LABEL.specHash] === hash));
    for (const c of containers) if (c !== keep) await this.stopAndRemove(id, c.id, this.graceOf(t));
    // Steady state (the common case on every resync): nothing to inspect, just follow spec changes of the probe.
    if (keep?.running && keep.id === t.containerId && UP_STATES.has(t.report.state)) return this.observeRunning(t, keep.id, t.report.overlayIp);
    const details = keep && (await this.runtime.inspect(keep.id));
    if (!details) return this.createAndStart(t, desired);
    if (!details.running) return this.restartExited(t, details);
    if (t.containerId !== details.id) t.health = ADOPTED_HEALTH;
    return this.observeRunning(t, details.id, ipOf(details, desired.network));
  }

  /** Before the first desired set: record what runs, touch nothing. */
  private async adopt(id: string, containers: ContainerSummary[]): Promise<void> {
    const keep = pickContainer(containers);
    const details = keep && (await this.runtime.inspect(keep.id));
    if (!details) return;
    const t = this.track(id);
    if (details.running) {
      if (t.containerId !== details.id) t.health = ADOPTED_HEALTH;
      return this.observeRunning(t, details.id, ipOf(details, undefined));
    }
    t.containerId = details.id;
    this.setReport(t, { state: 'exited', containerId: details.id, exitCode: details.exitCode, healthy: false, reason: exitReason(details) });
  }

  private async removeAll(id: string, containers: ContainerSummary[]): Promise<void> {
    const t = this.tracked.get(id);
    if (t) {
      this.stopProber(t);
      if (t.retryTimer) clearTimeout(t.retryTimer);
    }
    let exitCode: number | null = t?.report.exitCode ?? null;
    for (const c of containers) exitCode = (await this.stopAndRemove(id, c.id, t ? this.graceOf(t) : this.defaultGrace())) ?? exitCode;
    if (!t) return;
    // The control plane counts an instance until it is reported exited.
    this.setReport(t, { state: 'exited', healthy: false, exitCode, reason: 'removed: no longer desired' });
    this.tracked.delete(id);
  }

  private async createAndStart(t: Tracked, desired: DesiredInstance): Promise<void> {
    if (this.waitForBackoff(t)) return;
    t.containerId = null;
    this.stopProber(t);
    this.setReport(t, { state: 'starting', containerId: null, overlayIp: null, healthy: false, reason: null });
    try {
      if (!(await this.runtime.hasImage(desired.image))) {
        await this.runtime.pull(desired.image, desired.registryAuth);
        this.reportPulled(t, desired.image);
      }
    } catch (err) {
      return this.fail(t, err instanceof PullError ? err.message : `pull failed: ${(err as Error).message}`);
    }
    let containerId: string;
    try {
      containerId = await this.runtime.create(containerOptions(desired, this.node, this.opts.pidsLimit ?? DEFAULT_PIDS_LIMIT));
    } catch (err) {
      return this.fail(t, `create failed: ${(err as Error).message}`);
    }
    t.containerId = containerId;
    t.health = UNKNOWN_HEALTH;
    this.setReport(t, { containerId });
    await this.startContainer(t, containerId);
  }

  /** A container of the right spec exists but is not running: it crashed (or was never started). */
  private async restartExited(t: Tracked, details: ContainerDetails): Promise<void> {
    t.containerId = details.id;
    if (details.startedAt !== null) {
      const exit = `${details.id}@${details.startedAt}`;
      if (t.countedExit !== exit) {
        t.countedExit = exit;
        this.stopProber(t);
        t.failures = countFailure(this.backoff, t.failures, Date.now() - details.startedAt);
        const delay = backoffDelay(this.backoff, t.failures);
        t.notBefore = Date.now() + delay;
        this.setReport(t, {
          state: 'exited', containerId: details.id, healthy: false, exitCode: details.exitCode,
          reason: `${exitReason(details)}; restarting in ${formatDelay(delay)}`,
        });
      }
      if (this.waitForBackoff(t)) return;
      t.report.restarts += 1;
      this.opts.metrics?.restarts.inc();
    }
    t.health = UNKNOWN_HEALTH;
    this.setReport(t, { state: 'starting', healthy: false });
    await this.startContainer(t, details.id);
  }

  private async startContainer(t: Tracked, containerId: string): Promise<void> {
    try {
      await this.runtime.start(containerId);
    } catch (err) {
      // A container that cannot start is replaced on the next attempt.
      await this.runtime.remove(containerId);
      t.containerId = null;
      return this.fail(t, `start failed: ${(err as Error).message}`);
    }
    const details = await this.runtime.inspect(containerId);
    if (details?.running) return this.observeRunning(t, details.id, ipOf(details, t.desired?.network));
    // It died straight away: the die event (or the resync) handles it as a crash.
    void this.schedule(t.report.id);
  }

  private observeRunning(t: Tracked, containerId: string, overlayIp: string | null): void {
    t.containerId = containerId;
    this.ensureProber(t, containerId, overlayIp);
    this.setReport(t, { containerId, overlayIp, ...this.healthReport(t) });
  }

  private healthReport(t: Tracked): Pick<InstanceStatusReport, 'state' | 'healthy' | 'reason' | 'lastChecks'> {
    if (!t.desired?.health) return { state: 'running', healthy: true, reason: null };
    const { healthy, lastChecks } = t.health;
    if (healthy === null) return { state: 'running', healthy: false, reason: null, lastChecks };
    if (healthy) return { state: 'healthy', healthy: true, reason: null, lastChecks };
    const last = lastChecks[lastChecks.length - 1];
    return { state: 'unhealthy', healthy: false, reason: `health check failed: ${last?.output ?? 'no answer'}`, lastChecks };
  }

  private ensureProber(t: Tracked, containerId: string, ip: string | null): void {
    const health = t.desired?.health;
    const key = health ? `${containerId}|${ip}|${JSON.stringify(health)}` : null;
    if (key === t.proberKey) return;
    this.stopProber(t);
    if (!health) return;
    const probe = probeFor(health, this.runtime);
    t.proberKey = key;
    t.prober = new Prober(health, () => probe({ containerId, ip }), t.health, (state, result) => {
      this.opts.metrics?.healthChecks.inc({ result: result.ok ? 'success' : 'failure' });
      if (t.containerId !== containerId || !UP_STATES.has(t.report.state)) return;
      t.health = state;
      this.setReport(t, { ...this.healthReport(t), lastChecks: state.lastChecks });
    });
    t.prober.start();
  }

  private stopProber(t: Tracked): void {
    t.prober?.stop();
    t.prober = null;
    t.proberKey = null;
  }

  private fail(t: Tracked, reason: string): void {
    t.failures = countFailure(this.backoff, t.failures, null);
    const delay = backoffDelay(this.backoff, t.failures);
    t.notBefore = Date.now() + delay;
    this.setReport(t, { state: 'failed', healthy: false, reason: `${reason} (retrying in ${formatDelay(delay)})` });
    this.waitForBackoff(t);
  }

  /** True (and a retry timer armed) while the back-off forbids another attempt. */
  private waitForBackoff(t: Tracked): boolean {
    const wait = t.notBefore - Date.now();
    if (wait <= 0) return false;
    if (t.retryTimer) clearTimeout(t.retryTimer);
    t.retryTimer = setTimeout(() => {
      t.retryTimer = null;
      void this.schedule(t.report.id);
    }, wait);
    t.retryTimer.unref();
    return true;
  }

  /** Drain hook, graceful stop, removal; returns the exit code, if the container still existed. */
  private async stopAndRemove(instanceId: string, containerId: string, graceSeconds: number): Promise<number | null> {
    await this.opts.beforeStop?.(instanceId, containerId, graceSeconds).catch((err: Error) =>
      this.log.warn(`before stopping ${instanceId}: ${err.message}`),
    );
    await this.runtime.stop(containerId, graceSeconds);
    const details = await this.runtime.inspect(containerId);
    await this.runtime.remove(containerId);
    return details?.exitCode ?? null;
  }

  private graceOf(t: Tracked): number {
    return t.desired?.stopGracePeriodSeconds ?? this.defaultGrace();
  }

  private defaultGrace(): number {
    return this.opts.defaultGraceSeconds ?? 10;
  }

  private track(id: string): Tracked {
    let t = this.tracked.get(id);
    if (!t) {
      t = {
        desired: null, containerId: null, failures: 0, notBefore: 0, countedExit: null, retryTimer: null,
        health: UNKNOWN_HEALTH, prober: null, proberKey: null,
        report: { id, state: 'pending', containerId: null, overlayIp: null, healthy: false, restarts: 0, exitCode: null, reason: null },
      };
      this.tracked.set(id, t);
    }
    return t;
  }

  /** A pull is an occurrence, not state: listeners get one report saying so, the stored report stays as it was. */
  private reportPulled(t: Tracked, image: string): void {
    for (const listener of this.listeners) listener({ ...copyReport(t.report), pulledImage: image });
  }

  /** Merges a change into the report and tells listeners if anything but the check history changed. */
  private setReport(t: Tracked, change: Partial<InstanceStatusReport>): void {
    const next = { ...t.report, ...change };
    const significant = (r: InstanceStatusReport) => JSON.stringify([r.state, r.containerId, r.overlayIp, r.healthy, r.restarts, r.exitCode, r.reason]);
    const changed = significant(next) !== significant(t.report);
    t.report = next;
    if (!changed) return;
    for (const listener of this.listeners) listener(copyReport(next));
  }
}

/** Of several containers for one instance, keep the running one, else the newest. */
function pickContainer(containers: ContainerSummary[]): ContainerSummary | null {
  const sorted = [...containers].sort((a, b) => Number(b.running) - Number(a.running) || b.createdAt - a.createdAt);
  return sorted[0] ?? null;
}

/** The container's address on the instance's network (the default bridge when none is named). */
function ipOf(details: ContainerDetails, network: string | undefined): string | null {
  return details.ips[network ?? 'bridge'] ?? Object.values(details.ips)[0] ?? null;
}

function exitReason(details: ContainerDetails): string {
  return details.oomKilled ? `killed: out of memory (exit code ${details.exitCode})` : `exited with code ${details.exitCode}`;
}

function formatDelay(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10}s` : `${ms}ms`;
}

function copyReport(r: InstanceStatusReport): InstanceStatusReport {
  return { ...r, ...(r.lastChecks ? { lastChecks: r.lastChecks.map((c) => ({ ...c })) } : {}) };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
