import { DEFAULT_RESOURCES } from '@oja/contracts';
import type * as proto from '@oja/proto';
import { fromProtoDesiredInstance, toProtoInstanceStatus } from './mapping';

function wireInstance(overrides: Partial<proto.DesiredInstance> = {}): proto.DesiredInstance {
  return {
    id: 'i-1',
    tenant: 'acme',
    deployment: 'web',
    revision: 3,
    image: 'oja/busybox:1',
    command: [],
    env: {},
    ports: [],
    resources: undefined,
    health: undefined,
    capabilities: [],
    stopGracePeriodSeconds: 10,
    registryAuth: undefined,
    ...overrides,
  };
}

describe('fromProtoDesiredInstance', () => {
  it('turns proto3 zero values into absent fields', () => {
    expect(fromProtoDesiredInstance(wireInstance())).toEqual({
      id: 'i-1',
      tenant: 'acme',
      deployment: 'web',
      revision: 3,
      image: 'oja/busybox:1',
      command: undefined,
      env: {},
      ports: [],
      resources: { ...DEFAULT_RESOURCES },
      health: undefined,
      capabilities: [],
      stopGracePeriodSeconds: 10,
      registryAuth: undefined,
      network: undefined,
    });
  });

  it('carries command, env, ports, resources, capabilities, credentials and the network', () => {
    const mapped = fromProtoDesiredInstance(
      wireInstance({
        command: ['httpd', '-f', '-p', '8080'],
        env: { GREETING: 'hello' },
        ports: [
          { name: 'http', container: 8080, publish: 8080 },
          { name: '', container: 9090, publish: 0 },
        ],
        resources: { cpu: 0.25, memoryMb: 64 },
        capabilities: ['NET_BIND_SERVICE'],
        registryAuth: { server: 'r:5000', username: 'u', password: 'p' },
      }),
      'oja',
    );
    expect(mapped).toMatchObject({
      command: ['httpd', '-f', '-p', '8080'],
      env: { GREETING: 'hello' },
      ports: [
        { name: 'http', container: 8080, publish: 8080, protocol: 'tcp' },
        { name: undefined, container: 9090, publish: undefined, protocol: 'tcp' },
      ],
      resources: { cpu: 0.25, memoryMb: 64 },
      capabilities: ['NET_BIND_SERVICE'],
      registryAuth: { server: 'r:5000', username: 'u', password: 'p' },
      network: 'oja',
    });
  });

  it.each<[string, proto.HealthCheck['probe'], object]>([
    ['http', { $case: 'http', value: { path: '/healthz', port: 8080 } }, { http: { path: '/healthz', port: 8080 } }],
    ['tcp', { $case: 'tcp', value: { port: 5432 } }, { tcp: { port: 5432 } }],
    ['exec', { $case: 'exec', value: { command: ['true'] } }, { exec: { command: ['true'] } }],
  ])('maps a %s probe with its timings', (_kind, probe, expected) => {
    const health = { probe, intervalSeconds: 2, timeoutSeconds: 1, failureThreshold: 3, initialDelaySeconds: 4 };
    expect(fromProtoDesiredInstance(wireInstance({ health })).health).toEqual({
      ...expected,
      intervalSeconds: 2,
      timeoutSeconds: 1,
      failureThreshold: 3,
      initialDelaySeconds: 4,
    });
  });

  it('fills zero timings with the spec defaults', () => {
    const health = { probe: { $case: 'tcp' as const, value: { port: 1 } }, intervalSeconds: 0, timeoutSeconds: 0, failureThreshold: 0, initialDelaySeconds: 0 };
    expect(fromProtoDesiredInstance(wireInstance({ health })).health).toEqual({
      tcp: { port: 1 },
      intervalSeconds: 5,
      timeoutSeconds: 1,
      failureThreshold: 3,
      initialDelaySeconds: 0,
    });
  });

  it('treats a health check without a probe as no health check', () => {
    const health = { probe: undefined, intervalSeconds: 2, timeoutSeconds: 1, failureThreshold: 3, initialDelaySeconds: 0 };
    expect(fromProtoDesiredInstance(wireInstance({ health })).health).toBeUndefined();
  });

  it('does not share arrays or maps with the wire message', () => {
    const wire = wireInstance({ command: ['a'], env: { A: '1' } });
    const mapped = fromProtoDesiredInstance(wire);
    wire.command.push('b');
    wire.env.B = '2';
    expect(mapped.command).toEqual(['a']);
    expect(mapped.env).toEqual({ A: '1' });
  });
});

describe('toProtoInstanceStatus', () => {
  const at = new Date('2026-11-23T18:00:00.123Z');

  it('writes absent values as the wire sentinels', () => {
    expect(
      toProtoInstanceStatus({ id: 'i-1', state: 'pending', containerId: null, overlayIp: null, healthy: false, restarts: 0, exitCode: null, reason: null }, at),
    ).toEqual({
      instanceId: 'i-1',
      state: 'pending',
      containerId: '',
      overlayIp: '',
      healthy: false,
      restarts: 0,
      exitCode: -1,
      reason: '',
      lastChecks: [],
      at: '2026-11-23T18:00:00.123Z',
      pulledImage: '',
    });
  });

  it('carries a full report', () => {
    const report = {
      id: 'i-2',
      state: 'unhealthy' as const,
      containerId: 'c0ffee',
      overlayIp: '10.42.1.5',
      healthy: false,
      restarts: 2,
      exitCode: 137,
      reason: 'health check failed 3 times',
      lastChecks: [{ at: '2026-11-23T17:59:59Z', ok: false, output: 'HTTP 500' }],
      pulledImage: 'registry:5000/acme/web:2',
    };
    expect(toProtoInstanceStatus(report, at)).toEqual({
      instanceId: 'i-2',
      state: 'unhealthy',
      containerId: 'c0ffee',
      overlayIp: '10.42.1.5',
      healthy: false,
      restarts: 2,
      exitCode: 137,
      reason: 'health check failed 3 times',
      lastChecks: [{ at: '2026-11-23T17:59:59Z', ok: false, output: 'HTTP 500' }],
      at: '2026-11-23T18:00:00.123Z',
      pulledImage: 'registry:5000/acme/web:2',
    });
  });
});
