import {
  PullError,
  type ContainerDetails,
  type ContainerEvent,
  type ContainerSummary,
  type CreateContainerOptions,
  type ExecResult,
  type LogLine,
  type RegistryAuth,
  type Runtime,
} from './runtime';

interface FakeContainer {
  details: ContainerDetails;
  options: CreateContainerOptions;
}

/**
 * In-memory engine for unit tests of the reconciler ONLY (everything real runs against dockerd).
 * Enforces Docker's unique names, records every mutating call, and lets a test crash containers.
 */
export class FakeRuntime implements Runtime {
  readonly containers = new Map<string, FakeContainer>();
  readonly images = new Set<string>();
  /** Images a pull fails for, with the PullError message. */
  readonly pullFailures = new Map<string, string>();
  /** Mutating calls in order, e.g. "create oja-web-abc", "stop c1". */
  readonly calls: string[] = [];
  /** Set to make start() fail (once per entry, by container name). */
  readonly failStarts = new Set<string>();
  private readonly listeners = new Set<(e: ContainerEvent) => void>();
  private seq = 0;
  private clock = 1_000_000;
  private lastStart = 0;

  /** While true every engine call fails, as with dockerd down. */
  unavailable = false;

  async list(labels: Record<string, string | undefined>): Promise<ContainerSummary[]> {
    if (this.unavailable) throw new Error('connect ENOENT /var/run/docker.sock');
    return [...this.containers.values()]
      .filter((c) => Object.entries(labels).every(([k, v]) => (v === undefined ? k in c.details.labels : c.details.labels[k] === v)))
      .map(({ details: { id, name, labels: l, running, createdAt } }) => ({ id, name, labels: { ...l }, running, createdAt }));
  }

  async inspect(id: string): Promise<ContainerDetails | null> {
    const c = this.containers.get(id);
    return c ? { ...c.details, labels: { ...c.details.labels }, ips: { ...c.details.ips } } : null;
  }

  async hasImage(image: string): Promise<boolean> {
    return this.images.has(image);
  }

  async pull(image: string, _auth?: RegistryAuth): Promise<void> {
    this.calls.push(`pull ${image}`);
    const failure = this.pullFailures.get(image);
    if (failure) throw new PullError(failure);
    this.images.add(image);
  }

  async create(opts: CreateContainerOptions): Promise<string> {
    if ([...this.containers.values()].some((c) => c.details.name === opts.name)) {
      throw new Error(`Conflict. The container name "/${opts.name}" is already in use`);
    }
    if (!this.images.has(opts.image)) throw new Error(`No such image: ${opts.image}`);
    const id = `c${++this.seq}`;
    this.calls.push(`create ${opts.name}`);
    this.containers.set(id, {
      options: opts,
      details: {
        id, name: opts.name, labels: { ...opts.labels }, running: false, createdAt: ++this.clock,
        exitCode: null, oomKilled: false, startedAt: null, ips: {},
      },
    });
    return id;
  }

  async start(id: string): Promise<void> {
    const c = this.must(id);
    this.calls.push(`start ${id}`);
    if (this.failStarts.delete(c.details.name)) throw new Error('OCI runtime create failed');
    if (c.details.running) return;
    // Strictly increasing, as Docker's nanosecond start times are.
    this.lastStart = Math.max(Date.now(), this.lastStart + 1);
    Object.assign(c.details, { running: true, startedAt: this.lastStart, exitCode: null, oomKilled: false, ips: { [c.options.network ?? 'bridge']: `10.0.0.${this.seq}` } });
    this.emit('start', c);
  }

  async stop(id: string, graceSeconds: number): Promise<void> {
    const c = this.containers.get(id);
    if (!c) return;
    this.calls.push(`stop ${id} grace=${graceSeconds}`);
    if (c.details.running) this.exit(c, 143, false);
  }

  async waitStopped(): Promise<void> {}

  async remove(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (!c) return;
    this.calls.push(`remove ${id}`);
    this.containers.delete(id);
    this.emit('destroy', c);
  }

  async events(_labels: Record<string, string | undefined>, onEvent: (e: ContainerEvent) => void, signal: AbortSignal): Promise<void> {
    this.listeners.add(onEvent);
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    this.listeners.delete(onEvent);
  }

  async logs(_id: string, _opts: unknown, _onLine: (l: LogLine) => void | Promise<void>, _signal: AbortSignal): Promise<void> {
    throw new Error('FakeRuntime has no logs');
  }

  /** Answers every exec with this result (default: exit 0). */
  execResult: ExecResult = { exitCode: 0, output: '' };

  async exec(): Promise<ExecResult> {
    return this.execResult;
  }

  async ensureNetwork(): Promise<void> {}

  /** Simulates the process inside the container dying (as `docker kill` or an OOM would). */
  crash(id: string, exitCode: number, oomKilled = false): void {
    const c = this.must(id);
    this.exit(c, exitCode, oomKilled);
  }

  /** Adds a container as if left over from an earlier agent run. */
  async seed(opts: CreateContainerOptions, running = true): Promise<string> {
    this.images.add(opts.image);
    const id = await this.create(opts);
    if (running) await this.start(id);
    this.calls.length = 0;
    return id;
  }

  private exit(c: FakeContainer, exitCode: number, oomKilled: boolean): void {
    Object.assign(c.details, { running: false, exitCode, oomKilled, ips: {} });
    if (oomKilled) this.emit('oom', c);
    this.emit('die', c);
  }

  private emit(action: ContainerEvent['action'], c: FakeContainer): void {
    for (const l of this.listeners) l({ action, containerId: c.details.id, labels: { ...c.details.labels } });
  }

  private must(id: string): FakeContainer {
    const c = this.containers.get(id);
    if (!c) throw new Error(`No such container: ${id}`);
    return c;
  }
}
