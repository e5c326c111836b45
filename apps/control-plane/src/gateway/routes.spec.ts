import { deploymentSpec, type DeploymentSpec } from '@oja/contracts';
import { buildRoutes, isRoutable, mayChangeRoutes, type RouteDeploymentRow, type RouteInstanceRow } from './routes';

const spec = (over: Record<string, unknown> = {}): DeploymentSpec =>
  deploymentSpec.parse({
    name: 'web', image: 'oja/busybox:1', replicas: 3, ports: [{ name: 'http', container: 8080, publish: 9000 }],
    health: { http: { path: '/healthz', port: 8080 } }, ...over,
  });
const web: RouteDeploymentRow = { id: 'd1', tenant: 'acme', deployment: 'web', spec: spec() };
let n = 0;
const instance = (over: Partial<RouteInstanceRow> = {}): RouteInstanceRow => ({
  id: `i${++n}`, deploymentId: 'd1', desired: 'running', observed: 'healthy', overlayIp: `10.42.0.${n}`, stopRequested: false, spec: spec(), ...over,
});

describe('isRoutable', () => {
  it.each<[string, Partial<RouteInstanceRow>, boolean]>([
    ['healthy', {}, true],
    ['running with a probe (not yet healthy)', { observed: 'running' }, false],
    ['running without a probe', { observed: 'running', spec: spec({ health: undefined }) }, true],
    ['unhealthy', { observed: 'unhealthy' }, false],
    ['asked to stop (first phase of a stop)', { stopRequested: true }, false],
    ['desired stopped', { desired: 'stopped' }, false],
    ['without an overlay address', { overlayIp: null }, false],
  ])('%s → %s', (_name, over, expected) => {
    expect(isRoutable(instance(over))).toBe(expected);
  });
});

describe('buildRoutes', () => {
  it('routes a published port to the ready instances of its deployment on every node', () => {
    const ready = instance();
    const starting = instance({ observed: 'starting' });
    const leaving = instance({ stopRequested: true });
    const routes = buildRoutes([web], [leaving, starting, ready]);
    expect(routes).toEqual([
      {
        tenant: 'acme', deployment: 'web', publishPort: 9000, containerPort: 8080, http: true,
        backends: [{ instanceId: ready.id, address: ready.overlayIp, port: 8080 }],
      },
    ]);
  });

  it('keeps a route with no backend (the port keeps listening) and ignores deployments without published ports', () => {
    const internal: RouteDeploymentRow = { id: 'd2', tenant: 'acme', deployment: 'db', spec: spec({ name: 'db', ports: [{ container: 5432 }] }) };
    expect(buildRoutes([web, internal], [])).toMatchObject([{ publishPort: 9000, backends: [] }]);
  });

  it('an older revision routes on its own container port for the same published port', () => {
    const old = instance({ spec: spec({ ports: [{ container: 7070, publish: 9000 }] }) });
    const other = instance({ spec: spec({ ports: [{ container: 7070, publish: 9999 }] }) });
    expect(buildRoutes([web], [old, other])[0].backends).toEqual([{ instanceId: old.id, address: old.overlayIp, port: 7070 }]);
  });

  it('a route is HTTP only when the current revision probes over HTTP', () => {
    expect(buildRoutes([{ ...web, spec: spec({ health: { tcp: { port: 8081 } } }) }], [])[0].http).toBe(false);
    expect(buildRoutes([{ ...web, spec: spec({ health: undefined }) }], [])[0].http).toBe(false);
  });

  it('one published port, two deployments: the first by tenant and name keeps it; output is sorted by port', () => {
    const other: RouteDeploymentRow = { id: 'd3', tenant: 'zeta', deployment: 'web', spec: spec() };
    const api: RouteDeploymentRow = { id: 'd4', tenant: 'acme', deployment: 'api', spec: spec({ name: 'api', ports: [{ container: 80, publish: 8000 }] }) };
    const routes = buildRoutes([other, web, api], []);
    expect(routes.map((r) => [r.publishPort, r.tenant, r.deployment])).toEqual([[8000, 'acme', 'api'], [9000, 'acme', 'web']]);
  });
});

describe('mayChangeRoutes', () => {
  it.each<[string, string, string | null, string, string | null, boolean]>([
    ['becomes healthy', 'running', '10.42.0.2', 'healthy', '10.42.0.2', true],
    ['becomes running (may be ready without a probe)', 'starting', '10.42.0.2', 'running', '10.42.0.2', true],
    ['turns unhealthy', 'healthy', '10.42.0.2', 'unhealthy', '10.42.0.2', true],
    ['exits', 'running', '10.42.0.2', 'exited', null, true],
    ['starts (not yet routable)', 'pending', null, 'starting', '10.42.0.2', false],
    ['same report again', 'healthy', '10.42.0.2', 'healthy', '10.42.0.2', false],
  ])('%s', (_name, prevState, prevIp, nextState, nextIp, expected) => {
    expect(mayChangeRoutes({ state: prevState as never, overlayIp: prevIp }, { state: nextState as never, overlayIp: nextIp })).toBe(expected);
  });
});
