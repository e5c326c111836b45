import type { DeploymentSpec } from '@oja/contracts';
import type { DesiredInstance, HealthCheck, RegistryAuth } from '@oja/proto';

/** One instance desired running on a node, as loaded from Postgres (instance + revision spec + tenant). */
export interface DesiredInstanceRow {
  id: string;
  tenant: string;
  deployment: string;
  revision: number;
  spec: DeploymentSpec;
}

/** Maps a stored spec to the wire. Credentials are attached only for instances whose spec names one. */
export function toDesiredInstance(row: DesiredInstanceRow, registryAuth?: RegistryAuth): DesiredInstance {
  const { spec } = row;
  return {
    id: row.id,
    tenant: row.tenant,
    deployment: row.deployment,
    revision: row.revision,
    image: spec.image,
    command: spec.command ?? [],
    env: { ...spec.env },
    ports: spec.ports.map((p) => ({ name: p.name ?? '', container: p.container, publish: p.publish ?? 0 })),
    resources: { cpu: spec.resources.cpu, memoryMb: spec.resources.memoryMb },
    health: spec.health ? toHealthCheck(spec.health) : undefined,
    capabilities: [...spec.capabilities],
    stopGracePeriodSeconds: spec.stopGracePeriodSeconds,
    registryAuth,
  };
}

function toHealthCheck(h: NonNullable<DeploymentSpec['health']>): HealthCheck {
  const probe: HealthCheck['probe'] = h.http
    ? { $case: 'http', value: { path: h.http.path, port: h.http.port } }
    : h.tcp
      ? { $case: 'tcp', value: { port: h.tcp.port } }
      : { $case: 'exec', value: { command: h.exec?.command ?? [] } };
  return {
    probe,
    intervalSeconds: h.intervalSeconds,
    timeoutSeconds: h.timeoutSeconds,
    failureThreshold: h.failureThreshold,
    initialDelaySeconds: h.initialDelaySeconds,
  };
}
