/**
 * The agent's view of a container engine: just what the reconciler, probes and log streaming need.
 * `DockerRuntime` implements it over dockerode; `FakeRuntime` (unit tests only) in memory.
 */

/** Labels on every container oja creates; adoption and cleanup select by them. */
export const LABEL = {
  tenant: 'oja.tenant',
  deployment: 'oja.deployment',
  instance: 'oja.instance',
  revision: 'oja.revision',
  /** Hash of the container-shaping part of the spec: a different hash means "replace". */
  specHash: 'oja.spec-hash',
  /** The node (agent) that owns the container, so agents sharing one engine never touch each other's. */
  node: 'oja.node',
} as const;

export interface ContainerSummary {
  id: string;
  name: string;
  labels: Record<string, string>;
  running: boolean;
  /** Unix ms when Docker created it: the newest wins when duplicates must be resolved. */
  createdAt: number;
}

export interface ContainerDetails extends ContainerSummary {
  exitCode: number | null;
  oomKilled: boolean;
  /** Unix ms of the last start, null if never started. */
  startedAt: number | null;
  /** IP address per attached network name. */
  ips: Record<string, string>;
}

export interface CreateContainerOptions {
  name: string;
  image: string;
  command?: string[];
  env: Record<string, string>;
  labels: Record<string, string>;
  memoryMb: number;
  cpu: number;
  pidsLimit: number;
  capAdd: string[];
  /** Docker network to attach to; absent: the default bridge. */
  network?: string;
}

export interface RegistryAuth {
  server: string;
  username: string;
  password: string;
}

/** Why a pull failed, phrased for an operator ("pull denied: bad credentials"). Never holds the password. */
export class PullError extends Error {
  override readonly name = 'PullError';
}

export interface ContainerEvent {
  action: 'start' | 'die' | 'oom' | 'destroy';
  containerId: string;
  labels: Record<string, string>;
}

export type LogStreamName = 'stdout' | 'stderr';

export interface LogLine {
  stream: LogStreamName;
  /** RFC 3339 with nanoseconds as Docker gives it; null unless timestamps were requested. */
  ts: string | null;
  line: string;
}

export interface LogOptions {
  follow: boolean;
  /** Lines from the end; undefined = all. */
  tail?: number;
  /** Only lines after this instant. */
  since?: Date;
  timestamps: boolean;
}

export interface ExecResult {
  exitCode: number;
  output: string;
}

export interface Runtime {
  /** Containers (running or not) carrying every given label (value undefined: label present). */
  list(labels: Record<string, string | undefined>): Promise<ContainerSummary[]>;
  /** null when the container no longer exists. */
  inspect(id: string): Promise<ContainerDetails | null>;
  hasImage(image: string): Promise<boolean>;
  /** Throws PullError with an operator-readable reason. */
  pull(image: string, auth?: RegistryAuth): Promise<void>;
  /** Returns the new container's id. */
  create(opts: CreateContainerOptions): Promise<string>;
  start(id: string): Promise<void>;
  /** SIGTERM, then SIGKILL after graceSeconds. A container already stopped or gone is fine. */
  stop(id: string, graceSeconds: number): Promise<void>;
  /** Resolves once the container is not running (at once if it isn't, or is gone). */
  waitStopped(id: string): Promise<void>;
  /** Removes (forcefully) a container; one already gone is fine. */
  remove(id: string): Promise<void>;
  /**
   * Calls onEvent for container lifecycle events of containers carrying `labels` until the signal
   * aborts; resolves when the subscription ends (abort or engine disconnect).
   */
  events(labels: Record<string, string | undefined>, onEvent: (e: ContainerEvent) => void, signal: AbortSignal): Promise<void>;
  /**
   * Streams demultiplexed log lines; resolves when the stream ends or the signal aborts (closing it).
   * When onLine returns a promise (the consumer is full), reading waits for it.
   */
  logs(id: string, opts: LogOptions, onLine: (line: LogLine) => void | Promise<void>, signal: AbortSignal): Promise<void>;
  /** Runs a command inside a running container; a timeout counts as a failure (exitCode -1). */
  exec(id: string, command: string[], timeoutMs: number): Promise<ExecResult>;
  /** Creates a bridge network with that name (and subnet, if given) unless it exists. */
  ensureNetwork(name: string, subnet?: string): Promise<void>;
}
