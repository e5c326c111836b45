import type { DeploymentSpec, InstanceState } from '@oja/contracts';
import type { Route } from '@oja/proto';

/**
 * The routing mesh of the cluster, built from Postgres rows (pure). Every node receives all routes: each
 * published port listens on every node and balances over the deployment's ready instances on any node.
 */

export interface RouteDeploymentRow {
  id: string;
  tenant: string;
  deployment: string;
  /** The spec of the deployment's current revision: it decides the published ports and the mesh's health check. */
  spec: DeploymentSpec;
}

export interface RouteInstanceRow {
  id: string;
  deploymentId: string;
  desired: 'running' | 'stopped';
  observed: InstanceState;
  overlayIp: string | null;
  /** Chosen to stop: it leaves the routes before it is stopped (two-phase stop). */
  stopRequested: boolean;
  /** The spec of the instance's own revision (its ports and whether it has a probe). */
  spec: DeploymentSpec;
}

/** States in which an instance may be a backend (ready still depends on its probe). */
export const ROUTABLE_STATES: readonly InstanceState[] = ['running', 'healthy'];

/** Ready for traffic: desired running, not asked to stop, addressable, and healthy (or running when it has no probe). */
export function isRoutable(i: Pick<RouteInstanceRow, 'desired' | 'observed' | 'overlayIp' | 'stopRequested' | 'spec'>): boolean {
  if (i.desired !== 'running' || i.stopRequested || !i.overlayIp) return false;
  return i.observed === 'healthy' || (i.observed === 'running' && !i.spec.health);
}

/** Whether a reported change may move the instance in or out of the routes (then every node must hear of it). */
export function mayChangeRoutes(prev: { state: InstanceState; overlayIp: string | null }, next: { state: InstanceState; overlayIp: string | null }): boolean {
  if (prev.state === next.state && prev.overlayIp === next.overlayIp) return false;
  return ROUTABLE_STATES.includes(prev.state) || ROUTABLE_STATES.includes(next.state);
}

/**
 * One route per published port of each deployment's current spec, sorted by port. A backend is a routable instance
 * with the same published port in its own revision (its container port may differ between revisions). Two
 * deployments publishing one port: the first by tenant and name keeps it.
 */
export function buildRoutes(deployments: readonly RouteDeploymentRow[], instances: readonly RouteInstanceRow[]): Route[] {
  const byDeployment = new Map<string, RouteInstanceRow[]>();
  for (const i of instances) if (isRoutable(i)) byDeployment.set(i.deploymentId, [...(byDeployment.get(i.deploymentId) ?? []), i]);
  const routes = new Map<number, Route>();
  const ordered = [...deployments].sort((a, b) => a.tenant.localeCompare(b.tenant) || a.deployment.localeCompare(b.deployment));
  for (const d of ordered) {
    for (const port of d.spec.ports) {
      if (!port.publish || routes.has(port.publish)) continue;
      const backends = (byDeployment.get(d.id) ?? []).flatMap((i) => {
        const own = i.spec.ports.find((p) => p.publish === port.publish);
        return own ? [{ instanceId: i.id, address: i.overlayIp!, port: own.container }] : [];
      });
      routes.set(port.publish, {
        tenant: d.tenant,
        deployment: d.deployment,
        publishPort: port.publish,
        containerPort: port.container,
        http: Boolean(d.spec.health?.http),
        backends: backends.sort((a, b) => a.instanceId.localeCompare(b.instanceId)),
      });
    }
  }
  return [...routes.values()].sort((a, b) => a.publishPort - b.publishPort);
}
