import { randomBytes } from 'node:crypto';
import { CommandError } from '@oja/wireguard';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { deleteRedisKeys } from '../support/control-plane';
import { redisUrl, secretKeyHex } from '../support/env';
import { Lab, type ControlPlane } from './lab';
import { waitFor } from './processes';

/**
 * A running oja cluster in the lab for the overlay, isolation and registry tests: the built control plane on the
 * bridge, one built agent per host (joined, overlay up), and helpers to reach the API and containers.
 */
export interface InstanceRow {
  id: string;
  node: string | null;
  state: string;
  reason: string | null;
  overlayIp: string | null;
}

export interface Tenant {
  name: string;
  token: string;
}

export const METRICS_PORT = 7402;

export class OverlayCluster {
  readonly adminToken = `oja_admin_${randomBytes(16).toString('hex')}`;
  private readonly queuePrefix = `ojalab-${randomBytes(5).toString('hex')}`;
  lab!: Lab;
  controlPlane!: ControlPlane;
  private database?: TestDatabase;
  /** OJA_* settings over the defaults below (e.g. OJA_NODE_GRACE_SECONDS for the failover tests). */
  private env: Record<string, string> = {};

  static async start(hosts: number, options: { env?: Record<string, string> } = {}): Promise<OverlayCluster> {
    const cluster = new OverlayCluster();
    cluster.env = options.env ?? {};
    cluster.database = await createTestDatabase();
    cluster.lab = await Lab.up({ hosts });
    cluster.controlPlane = await cluster.lab.startControlPlane({ env: cluster.controlPlaneEnv() });
    for (let n = 1; n <= hosts; n++) {
      const token = await cluster.api('POST', '/v1/join-tokens', {});
      if (token.status !== 201) throw new Error(`join token: ${token.status}`);
      cluster.startAgent(n, token.body.token);
    }
    for (let n = 1; n <= hosts; n++) await cluster.waitOverlay(n);
    return cluster;
  }

  /**
   * Kills the control plane (SIGKILL by default) and starts a new one on the same addresses, database and queue;
   * `env` changes settings from then on (e.g. another OJA_NODE_GRACE_SECONDS).
   */
  async restartControlPlane(signal: NodeJS.Signals = 'SIGKILL', env: Record<string, string> = {}): Promise<void> {
    this.env = { ...this.env, ...env };
    const { process: child, httpUrl, grpcAddress } = this.controlPlane;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill(signal);
      await exited;
    }
    const port = (address: string) => Number(address.slice(address.lastIndexOf(':') + 1));
    this.controlPlane = await this.lab.startControlPlane({ env: this.controlPlaneEnv(), httpPort: port(httpUrl), grpcPort: port(grpcAddress) });
  }

  private controlPlaneEnv(): Record<string, string> {
    return {
      OJA_DATABASE_URL: this.database!.url,
      OJA_REDIS_URL: redisUrl(),
      OJA_SECRET_KEY: secretKeyHex(),
      OJA_ADMIN_TOKEN: this.adminToken,
      OJA_QUEUE_PREFIX: this.queuePrefix,
      // well above the 2 s heartbeat interval: a busy (re)starting agent must not be declared down by accident
      OJA_NODE_GRACE_SECONDS: '6',
      ...this.env,
    };
  }

  async stop(): Promise<void> {
    await this.lab?.down();
    await this.database?.drop();
    await deleteRedisKeys(this.queuePrefix);
  }

  /** Starts (or, without a token, restarts) the agent of host N with metrics on its underlay address. */
  startAgent(n: number, token?: string): void {
    this.lab.startAgent(n, {
      ...(token ? { join: this.controlPlane.grpcAddress, token } : {}),
      args: ['--metrics-addr', `${this.lab.hostAddress(n)}:${METRICS_PORT}`],
    });
  }

  async api(method: string, path: string, body?: unknown, token = this.adminToken): Promise<{ status: number; body: any }> {
    const res = await fetch(this.controlPlane.httpUrl + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  async tenant(prefix: string): Promise<Tenant> {
    const name = `${prefix}-${randomBytes(3).toString('hex')}`;
    const res = await this.api('POST', '/v1/tenants', { name });
    if (res.status !== 201) throw new Error(`tenant ${name}: ${res.status} ${JSON.stringify(res.body)}`);
    return { name, token: res.body.token };
  }

  async node(n: number): Promise<{ name: string; status: string; overlaySubnet: string | null } | undefined> {
    return (await this.api('GET', '/v1/nodes')).body.items.find((node: { name: string }) => node.name === this.lab.hostName(n));
  }

  /** Waits until host N's node is ready and its agent has brought oja0 up. */
  async waitOverlay(n: number): Promise<void> {
    await waitFor(`${this.lab.hostName(n)} ready`, async () => (await this.node(n))?.status === 'ready', 90_000);
    await waitFor(`oja0 on ${this.lab.hostName(n)}`, () => this.succeeds(n, 'wg', ['show', 'oja0', 'public-key']), 30_000);
  }

  async deploy(tenant: Tenant, spec: Record<string, unknown>): Promise<void> {
    const res = await this.api('PUT', `/v1/deployments/${spec.name}`, spec, tenant.token);
    if (res.status !== 200 && res.status !== 201) throw new Error(`deploy ${spec.name}: ${res.status} ${JSON.stringify(res.body)}`);
  }

  async instances(tenant: Tenant, deployment: string): Promise<InstanceRow[]> {
    return (await this.api('GET', `/v1/deployments/${deployment}/instances`, undefined, tenant.token)).body.items;
  }

  /** Waits until `count` instances run with an overlay address; returns them. */
  async waitRunning(tenant: Tenant, deployment: string, count: number): Promise<InstanceRow[]> {
    return waitFor(`${count} running instances of ${deployment}`, async () => {
      const rows = (await this.instances(tenant, deployment)).filter((i) => ['running', 'healthy'].includes(i.state) && i.overlayIp);
      return rows.length === count ? rows : undefined;
    }, 120_000);
  }

  hostOf(instance: InstanceRow): number {
    const match = /^ojahost(\d+)$/.exec(instance.node ?? '');
    if (!match) throw new Error(`instance ${instance.id} is on no lab host (${instance.node})`);
    return Number(match[1]);
  }

  async containerOf(instance: InstanceRow): Promise<string> {
    const { stdout } = await this.lab.docker(this.hostOf(instance), ['ps', '-q', '--filter', `label=oja.instance=${instance.id}`]);
    const id = stdout.trim();
    if (!id) throw new Error(`no container for instance ${instance.id}`);
    return id;
  }

  /** HTTP GET from inside `from`'s container; rejects (CommandError) when the request fails or times out. */
  async httpFrom(from: InstanceRow, url: string): Promise<string> {
    // busybox's `wget -T` segfaults: bound it with `timeout` instead
    return (await this.lab.docker(this.hostOf(from), ['exec', await this.containerOf(from), 'timeout', '4', 'wget', '-qO-', url])).stdout;
  }

  /** Whether the GET from `from` to `url` succeeds. */
  async reaches(from: InstanceRow, url: string): Promise<boolean> {
    try {
      await this.httpFrom(from, url);
      return true;
    } catch (error) {
      if (error instanceof CommandError) return false;
      throw error;
    }
  }

  async succeeds(n: number, cmd: string, args: string[]): Promise<boolean> {
    try {
      await this.lab.exec(n, cmd, args);
      return true;
    } catch (error) {
      if (error instanceof CommandError) return false;
      throw error;
    }
  }
}

/** An httpd on port 8080 serving `body` (written at start, so each instance can prove who answered). */
export function httpdSpec(name: string, replicas: number, body: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    image: 'oja/busybox:1',
    replicas,
    command: ['sh', '-c', `mkdir -p /tmp/www && echo "${body}" > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www`],
    resources: { cpu: 0.1, memoryMb: 32 },
    ...extra,
  };
}
