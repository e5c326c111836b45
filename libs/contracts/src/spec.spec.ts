import { deploymentSpec, deploymentSpecSchema, DeploymentSpecInput } from './spec';
import { describeFieldErrors, fieldErrors } from './errors';
import { IMAGE_REFERENCE } from './names';

const minimal: DeploymentSpecInput = { name: 'web', image: 'oja/busybox:1', replicas: 3 };

function errorsOf(input: unknown, schema = deploymentSpec) {
  const result = schema.safeParse(input);
  if (result.success) throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
  return fieldErrors(result.error);
}

describe('deploymentSpec', () => {
  it('fills every default of a minimal spec', () => {
    const spec = deploymentSpec.parse(minimal);
    expect(spec).toEqual({
      name: 'web',
      image: 'oja/busybox:1',
      replicas: 3,
      env: {},
      ports: [],
      resources: { cpu: 0.1, memoryMb: 64 },
      update: { maxSurge: 1, maxUnavailable: 0, minReadySeconds: 0, progressDeadlineSeconds: 120, autoRollback: true },
      placement: { strategy: 'spread', constraints: [] },
      capabilities: [],
      stopGracePeriodSeconds: 10,
    });
  });

  it('accepts the full example of DESIGN.md', () => {
    const spec = deploymentSpec.parse({
      name: 'web',
      image: '192.168.77.1:5000/acme/web:1.2',
      replicas: 3,
      command: ['httpd', '-f', '-p', '8080'],
      env: { GREETING: 'hello' },
      ports: [{ name: 'http', container: 8080, publish: 8080 }],
      resources: { cpu: 0.25, memoryMb: 64 },
      health: { http: { path: '/healthz', port: 8080 }, intervalSeconds: 2, timeoutSeconds: 1, failureThreshold: 3 },
      update: { maxSurge: 1, maxUnavailable: 0, minReadySeconds: 2, progressDeadlineSeconds: 120, autoRollback: true },
      placement: { strategy: 'spread', constraints: ['label.zone == a'] },
      registryCredential: 'acme-registry',
    });
    expect(spec.health?.http).toEqual({ path: '/healthz', port: 8080 });
    expect(spec.ports[0].protocol).toBe('tcp');
  });

  it.each([
    ['name with capitals', { ...minimal, name: 'Web' }, 'name'],
    ['name longer than 63', { ...minimal, name: 'a'.repeat(64) }, 'name'],
    ['name ending with a dash', { ...minimal, name: 'web-' }, 'name'],
    ['name as a number', { ...minimal, name: 5 }, 'name'],
    ['negative replicas', { ...minimal, replicas: -1 }, 'replicas'],
    ['fractional replicas', { ...minimal, replicas: 1.5 }, 'replicas'],
    ['huge replicas', { ...minimal, replicas: 1001 }, 'replicas'],
    ['replicas as a string', { ...minimal, replicas: '3' }, 'replicas'],
    ['image with capitals in the path', { ...minimal, image: 'Oja/busybox' }, 'image'],
    ['image with spaces', { ...minimal, image: 'busy box' }, 'image'],
    ['empty image', { ...minimal, image: '' }, 'image'],
    ['zero cpu', { ...minimal, resources: { cpu: 0, memoryMb: 64 } }, 'resources.cpu'],
    ['cpu below the Docker minimum', { ...minimal, resources: { cpu: 0.001, memoryMb: 64 } }, 'resources.cpu'],
    ['memory below the Docker minimum', { ...minimal, resources: { cpu: 1, memoryMb: 1 } }, 'resources.memoryMb'],
    ['port 0', { ...minimal, ports: [{ container: 0 }] }, 'ports.0.container'],
    ['port 70000', { ...minimal, ports: [{ container: 80, publish: 70000 }] }, 'ports.0.publish'],
    ['duplicate container ports', { ...minimal, ports: [{ container: 80 }, { container: 80 }] }, 'ports.1.container'],
    ['duplicate published ports', { ...minimal, ports: [{ container: 80, publish: 8080 }, { container: 81, publish: 8080 }] }, 'ports.1.publish'],
    ['udp port', { ...minimal, ports: [{ container: 53, protocol: 'udp' }] }, 'ports.0.protocol'],
    ['two probes at once', { ...minimal, health: { http: { path: '/', port: 80 }, tcp: { port: 80 } } }, 'health'],
    ['no probe', { ...minimal, health: { intervalSeconds: 2 } }, 'health'],
    ['relative probe path', { ...minimal, health: { http: { path: 'healthz', port: 80 } } }, 'health.http.path'],
    ['interval of 0', { ...minimal, health: { tcp: { port: 80 }, intervalSeconds: 0 } }, 'health.intervalSeconds'],
    ['surge and unavailable both 0', { ...minimal, update: { maxSurge: 0, maxUnavailable: '0%' } }, 'update.maxSurge'],
    ['percent over 100', { ...minimal, update: { maxSurge: '150%' } }, 'update.maxSurge'],
    ['deadline of 0', { ...minimal, update: { progressDeadlineSeconds: 0 } }, 'update.progressDeadlineSeconds'],
    ['unknown strategy', { ...minimal, placement: { strategy: 'random' } }, 'placement.strategy'],
    ['malformed constraint', { ...minimal, placement: { constraints: ['zone=a'] } }, 'placement.constraints.0'],
    ['dangerous capability', { ...minimal, capabilities: ['SYS_ADMIN'] }, 'capabilities.0'],
    ['env name with a dash', { ...minimal, env: { 'MY-VAR': 'x' } }, 'env.MY-VAR'],
    ['env value as a number', { ...minimal, env: { PORT: 8080 } }, 'env.PORT'],
    ['empty command', { ...minimal, command: [] }, 'command'],
  ])('rejects %s, naming %s', (_what, input, path) => {
    const errors = errorsOf(input);
    expect(errors.map((e) => e.path)).toContain(path);
  });

  it('names every unknown field, nested ones with their path', () => {
    const errors = errorsOf({ ...minimal, replica: 3, resources: { cpu: 1, memoryMb: 64, gpu: 1 } });
    const detail = describeFieldErrors(errors);
    expect(detail).toContain('unknown field "replica"');
    expect(detail).toContain('unknown field "resources.gpu"');
  });

  it('names every missing required field', () => {
    const paths = errorsOf({}).map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['name', 'image', 'replicas']));
  });

  it('accepts 0.01 CPU, the least Docker runs, and names the field below it', () => {
    expect(deploymentSpec.parse({ ...minimal, resources: { cpu: 0.01, memoryMb: 64 } }).resources.cpu).toBe(0.01);
    expect(describeFieldErrors(errorsOf({ ...minimal, resources: { cpu: 0.009, memoryMb: 64 } }))).toBe('resources.cpu: must be at least 0.01 (Docker minimum)');
  });

  it('makes the replica ceiling configurable', () => {
    const schema = deploymentSpecSchema({ maxReplicas: 5 });
    expect(schema.safeParse({ ...minimal, replicas: 5 }).success).toBe(true);
    expect(errorsOf({ ...minimal, replicas: 6 }, schema)[0].message).toBe('must be at most 5');
  });

  it('accepts percentages and counts for surge and unavailable', () => {
    const spec = deploymentSpec.parse({ ...minimal, update: { maxSurge: '25%', maxUnavailable: 1 } });
    expect(spec.update).toMatchObject({ maxSurge: '25%', maxUnavailable: 1 });
  });
});

describe('IMAGE_REFERENCE', () => {
  it.each(['busybox', 'busybox:1', 'oja/busybox:1', '192.168.77.1:5000/acme/web:1.2', 'localhost:5000/a', 'docker.io/library/nginx:1.25-alpine', `a/b@sha256:${'a'.repeat(64)}`])(
    'accepts %s',
    (ref) => expect(IMAGE_REFERENCE.test(ref)).toBe(true),
  );
  it.each(['UPPER/x', 'reg.io/A', 'x:', '-a', 'a//b', 'a:b:c', `a@sha256:${'a'.repeat(10)}`])('rejects %s', (ref) =>
    expect(IMAGE_REFERENCE.test(ref)).toBe(false),
  );
});
