import { randomUUID } from 'node:crypto';
import type { DesiredInstance } from './types';

/** Test factory: a small valid desired instance (busybox httpd), overridable field by field. */
export function desiredInstance(overrides: Partial<DesiredInstance> = {}): DesiredInstance {
  return {
    id: randomUUID(),
    tenant: 'acme',
    deployment: 'web',
    revision: 1,
    image: 'oja/busybox:1',
    command: ['httpd', '-f', '-p', '8080', '-h', '/www'],
    env: {},
    ports: [{ name: 'http', container: 8080, protocol: 'tcp' }],
    resources: { cpu: 0.1, memoryMb: 32 },
    capabilities: [],
    stopGracePeriodSeconds: 1,
    ...overrides,
  };
}
