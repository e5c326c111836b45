import { deploymentSpec } from '@oja/contracts';
import { toDesiredInstance } from './desired-state';

describe('toDesiredInstance', () => {
  const base = { id: 'i1', tenant: 'acme', deployment: 'web', revision: 3 };

  it('maps a full spec to the wire, filling proto defaults for optional fields', () => {
    const spec = deploymentSpec.parse({
      name: 'web', image: 'busybox:1', replicas: 2, command: ['httpd', '-f'], env: { A: 'b' },
      ports: [{ name: 'http', container: 8080, publish: 80 }, { container: 9090 }],
      resources: { cpu: 0.5, memoryMb: 128 }, health: { http: { path: '/healthz', port: 8080 } }, capabilities: ['NET_BIND_SERVICE'],
    });
    expect(toDesiredInstance({ ...base, spec }, { server: 'r:5000', username: 'u', password: 'p' })).toEqual({
      id: 'i1', tenant: 'acme', deployment: 'web', revision: 3, image: 'busybox:1', command: ['httpd', '-f'], env: { A: 'b' },
      ports: [{ name: 'http', container: 8080, publish: 80 }, { name: '', container: 9090, publish: 0 }],
      resources: { cpu: 0.5, memoryMb: 128 },
      health: { probe: { $case: 'http', value: { path: '/healthz', port: 8080 } }, intervalSeconds: 5, timeoutSeconds: 1, failureThreshold: 3, initialDelaySeconds: 0 },
      capabilities: ['NET_BIND_SERVICE'], stopGracePeriodSeconds: 10, registryAuth: { server: 'r:5000', username: 'u', password: 'p' },
    });
  });

  it('leaves out health, command and credentials when the spec has none', () => {
    const out = toDesiredInstance({ ...base, spec: deploymentSpec.parse({ name: 'web', image: 'busybox:1', replicas: 1 }) });
    expect(out.health).toBeUndefined();
    expect(out.registryAuth).toBeUndefined();
    expect(out.command).toEqual([]);
  });

  it.each([
    [{ tcp: { port: 1 } }, { $case: 'tcp', value: { port: 1 } }],
    [{ exec: { command: ['true'] } }, { $case: 'exec', value: { command: ['true'] } }],
  ])('maps the %p probe', (health, probe) => {
    const spec = deploymentSpec.parse({ name: 'web', image: 'busybox:1', replicas: 1, health });
    expect(toDesiredInstance({ ...base, spec }).health?.probe).toEqual(probe);
  });
});
