import type {
  CreateTenantRequest,
  CreateTenantResponse,
  DeploymentSpecInput,
  DeploymentView,
  EventView,
  InstanceView,
  List,
  LogEntry,
  NodeView,
  Problem,
  RegistryCredentialRequest,
  RegistryCredentialView,
  RevisionView,
  TenantView,
  TokenResponse,
} from '@oja/contracts';
import { CliError } from './errors';

/** An HTTP error answer from the control plane, with the problem it sent when there was one. */
export class ApiError extends CliError {
  constructor(
    message: string,
    readonly status: number,
    readonly problem?: Problem,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface EventsQuery {
  deployment?: string;
  node?: string;
  type?: string;
  limit?: number;
  before?: string;
  /** Oldest first, the events after this id. */
  after?: string;
}

export interface LogsQuery {
  follow?: boolean;
  tail?: number;
  since?: string;
  instance?: string;
}

type Query = Record<string, string | number | boolean | undefined>;

const REQUEST_TIMEOUT_MS = 30_000;

/** Typed client for the REST API (/v1). Every failure becomes a CliError with a one-line message. */
export class ApiClient {
  constructor(
    readonly server: string,
    private readonly token: string | undefined,
  ) {}

  // ---- deployments
  applyDeployment(name: string, spec: DeploymentSpecInput) {
    return this.json<DeploymentView>('PUT', `/v1/deployments/${seg(name)}`, spec);
  }
  listDeployments() {
    return this.json<List<DeploymentView>>('GET', '/v1/deployments');
  }
  getDeployment(name: string) {
    return this.json<DeploymentView>('GET', `/v1/deployments/${seg(name)}`);
  }
  /** The deployment, or undefined when the server answers 404. */
  async findDeployment(name: string): Promise<DeploymentView | undefined> {
    try {
      return await this.getDeployment(name);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return undefined;
      throw err;
    }
  }
  scaleDeployment(name: string, replicas: number) {
    return this.json<DeploymentView>('PATCH', `/v1/deployments/${seg(name)}/scale`, { replicas });
  }
  deleteDeployment(name: string) {
    return this.json<unknown>('DELETE', `/v1/deployments/${seg(name)}`);
  }
  listRevisions(name: string) {
    return this.json<List<RevisionView>>('GET', `/v1/deployments/${seg(name)}/revisions`);
  }
  rollback(name: string, revision?: number) {
    return this.json<DeploymentView>('POST', `/v1/deployments/${seg(name)}/rollback`, revision === undefined ? {} : { revision });
  }
  pause(name: string) {
    return this.json<DeploymentView>('POST', `/v1/deployments/${seg(name)}/pause`);
  }
  resume(name: string) {
    return this.json<DeploymentView>('POST', `/v1/deployments/${seg(name)}/resume`);
  }
  listInstances(name: string) {
    return this.json<List<InstanceView>>('GET', `/v1/deployments/${seg(name)}/instances`);
  }
  /** The NDJSON log stream of a deployment, one entry at a time. */
  async *logs(name: string, query: LogsQuery): AsyncGenerator<LogEntry> {
    const res = await this.send('GET', `/v1/deployments/${seg(name)}/logs${queryString({ ...query, follow: query.follow || undefined })}`, undefined, !query.follow);
    if (!res.body) return;
    yield* parseNdjson<LogEntry>(res.body);
  }

  // ---- events
  listEvents(query: EventsQuery = {}) {
    return this.json<List<EventView>>('GET', `/v1/events${queryString({ ...query })}`);
  }

  // ---- nodes (admin)
  listNodes() {
    return this.json<List<NodeView>>('GET', '/v1/nodes');
  }
  drainNode(name: string) {
    return this.json<NodeView>('POST', `/v1/nodes/${seg(name)}/drain`);
  }
  undrainNode(name: string) {
    return this.json<NodeView>('POST', `/v1/nodes/${seg(name)}/undrain`);
  }
  dedicateNode(name: string, tenant: string) {
    return this.json<NodeView>('POST', `/v1/nodes/${seg(name)}/dedicate`, { tenant });
  }
  undedicateNode(name: string) {
    return this.json<NodeView>('POST', `/v1/nodes/${seg(name)}/undedicate`);
  }
  /** Forgets a node that left (down or drained). */
  removeNode(name: string) {
    return this.json<unknown>('DELETE', `/v1/nodes/${seg(name)}`);
  }
  createJoinToken(ttlSeconds: number) {
    return this.json<TokenResponse>('POST', '/v1/join-tokens', { ttlSeconds });
  }

  // ---- tenants (admin)
  createTenant(request: CreateTenantRequest) {
    return this.json<CreateTenantResponse>('POST', '/v1/tenants', request);
  }
  listTenants() {
    return this.json<List<TenantView>>('GET', '/v1/tenants');
  }

  // ---- registry credentials (tenant)
  addRegistryCredential(request: RegistryCredentialRequest) {
    return this.json<RegistryCredentialView>('POST', '/v1/registry-credentials', request);
  }
  listRegistryCredentials() {
    return this.json<List<RegistryCredentialView>>('GET', '/v1/registry-credentials');
  }
  removeRegistryCredential(name: string) {
    return this.json<unknown>('DELETE', `/v1/registry-credentials/${seg(name)}`);
  }

  /**
   * Checks that the token is accepted. Any answer but 401 proves it: an admin token gets 403 on
   * tenant routes, which still means the server knows it.
   */
  async verifyToken(): Promise<void> {
    try {
      await this.json('GET', '/v1/deployments');
    } catch (err) {
      if (err instanceof ApiError && err.status !== 401) return;
      throw err;
    }
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.send(method, path, body, true);
    const text = await res.text();
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(`the control plane at ${this.server} answered ${method} ${path} with something that is not JSON`);
    }
  }

  private async send(method: string, path: string, body: unknown, bounded: boolean): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(this.server + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: bounded ? AbortSignal.timeout(REQUEST_TIMEOUT_MS) : undefined,
      });
    } catch (err) {
      throw new CliError(`cannot reach the control plane at ${this.server}: ${networkReason(err)}`);
    }
    if (!res.ok) throw await apiError(res, Boolean(this.token));
    return res;
  }
}

function seg(value: string): string {
  return encodeURIComponent(value);
}

export function queryString(query: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== false) params.set(key, String(value));
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** The most specific code Node's fetch gives for a failed connection ("ECONNREFUSED", "ENOTFOUND"…). */
export function networkReason(err: unknown): string {
  let current: unknown = err;
  let message = (err as Error)?.message ?? String(err);
  for (let depth = 0; depth < 5 && current; depth++) {
    const e = current as { code?: unknown; errors?: unknown[]; cause?: unknown; name?: string; message?: string };
    if (typeof e.code === 'string' && !e.code.startsWith('UND_ERR')) return e.code;
    if (e.name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
    if (e.message) message = e.message;
    current = e.errors?.[0] ?? e.cause;
  }
  return message;
}

async function apiError(res: Response, hadToken: boolean): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  let problem: Problem | undefined;
  try {
    const parsed = JSON.parse(text) as Partial<Problem>;
    if (typeof parsed === 'object' && parsed !== null && (parsed.detail || parsed.title)) problem = parsed as Problem;
  } catch {
    // not JSON: described by the status below
  }
  let message = problem ? problemMessage(problem) : `${res.status} ${res.statusText || 'error'}${text ? `: ${text.slice(0, 200)}` : ''}`;
  if (res.status === 401) {
    message += hadToken ? ' (the token was refused; run "oja login" again)' : ' (no token: run "oja login --server URL --token T" or set OJA_TOKEN)';
  }
  return new ApiError(message, res.status, problem);
}

/** The problem's detail, plus any field errors the detail does not already mention. */
export function problemMessage(problem: Problem): string {
  const detail = problem.detail || problem.title || `error ${problem.status}`;
  const extra = (problem.errors ?? []).filter((e) => !detail.includes(e.path)).map((e) => `${e.path}: ${e.message}`);
  return extra.length ? `${detail} (${extra.join('; ')})` : detail;
}

/** Splits a byte stream into JSON lines; blank lines (keep-alives) are skipped. */
export async function* parseNdjson<T>(body: AsyncIterable<Uint8Array>): AsyncGenerator<T> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of body) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line) yield JSON.parse(line) as T;
    }
  }
  const rest = (buffered + decoder.decode()).trim();
  if (rest) yield JSON.parse(rest) as T;
}
