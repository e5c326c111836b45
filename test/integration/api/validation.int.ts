import { startControlPlane, type TestControlPlane, type TestResponse } from '../../support/control-plane';
import { specDoc, uniqueName } from '../../support/specs';

/**
 * Bad input always gets a 4xx application/problem+json answer that names the field, never a 5xx.
 * Each case: request, expected status, and the field (or text) the problem must name.
 */
interface Case {
  what: string;
  method?: string;
  path?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Send the body as raw bytes with no Content-Type header at all. */
  noContentType?: boolean;
  status: number;
  names: string | RegExp;
}

const big = 'x'.repeat(1024 * 1024 + 10);

/** Every endpoint that takes a JSON body gets the same malformed bodies (path as in Case.path). */
const bodyEndpoints = [
  { endpoint: 'PUT deployment', method: 'PUT', path: undefined },
  { endpoint: 'PATCH scale', method: 'PATCH', path: '/scale' },
  { endpoint: 'POST /v1/tenants', method: 'POST', path: '/v1/tenants' },
  { endpoint: 'POST /v1/tokens', method: 'POST', path: '/v1/tokens' },
  { endpoint: 'POST /v1/registry-credentials', method: 'POST', path: '/v1/registry-credentials' },
];
const malformedBodies: (Omit<Case, 'what' | 'method' | 'path'> & { kind: string })[] = [
  { kind: 'malformed JSON', body: '{"name": ', status: 400, names: /JSON/i },
  { kind: 'oversized body', body: JSON.stringify({ name: 'x', env: { BIG: big } }), status: 413, names: /too large|body/i },
  { kind: 'wrong content type', body: 'name: x', headers: { 'content-type': 'text/plain' }, status: 415, names: /text\/plain|content.type|media type/i },
  { kind: 'no Content-Type with a body', body: '{"name": "x"}', noContentType: true, status: 415, names: /content.type|media type/i },
  { kind: 'application/json with an empty body', body: '', headers: { 'content-type': 'application/json' }, status: 400, names: /body|empty/i },
];
const malformedBodyCases: Case[] = bodyEndpoints.flatMap(({ endpoint, method, path }) =>
  malformedBodies.map(({ kind, ...c }) => ({ ...c, what: `${endpoint}: ${kind}`, method, path })),
);

const cases: Case[] = [
  { what: 'replicas as a string', body: specDoc({ replicas: '3' }), status: 400, names: 'replicas' },
  { what: 'negative replicas', body: specDoc({ replicas: -1 }), status: 400, names: 'replicas' },
  { what: 'huge replicas', body: specDoc({ replicas: 1e9 }), status: 400, names: 'replicas' },
  { what: 'fractional replicas', body: specDoc({ replicas: 1.5 }), status: 400, names: 'replicas' },
  { what: 'missing image', body: { replicas: 1 }, status: 400, names: 'image' },
  { what: 'missing replicas', body: { image: 'busybox:1' }, status: 400, names: 'replicas' },
  { what: 'image with spaces', body: specDoc({ image: 'bad image' }), status: 400, names: 'image' },
  { what: 'image with uppercase repo', body: specDoc({ image: 'Foo/Bar' }), status: 400, names: 'image' },
  { what: 'image as a number', body: specDoc({ image: 42 }), status: 400, names: 'image' },
  { what: 'unknown top-level field', body: specDoc({ replica: 3 }), status: 400, names: 'replica' },
  { what: 'unknown nested field', body: specDoc({ resources: { cpu: 0.1, memoryMb: 32, gpu: 1 } }), status: 400, names: 'resources.gpu' },
  { what: 'name in body differs from URL', body: specDoc({ name: 'other' }), status: 400, names: 'name' },
  { what: 'bad name in URL', path: '/v1/deployments/Bad_Name', body: specDoc(), status: 400, names: 'name' },
  { what: 'too long name in URL', path: `/v1/deployments/${'a'.repeat(64)}`, body: specDoc(), status: 400, names: 'name' },
  { what: 'port out of range', body: specDoc({ ports: [{ container: 70000 }] }), status: 400, names: 'ports.0.container' },
  { what: 'duplicate container ports', body: specDoc({ ports: [{ container: 80 }, { container: 80 }] }), status: 400, names: 'ports.1.container' },
  { what: 'duplicate published ports', body: specDoc({ ports: [{ container: 80, publish: 8080 }, { container: 81, publish: 8080 }] }), status: 400, names: 'ports.1.publish' },
  { what: 'udp port', body: specDoc({ ports: [{ container: 53, protocol: 'udp' }] }), status: 400, names: 'ports.0.protocol' },
  { what: 'ports not an array', body: specDoc({ ports: { container: 80 } }), status: 400, names: 'ports' },
  { what: 'health with two probes', body: specDoc({ health: { http: { path: '/', port: 80 }, tcp: { port: 80 } } }), status: 400, names: 'health' },
  { what: 'health path not absolute', body: specDoc({ health: { http: { path: 'healthz', port: 80 } } }), status: 400, names: 'health.http.path' },
  { what: 'health interval zero', body: specDoc({ health: { tcp: { port: 80 }, intervalSeconds: 0 } }), status: 400, names: 'health.intervalSeconds' },
  { what: 'maxSurge and maxUnavailable both 0', body: specDoc({ update: { maxSurge: 0, maxUnavailable: 0 } }), status: 400, names: 'update.maxSurge' },
  { what: 'maxSurge bad percentage', body: specDoc({ update: { maxSurge: '150%' } }), status: 400, names: 'update.maxSurge' },
  { what: 'autoRollback as a string', body: specDoc({ update: { autoRollback: 'yes' } }), status: 400, names: 'update.autoRollback' },
  { what: 'memory below Docker minimum', body: specDoc({ resources: { cpu: 0.1, memoryMb: 1 } }), status: 400, names: 'resources.memoryMb' },
  { what: 'negative cpu', body: specDoc({ resources: { cpu: -1, memoryMb: 32 } }), status: 400, names: 'resources.cpu' },
  { what: 'cpu below Docker minimum', body: specDoc({ resources: { cpu: 0.001, memoryMb: 32 } }), status: 400, names: 'resources.cpu: must be at least 0.01' },
  { what: 'bad env name', body: specDoc({ env: { '1BAD': 'x' } }), status: 400, names: 'env' },
  { what: 'env value not a string', body: specDoc({ env: { GOOD: 1 } }), status: 400, names: 'env.GOOD' },
  { what: 'bad placement constraint', body: specDoc({ placement: { constraints: ['zone = a'] } }), status: 400, names: 'placement.constraints.0' },
  { what: 'bad strategy', body: specDoc({ placement: { strategy: 'random' } }), status: 400, names: 'placement.strategy' },
  { what: 'dangerous capability', body: specDoc({ capabilities: ['SYS_ADMIN'] }), status: 400, names: 'capabilities.0' },
  { what: 'empty command', body: specDoc({ command: [] }), status: 400, names: 'command' },
  { what: 'body is an array', body: [specDoc()], status: 400, names: '(body)' },
  { what: 'body is a JSON string', body: '"hello"', status: 400, names: /body/ },
  { what: 'yaml content type', body: 'image: busybox', headers: { 'content-type': 'application/yaml' }, status: 415, names: /content.type|media type|application\/yaml/i },
  { what: 'scale with a string', method: 'PATCH', path: '/scale', body: { replicas: 'many' }, status: 400, names: 'replicas' },
  { what: 'scale negative', method: 'PATCH', path: '/scale', body: { replicas: -2 }, status: 400, names: 'replicas' },
  { what: 'scale above the maximum', method: 'PATCH', path: '/scale', body: { replicas: 5000 }, status: 400, names: 'replicas' },
  { what: 'scale with an unknown field', method: 'PATCH', path: '/scale', body: { replicas: 1, force: true }, status: 400, names: 'force' },
  { what: 'scale without a body', method: 'PATCH', path: '/scale', status: 400, names: '(body)' },
  { what: 'rollback to revision 0', method: 'POST', path: '/rollback', body: { revision: 0 }, status: 400, names: 'revision' },
  { what: 'rollback to a string revision', method: 'POST', path: '/rollback', body: { revision: 'one' }, status: 400, names: 'revision' },
  { what: 'events limit too large', method: 'GET', path: '/v1/events?limit=100000', status: 400, names: 'limit' },
  { what: 'events before not an id', method: 'GET', path: '/v1/events?before=abc', status: 400, names: 'before' },
  { what: 'events with a bad type', method: 'GET', path: '/v1/events?type=Not A Type', status: 400, names: 'type' },
  { what: 'tenant name invalid', method: 'POST', path: '/v1/tenants', body: { name: 'Acme Inc' }, status: 400, names: 'name' },
  { what: 'tenant quota negative', method: 'POST', path: '/v1/tenants', body: { name: 'q', quota: { instances: -1 } }, status: 400, names: 'quota.instances' },
  { what: 'tenant unknown field', method: 'POST', path: '/v1/tenants', body: { name: 'q', plan: 'gold' }, status: 400, names: 'plan' },
  { what: 'token expiry too short', method: 'POST', path: '/v1/tokens', body: { expiresInSeconds: 1 }, status: 400, names: 'expiresInSeconds' },
  { what: 'unknown route', method: 'GET', path: '/v1/nothing-here', status: 404, names: /nothing-here|not found/i },
  ...malformedBodyCases,
];

describe('bad input is a 4xx problem naming the field', () => {
  let cp: TestControlPlane;
  let tenantToken: string;
  const existing = uniqueName();

  /** fetch sets text/plain for a string body; bytes go out with no Content-Type at all. */
  const requestWithoutContentType = async (method: string, path: string, token: string, body: string): Promise<TestResponse> => {
    const res = await fetch(cp.baseUrl + path, { method, headers: { authorization: `Bearer ${token}` }, body: new TextEncoder().encode(body) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: JSON.parse(text), text };
  };

  beforeAll(async () => {
    cp = await startControlPlane();
    tenantToken = (await cp.tenant()).token;
    const res = await cp.request('PUT', `/v1/deployments/${existing}`, { token: tenantToken, body: specDoc() });
    expect(res.status).toBe(201);
  });
  afterAll(() => cp?.close());

  it('has at least 25 cases', () => expect(cases.length).toBeGreaterThanOrEqual(25));

  it.each(cases)('$what → $status', async (c) => {
    const admin = c.path?.startsWith('/v1/tenants');
    let path: string;
    if (!c.path) path = `/v1/deployments/${existing}`;
    else if (c.path.startsWith('/v1/')) path = c.path;
    else path = `/v1/deployments/${existing}${c.path}`;
    const token = admin ? cp.adminToken : tenantToken;
    const res = c.noContentType
      ? await requestWithoutContentType(c.method ?? 'PUT', path, token, String(c.body))
      : await cp.request(c.method ?? 'PUT', path, { token, body: c.body, headers: c.headers });
    expect(res.status).toBe(c.status);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status: c.status, detail: expect.any(String) });
    const named = JSON.stringify([res.body.detail, res.body.errors ?? []]);
    if (typeof c.names === 'string') expect(named).toContain(c.names);
    else expect(named).toMatch(c.names);
  });

  it('left the deployment untouched by all of it', async () => {
    const res = await cp.request('GET', `/v1/deployments/${existing}`, { token: tenantToken });
    expect(res.body).toMatchObject({ revision: 1, replicas: 2, generation: 1 });
  });
});
