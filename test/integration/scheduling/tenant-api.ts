import type { TestControlPlane } from '../../support/control-plane';
import { sql } from '../gateway/cluster';

/** A tenant's view of the API in the scheduling tests: apply, scale, list instances, read the deployment and its events. */
export interface InstanceView {
  id: string;
  node: string | null;
  state: string;
  reason: string | null;
}

export class TenantApi {
  constructor(
    private readonly cp: TestControlPlane,
    readonly tenant: { id: string; name: string; token: string },
  ) {}

  async apply(body: Record<string, unknown>): Promise<void> {
    const res = await this.cp.request('PUT', `/v1/deployments/${body.name}`, { token: this.tenant.token, body });
    if (res.status !== 200 && res.status !== 201) throw new Error(`apply ${body.name}: ${res.status} ${res.text}`);
  }

  async scale(name: string, replicas: number): Promise<void> {
    const res = await this.cp.request('PATCH', `/v1/deployments/${name}/scale`, { token: this.tenant.token, body: { replicas } });
    if (res.status !== 200) throw new Error(`scale ${name}: ${res.status} ${res.text}`);
  }

  async delete(name: string): Promise<void> {
    const res = await this.cp.request('DELETE', `/v1/deployments/${name}`, { token: this.tenant.token });
    if (res.status !== 204) throw new Error(`delete ${name}: ${res.status} ${res.text}`);
  }

  async pause(name: string): Promise<void> {
    const res = await this.cp.request('POST', `/v1/deployments/${name}/pause`, { token: this.tenant.token });
    if (res.status !== 200 && res.status !== 201) throw new Error(`pause ${name}: ${res.status} ${res.text}`);
  }

  async resume(name: string): Promise<void> {
    const res = await this.cp.request('POST', `/v1/deployments/${name}/resume`, { token: this.tenant.token });
    if (res.status !== 200 && res.status !== 201) throw new Error(`resume ${name}: ${res.status} ${res.text}`);
  }

  async instances(name: string): Promise<InstanceView[]> {
    const res = await this.cp.request('GET', `/v1/deployments/${name}/instances`, { token: this.tenant.token });
    if (res.status !== 200) throw new Error(`instances of ${name}: ${res.status} ${res.text}`);
    return res.body.items;
  }

  async deployment(name: string): Promise<{ status: { phase: string; conditions: { type: string; status: string; message?: string }[] } }> {
    return (await this.cp.request('GET', `/v1/deployments/${name}`, { token: this.tenant.token })).body;
  }

  /** Event messages of one type for one of this tenant's deployments, oldest first. */
  async events(deployment: string, type: string): Promise<string[]> {
    const rows = await sql<{ message: string }>(
      this.cp,
      `SELECT message FROM events WHERE tenant_id = $1 AND deployment_name = $2 AND type = $3 ORDER BY id`,
      [this.tenant.id, deployment, type],
    );
    return rows.map((r) => r.message);
  }
}

/** Admin node operations: drain, undrain, dedicate, undedicate. */
export async function nodeAction(cp: TestControlPlane, node: string, action: 'drain' | 'undrain' | 'dedicate' | 'undedicate', tenant?: string): Promise<void> {
  const res = await cp.request('POST', `/v1/nodes/${node}/${action}`, { token: cp.adminToken, body: tenant ? { tenant } : {} });
  if (res.status !== 200 && res.status !== 201) throw new Error(`${action} ${node}: ${res.status} ${res.text}`);
}

/** The node events of one type, e.g. node.down. */
export async function nodeEvents(cp: TestControlPlane, node: string, type: string): Promise<string[]> {
  return (await sql<{ message: string }>(cp, `SELECT message FROM events WHERE node_name = $1 AND type = $2 ORDER BY id`, [node, type])).map((r) => r.message);
}
