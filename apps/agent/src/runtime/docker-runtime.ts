import Docker from 'dockerode';
import type { Readable } from 'node:stream';
import type { AgentMetrics } from '../metrics/agent-metrics';
import { LogDemuxer } from './log-demux';
import {
  PullError,
  type ContainerDetails,
  type ContainerEvent,
  type ContainerSummary,
  type CreateContainerOptions,
  type ExecResult,
  type LogLine,
  type LogOptions,
  type RegistryAuth,
  type Runtime,
} from './runtime';

/** dockerd 20.10 speaks 1.41; pinning it keeps newer engines answering the same way. */
export const DOCKER_API_VERSION = 'v1.41';
const NEVER = '0001-01-01T00:00:00Z';
/** A pull that stalls this long is given up (and retried with back-off) rather than blocking its instance forever. */
const PULL_TIMEOUT_MS = 10 * 60_000;
const CONTAINER_ACTIONS = new Set<ContainerEvent['action']>(['start', 'die', 'oom', 'destroy']);

/** Runtime over the local Docker engine (DOCKER_HOST honoured, /var/run/docker.sock otherwise). */
export class DockerRuntime implements Runtime {
  constructor(
    private readonly docker: Docker = new Docker({ version: DOCKER_API_VERSION }),
    private readonly metrics?: AgentMetrics,
  ) {}

  list(labels: Record<string, string | undefined>): Promise<ContainerSummary[]> {
    return this.timed('list', async () => {
      const found = await this.docker.listContainers({ all: true, filters: { label: labelFilters(labels) } });
      return found.map((c) => ({
        id: c.Id,
        name: (c.Names[0] ?? '').replace(/^\//, ''),
        labels: c.Labels ?? {},
        running: c.State === 'running',
        createdAt: c.Created * 1000,
      }));
    });
  }

  inspect(id: string): Promise<ContainerDetails | null> {
    return this.timed('inspect', async () => {
      const info = await ignoreStatus(this.docker.getContainer(id).inspect(), 404);
      if (!info) return null;
      const started = info.State.StartedAt && info.State.StartedAt !== NEVER ? Date.parse(info.State.StartedAt) : null;
      const ips: Record<string, string> = {};
      for (const [name, net] of Object.entries(info.NetworkSettings.Networks ?? {})) if (net.IPAddress) ips[name] = net.IPAddress;
      return {
        id: info.Id,
        name: info.Name.replace(/^\//, ''),
        labels: info.Config.Labels ?? {},
        running: info.State.Running,
        createdAt: Date.parse(info.Created),
        exitCode: info.State.Running || started === null ? null : info.State.ExitCode,
        oomKilled: info.State.OOMKilled,
        startedAt: started,
        ips,
      };
    });
  }

  async hasImage(image: string): Promise<boolean> {
    return this.timed('inspect_image', async () => (await ignoreStatus(this.docker.getImage(image).inspect(), 404)) !== null);
  }

  pull(image: string, auth?: RegistryAuth): Promise<void> {
    return this.timed('pull', async () => {
      const authconfig = auth && { username: auth.username, password: auth.password, serveraddress: auth.server };
      const deadline = AbortSignal.timeout(PULL_TIMEOUT_MS);
      try {
        const stream = (await this.docker.pull(image, { abortSignal: deadline, ...(authconfig ? { authconfig } : {}) })) as unknown as Readable;
        const progress = await new Promise<{ error?: string }[]>((resolve, reject) =>
          this.docker.modem.followProgress(stream, (err: Error | null, output: { error?: string }[]) => (err ? reject(err) : resolve(output))),
        );
        // followProgress ends quietly on a closed stream, and failures after the 200 (a missing or denied
        // layer) arrive only as {error} progress entries.
        if (deadline.aborted) throw new Error(`timed out after ${PULL_TIMEOUT_MS / 60_000} minutes`);
        const failed = progress.find((p) => p.error);
        if (failed) throw new Error(failed.error);
      } catch (err) {
        throw new PullError(describePullFailure(image, errorText(err), auth));
      }
    });
  }

  create(opts: CreateContainerOptions): Promise<string> {
    return this.timed('create', async () => {
      const container = await this.docker.createContainer({
        name: opts.name,
        Image: opts.image,
        Cmd: opts.command,
        Env: Object.entries(opts.env).map(([k, v]) => `${k}=${v}`),
        Labels: opts.labels,
        HostConfig: {
          Memory: opts.memoryMb * 1024 * 1024,
          MemorySwap: opts.memoryMb * 1024 * 1024,
          NanoCpus: Math.round(opts.cpu * 1e9),
          PidsLimit: opts.pidsLimit,
          SecurityOpt: ['no-new-privileges'],
          CapDrop: ['ALL'],
          CapAdd: opts.capAdd,
          Privileged: false,
          RestartPolicy: { Name: 'no' },
          NetworkMode: opts.network ?? 'bridge',
          LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
        },
      });
      return container.id;
    });
  }

  start(id: string): Promise<void> {
    return this.timed('start', async () => {
      await ignoreStatus(this.docker.getContainer(id).start(), 304);
    });
  }

  stop(id: string, graceSeconds: number): Promise<void> {
    return this.timed('stop', async () => {
      await ignoreStatus(this.docker.getContainer(id).stop({ t: graceSeconds }), 304, 404);
    });
  }

  async waitStopped(id: string): Promise<void> {
    // Not timed: it lasts as long as the container runs.
    await ignoreStatus(this.docker.getContainer(id).wait({ condition: 'not-running' }), 404);
  }

  remove(id: string): Promise<void> {
    return this.timed('remove', async () => {
      // 409: a removal is already in progress (another caller got there first).
      await ignoreStatus(this.docker.getContainer(id).remove({ force: true, v: true }), 404, 409);
    });
  }

  async events(labels: Record<string, string | undefined>, onEvent: (e: ContainerEvent) => void, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const stream = (await this.docker.getEvents({
      filters: { type: ['container'], event: [...CONTAINER_ACTIONS], label: labelFilters(labels) },
    })) as unknown as Readable;
    let buffered = '';
    await consume(stream, signal, (chunk) => {
      const parts = (buffered + chunk.toString('utf8')).split('\n');
      buffered = parts.pop() ?? '';
      for (const part of parts.filter((p) => p.trim())) {
        const event = parseEvent(part);
        if (event) onEvent(event);
      }
    });
  }

  async logs(id: string, opts: LogOptions, onLine: (line: LogLine) => void | Promise<void>, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const common = {
      stdout: true,
      stderr: true,
      timestamps: opts.timestamps,
      since: opts.since ? opts.since.getTime() / 1000 : 0,
      ...(opts.tail === undefined ? {} : { tail: opts.tail }),
    };
    const demux = new LogDemuxer(opts.timestamps);
    const container = this.docker.getContainer(id);
    if (!opts.follow) {
      const all = await container.logs({ ...common, follow: false });
      for (const line of [...demux.push(all), ...demux.end()]) {
        if (signal.aborted) return;
        await onLine(line);
      }
      return;
    }
    const stream = (await container.logs({ ...common, follow: true })) as unknown as Readable;
    await consume(stream, signal, (chunk) => deliver(demux.push(chunk), onLine));
    if (!signal.aborted) await deliver(demux.end(), onLine);
  }

  exec(id: string, command: string[], timeoutMs: number): Promise<ExecResult> {
    return this.timed('exec', async () => {
      const exec = await this.docker.getContainer(id).exec({ Cmd: command, AttachStdout: true, AttachStderr: true });
      const stream = (await exec.start({ hijack: true, stdin: false })) as unknown as Readable;
      const demux = new LogDemuxer(false);
      const output: string[] = [];
      const timeout = AbortSignal.timeout(timeoutMs);
      await consume(stream, timeout, (chunk) => demux.push(chunk).forEach((l) => output.push(l.line)));
      if (timeout.aborted) return { exitCode: -1, output: `timed out after ${timeoutMs} ms` };
      demux.end().forEach((l) => output.push(l.line));
      const { ExitCode } = await exec.inspect();
      return { exitCode: ExitCode ?? -1, output: output.join('\n') };
    });
  }

  async ensureNetwork(name: string, subnet?: string): Promise<void> {
    await this.timed('ensure_network', async () => {
      const existing = await this.docker.listNetworks({ filters: { name: [name] } });
      if (existing.some((n) => n.Name === name)) return;
      await ignoreStatus(
        this.docker.createNetwork({
          Name: name,
          Driver: 'bridge',
          CheckDuplicate: true,
          ...(subnet ? { IPAM: { Driver: 'default', Config: [{ Subnet: subnet }] } } : {}),
        }),
        409,
      );
    });
  }

  private timed<T>(op: string, fn: () => Promise<T>): Promise<T> {
    return this.metrics ? this.metrics.timeOp(op, fn) : fn();
  }
}

function labelFilters(labels: Record<string, string | undefined>): string[] {
  return Object.entries(labels).map(([k, v]) => (v === undefined ? k : `${k}=${v}`));
}

/** Resolves to null when Docker answers with one of the given (harmless) HTTP statuses. */
async function ignoreStatus<T>(call: Promise<T>, ...statuses: number[]): Promise<T | null> {
  try {
    return await call;
  } catch (err) {
    if (statuses.includes((err as { statusCode?: number }).statusCode ?? 0)) return null;
    throw err;
  }
}

/** Callbacks typed `=> void` may still return values (e.g. `lines.push(l)`): only a thenable means "wait". */
function isPromise(value: unknown): value is Promise<void> {
  return typeof (value as Promise<void> | undefined)?.then === 'function';
}

/** Hands lines over in order; resolves (for back-pressure) only when a slow consumer has taken them all. */
function deliver(lines: LogLine[], onLine: (line: LogLine) => void | Promise<void>): void | Promise<void> {
  for (let i = 0; i < lines.length; i++) {
    const pending = onLine(lines[i]);
    if (isPromise(pending)) return pending.then(() => deliver(lines.slice(i + 1), onLine));
  }
}

/**
 * Reads a stream until it ends or the signal aborts (then it is destroyed, closing the engine connection).
 * When onChunk returns a promise the stream is paused until it settles.
 */
function consume(stream: Readable, signal: AbortSignal, onChunk: (chunk: Buffer) => void | Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    const finish = () => {
      signal.removeEventListener('abort', abort);
      resolve();
    };
    const abort = () => {
      stream.destroy();
      finish();
    };
    if (signal.aborted) return abort();
    signal.addEventListener('abort', abort, { once: true });
    stream.on('data', (chunk: Buffer | string) => {
      const pending = onChunk(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      if (!isPromise(pending)) return;
      stream.pause();
      pending.then(
        () => stream.resume(),
        () => abort(),
      );
    });
    stream.once('end', finish);
    stream.once('close', finish);
    stream.once('error', finish);
  });
}

function parseEvent(json: string): ContainerEvent | null {
  try {
    const raw = JSON.parse(json) as { Type?: string; Action?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } };
    const action = raw.Action as ContainerEvent['action'];
    if (raw.Type !== 'container' || !CONTAINER_ACTIONS.has(action) || !raw.Actor?.ID) return null;
    return { action, containerId: raw.Actor.ID, labels: raw.Actor.Attributes ?? {} };
  } catch {
    return null;
  }
}

function errorText(err: unknown): string {
  const e = err as { json?: { message?: string }; reason?: string; message?: string };
  return e?.json?.message ?? e?.message ?? String(err);
}

/**
 * Docker's pull errors, turned into the reasons operators see. Registry wording varies
 * ("unauthorized", "denied", "authentication required"; "manifest unknown", "not found").
 */
export function describePullFailure(image: string, message: string, auth?: RegistryAuth): string {
  const scrubbed = auth?.password ? message.split(auth.password).join('***') : message;
  // docker-modem prefixes "(HTTP code 500) server error - "; the engine's own words follow.
  const text = scrubbed.replace(/^\(HTTP code \d+\)[^-]*- /, '');
  if (/unauthorized|authentication required|incorrect username or password|\bdenied\b|403/i.test(text) && auth) {
    return 'pull denied: bad credentials';
  }
  if (/manifest unknown|not found|does not exist|pull access denied|name unknown/i.test(text)) {
    return `image not found: ${image}`;
  }
  if (/unauthorized|authentication required|no basic auth credentials/i.test(text)) return `pull denied: ${image} needs registry credentials`;
  return `pull failed: ${image}: ${text.trim()}`;
}
