import { DEFAULT_RESOURCES, type HealthSpec, type PortSpec } from '@oja/contracts';
import type * as proto from '@oja/proto';
import type { DesiredInstance, InstanceStatusReport } from '../reconcile/types';

// Spec defaults, for fields a sender left at proto3's zero value.
const HEALTH_DEFAULTS = { intervalSeconds: 5, timeoutSeconds: 1, failureThreshold: 3 };

/** A DesiredInstance from the wire into the reconciler's shape (proto3 zero values → absent). */
export function fromProtoDesiredInstance(wire: proto.DesiredInstance, network?: string): DesiredInstance {
  return {
    id: wire.id,
    tenant: wire.tenant,
    deployment: wire.deployment,
    revision: wire.revision,
    image: wire.image,
    command: wire.command.length > 0 ? [...wire.command] : undefined,
    env: { ...wire.env },
    ports: wire.ports.map(fromProtoPort),
    resources: wire.resources ? { cpu: wire.resources.cpu, memoryMb: wire.resources.memoryMb } : { ...DEFAULT_RESOURCES },
    health: wire.health ? fromProtoHealth(wire.health) : undefined,
    capabilities: [...wire.capabilities],
    stopGracePeriodSeconds: wire.stopGracePeriodSeconds,
    registryAuth: wire.registryAuth ? { ...wire.registryAuth } : undefined,
    network,
  };
}

function fromProtoPort(port: proto.PortMapping): PortSpec {
  return {
    name: port.name || undefined,
    container: port.container,
    publish: port.publish || undefined,
    protocol: 'tcp',
  };
}

function fromProtoHealth(health: proto.HealthCheck): HealthSpec | undefined {
  const probe = health.probe;
  if (!probe) return undefined;
  const timing = {
    intervalSeconds: health.intervalSeconds || HEALTH_DEFAULTS.intervalSeconds,
    timeoutSeconds: health.timeoutSeconds || HEALTH_DEFAULTS.timeoutSeconds,
    failureThreshold: health.failureThreshold || HEALTH_DEFAULTS.failureThreshold,
    initialDelaySeconds: health.initialDelaySeconds,
  };
  switch (probe.$case) {
    case 'http':
      return { http: { path: probe.value.path || '/', port: probe.value.port }, ...timing };
    case 'tcp':
      return { tcp: { port: probe.value.port }, ...timing };
    case 'exec':
      return { exec: { command: [...probe.value.command] }, ...timing };
  }
}

/** A reconciler report onto the wire; `at` orders reports that arrive out of order. */
export function toProtoInstanceStatus(report: InstanceStatusReport, at: Date): proto.InstanceStatus {
  return {
    instanceId: report.id,
    state: report.state,
    containerId: report.containerId ?? '',
    overlayIp: report.overlayIp ?? '',
    healthy: report.healthy,
    restarts: report.restarts,
    exitCode: report.exitCode ?? -1,
    reason: report.reason ?? '',
    lastChecks: (report.lastChecks ?? []).map((c) => ({ at: c.at, ok: c.ok, output: c.output })),
    at: at.toISOString(),
    pulledImage: report.pulledImage ?? '',
  };
}
