import { createHash } from 'node:crypto';
import { LABEL, type CreateContainerOptions } from '../runtime/runtime';
import type { DesiredInstance } from './types';

export const DEFAULT_PIDS_LIMIT = 512;

/** `oja-<deployment>-<first 12 alphanumerics of the instance id>`: readable in `docker ps`, unique per instance. */
export function containerName(instance: Pick<DesiredInstance, 'deployment' | 'id'>): string {
  return `oja-${instance.deployment}-${instance.id.replace(/[^A-Za-z0-9]/g, '').slice(0, 12)}`;
}

/**
 * Hash of everything that shapes the container itself. Health probes, grace period and registry
 * credentials are left out: changing them must not recreate a running container.
 */
export function containerSpecHash(instance: DesiredInstance): string {
  const shaping = {
    tenant: instance.tenant,
    deployment: instance.deployment,
    revision: instance.revision,
    image: instance.image,
    command: instance.command ?? null,
    env: Object.entries(instance.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    ports: instance.ports.map((p) => [p.container, p.protocol]),
    resources: [instance.resources.cpu, instance.resources.memoryMb],
    capabilities: [...instance.capabilities].sort(),
    network: instance.network ?? null,
  };
  return createHash('sha256').update(JSON.stringify(shaping)).digest('hex').slice(0, 16);
}

/** The engine-level container for a desired instance, with oja's fixed hardening. */
export function containerOptions(instance: DesiredInstance, node: string, pidsLimit = DEFAULT_PIDS_LIMIT): CreateContainerOptions {
  return {
    name: containerName(instance),
    image: instance.image,
    command: instance.command,
    env: instance.env,
    labels: {
      [LABEL.tenant]: instance.tenant,
      [LABEL.deployment]: instance.deployment,
      [LABEL.instance]: instance.id,
      [LABEL.revision]: String(instance.revision),
      [LABEL.specHash]: containerSpecHash(instance),
      [LABEL.node]: node,
    },
    memoryMb: instance.resources.memoryMb,
    cpu: instance.resources.cpu,
    pidsLimit,
    capAdd: instance.capabilities,
    network: instance.network,
  };
}
