import type { Route } from '@oja/proto';
import type { MeshRoute } from './types';

/** A Routes message's routes as the mesh keeps them. */
export function meshRoutesFromProto(routes: readonly Route[]): MeshRoute[] {
  return routes.map((r) => ({
    tenant: r.tenant,
    deployment: r.deployment,
    publishPort: r.publishPort,
    containerPort: r.containerPort,
    http: r.http,
    backends: r.backends.map((b) => ({ instanceId: b.instanceId, address: b.address, port: b.port })),
  }));
}
