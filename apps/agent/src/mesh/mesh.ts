import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { backendName, renderConfig, serverName } from './haproxy-config';
import { HaproxyProcess, type HaproxyLog } from './haproxy-process';
import { commandErrors, haproxyCommand, sessionsByServer } from './runtime-api';
import { applyRoutes, drainInstance, drainingSlots, drainWaitOver, releaseSlot, type MeshPlan } from './slots';
import type { MeshRoute, RouteTable } from './types';

const DRAIN_POLL_MS = 250;
const RESTART_DELAY_MS = 1000;

export interface MeshOptions {
  /** Data dir: the generated haproxy.cfg lives there. */
  dataDir: string;
  /** Directory for the master and runtime-API sockets (under /run/oja). */
  socketDir: string;
  bindAddress: string;
  haproxyBinary?: string;
  log: HaproxyLog;
}

/**
 * The node's routing mesh: keeps HAProxy's frontends, backends and server slots equal to the cluster's routes.
 * Every change goes through one queue (routes, drains and slot releases never interleave). Backends come and go
 * through the runtime API; only frontend changes reload HAProxy.
 */
export class RoutingMesh {
  private tables = new Map<number, RouteTable>();
  private generation = -1;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly haproxy: HaproxyProcess;
  private readonly adminSocket: string;
  private watcher?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly options: MeshOptions) {
    this.adminSocket = join(options.socketDir, 'haproxy.sock');
    this.haproxy = new HaproxyProcess(
      {
        binary: options.haproxyBinary ?? 'haproxy',
        config: join(options.dataDir, 'haproxy.cfg'),
        masterSocket: join(options.socketDir, 'haproxy-master.sock'),
        adminSocket: this.adminSocket,
      },
      options.log,
      (code) => this.restartLater(code),
    );
  }

  /** Starts HAProxy with no routes yet (they arrive from the control plane). */
  async start(): Promise<void> {
    await mkdir(this.options.socketDir, { recursive: true, mode: 0o700 });
    await this.haproxy.start(this.config());
    this.watcher = setInterval(() => void this.releaseDrained(), DRAIN_POLL_MS);
    this.watcher.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.watcher);
    await this.chain.catch(() => undefined);
    await this.haproxy.stop();
  }

  /** A Routes message: older generations than the one applied are ignored. */
  setRoutes(generation: number, routes: MeshRoute[]): Promise<void> {
    return this.enqueue(async () => {
      if (generation < this.generation) return;
      this.generation = generation;
      await this.execute(applyRoutes(this.tables, routes));
    });
  }

  /**
   * The reconciler's beforeStop hook: no new connection goes to the instance on this node, and its open ones get
   * until its stop grace period ends to finish (drainWaitOver).
   */
  async drain(instanceId: string, graceSeconds: number): Promise<void> {
    await this.enqueue(() => this.execute(drainInstance(this.tables, instanceId)));
    const started = Date.now();
    while (!drainWaitOver(this.tables, instanceId, Date.now() - started, graceSeconds * 1000)) await sleep(DRAIN_POLL_MS);
  }

  /** Instance ids per published port, as HAProxy has them (ready or draining); for tests and diagnostics. */
  snapshot(): ReadonlyMap<number, RouteTable> {
    return this.tables;
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work);
    this.chain = next.catch((err: Error) => this.options.log.warn(`routing mesh: ${err.message}`));
    return next;
  }

  private async execute(plan: MeshPlan): Promise<void> {
    if (plan.reload) {
      const previous = this.tables;
      this.tables = plan.tables;
      try {
        if (this.haproxy.running) await this.haproxy.reload(this.config());
      } catch (err) {
        this.tables = previous;
        throw err;
      }
      return;
    }
    this.tables = plan.tables;
    if (plan.commands.length === 0 || !this.haproxy.running) return;
    const errors = commandErrors(await haproxyCommand(this.adminSocket, plan.commands));
    if (errors.length) throw new Error(`runtime API: ${errors.join('; ')}`);
  }

  /** Frees drained slots whose sessions reached 0. */
  private releaseDrained(): Promise<void> {
    if (this.stopped || !this.haproxy.running || drainingSlots(this.tables).length === 0) return Promise.resolve();
    return this.enqueue(async () => {
      const sessions = sessionsByServer(await haproxyCommand(this.adminSocket, ['show stat']));
      for (const { port, slot } of drainingSlots(this.tables)) {
        if ((sessions.get(`${backendName(port)}/${serverName(slot)}`) ?? 0) === 0) await this.execute(releaseSlot(this.tables, port, slot));
      }
    });
  }

  private config(): string {
    return renderConfig({ adminSocket: this.adminSocket, bindAddress: this.options.bindAddress, tables: this.tables });
  }

  /** HAProxy died under us: start it again from the current tables. */
  private restartLater(code: number | null): void {
    if (this.stopped) return;
    this.options.log.warn(`haproxy exited (code ${code}); restarting in ${RESTART_DELAY_MS} ms`);
    setTimeout(() => {
      if (!this.stopped) void this.enqueue(() => this.haproxy.start(this.config()));
    }, RESTART_DELAY_MS).unref();
  }
}
