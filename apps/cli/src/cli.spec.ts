import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { DeploymentView } from '@oja/contracts';
import type { Io } from './context';
import { run } from './main';

/** The CLI against a scripted HTTP server on 127.0.0.1: what it sends, prints and exits with. */

interface Recorded {
  method: string;
  url: string;
  authorization?: string;
  body: unknown;
}
type Handler = (req: Recorded) => { status: number; body?: unknown; type?: string; raw?: string };

let server: Server;
let baseUrl: string;
let handler: Handler;
let requests: Recorded[];
let dir: string;

beforeAll(async () => {
  server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString();
    const recorded = { method: req.method!, url: req.url!, authorization: req.headers.authorization, body: text ? JSON.parse(text) : undefined };
    requests.push(recorded);
    const answer = handler(recorded);
    res.writeHead(answer.status, { 'content-type': answer.type ?? 'application/json' });
    res.end(answer.raw ?? (answer.body === undefined ? '' : JSON.stringify(answer.body)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(async () => {
  requests = [];
  handler = () => ({ status: 500, body: { title: 'unexpected request' } });
  dir = await mkdtemp(join(tmpdir(), 'oja-cli-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function oja(args: string[], opts: { stdin?: string; env?: Record<string, string>; io?: Partial<Io> } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    stdin: Readable.from([Buffer.from(opts.stdin ?? '')]),
    env: { OJA_CONFIG: join(dir, 'config.json'), OJA_SERVER: baseUrl, OJA_TOKEN: 'tok', ...opts.env },
    now: () => new Date(),
    sleep: () => Promise.resolve(),
    ...opts.io,
  };
  const code = await run(args, io);
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

function problem(status: number, detail: string, errors?: { path: string; message: string }[]) {
  return { status, type: 'about:blank', body: { type: 'about:blank', title: 'error', status, detail, errors }, raw: undefined };
}

function view(revision: number, phase: DeploymentView['status']['phase'] = 'complete', replicas = 2): DeploymentView {
  return {
    name: 'web',
    spec: { name: 'web', image: 'oja/busybox:1', replicas } as DeploymentView['spec'],
    revision,
    replicas,
    paused: false,
    generation: revision,
    status: { phase, desired: replicas, updated: replicas, ready: replicas, available: replicas, conditions: [] },
    createdAt: '',
    updatedAt: '',
  };
}

describe('errors', () => {
  it('reports an unreachable server with the address and the cause', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const r = await oja(['get', 'deployments', '--server', `http://127.0.0.1:${port}`]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toBe(`error: cannot reach the control plane at http://127.0.0.1:${port}: ECONNREFUSED`);
  });

  it("prints a 4xx problem's detail and its field errors, exit ≠ 0", async () => {
    handler = () => problem(422, 'invalid request', [{ path: 'replicas', message: 'must be at most 10' }]);
    const r = await oja(['scale', 'web', '--replicas', '99']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: invalid request (replicas: must be at most 10)');
  });

  it("prints the server's 404 message", async () => {
    handler = () => problem(404, 'deployment "nope" not found');
    const r = await oja(['get', 'deployment', 'nope']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: deployment "nope" not found');
  });

  it('explains a 401 and sends the bearer token', async () => {
    handler = () => problem(401, 'invalid token');
    const r = await oja(['get', 'deployments']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: invalid token \(the token was refused; run "oja login" again\)$/);
    expect(requests[0].authorization).toBe('Bearer tok');
  });

  it('describes a 5xx that is not a problem document', async () => {
    handler = () => ({ status: 502, raw: 'Bad Gateway', type: 'text/plain' });
    const r = await oja(['get', 'nodes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: 502 Bad Gateway: Bad Gateway$/);
  });

  it('rejects an invalid spec before sending anything', async () => {
    const r = await oja(['apply', '-f', '-'], { stdin: 'name: web\nimage: oja/busybox:1\nreplicas: -3\n' });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: invalid spec in stdin: replicas: must not be negative');
    expect(requests).toHaveLength(0);
  });

  it('rejects an unknown -o format and a bad --replicas with usage errors', async () => {
    expect((await oja(['get', 'deployments', '-o', 'xml'])).code).not.toBe(0);
    const r = await oja(['scale', 'web', '--replicas', 'many']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/"many" is not a non-negative integer/);
    expect(requests).toHaveLength(0);
  });
});

describe('login', () => {
  it('verifies the token and writes the config with mode 0600', async () => {
    handler = () => ({ status: 200, body: { items: [] } });
    const r = await oja(['login', '--server', `${baseUrl}/`, '--token', 'secret'], { env: { OJA_SERVER: '', OJA_TOKEN: '' } });
    expect(r.code).toBe(0);
    expect(requests[0]).toMatchObject({ method: 'GET', url: '/v1/deployments', authorization: 'Bearer secret' });
    const path = join(dir, 'config.json');
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ server: baseUrl, token: 'secret' });
    expect((await stat(path)).mode & 0o777).toBe(0o600);

    // later commands use the stored server and token
    requests = [];
    expect((await oja(['get', 'deployments'], { env: { OJA_SERVER: '', OJA_TOKEN: '' } })).code).toBe(0);
    expect(requests[0].authorization).toBe('Bearer secret');
  });

  it('accepts an admin token (403 on tenant routes) but refuses a 401 and writes nothing', async () => {
    handler = () => problem(403, 'admin token on a tenant route');
    expect((await oja(['login', '--server', baseUrl, '--token', 'admin'])).code).toBe(0);
    await rm(join(dir, 'config.json'));
    handler = () => problem(401, 'invalid token');
    const r = await oja(['login', '--server', baseUrl, '--token', 'bad']);
    expect(r.code).toBe(1);
    await expect(stat(join(dir, 'config.json'))).rejects.toThrow(/ENOENT/);
  });
});

describe('apply', () => {
  const spec = 'name: web\nimage: oja/busybox:1\nreplicas: 2\n';

  it('creates, then reports configured and unchanged', async () => {
    let current: DeploymentView | undefined;
    handler = (req) => {
      if (req.method === 'GET') return current ? { status: 200, body: current } : problem(404, 'not found');
      const body = req.body as { replicas: number; image: string };
      const changed = !current || current.spec.image !== body.image;
      current = view(changed ? (current?.revision ?? 0) + 1 : current!.revision, 'progressing', body.replicas);
      current.spec.image = body.image;
      return { status: 200, body: current };
    };
    let r = await oja(['apply', '-f', '-'], { stdin: spec });
    expect(r).toMatchObject({ code: 0, stdout: 'deployment web created (revision 1)' });
    expect(requests[1]).toMatchObject({ method: 'PUT', url: '/v1/deployments/web', body: { name: 'web', image: 'oja/busybox:1', replicas: 2 } });
    r = await oja(['apply', '-f', '-'], { stdin: spec });
    expect(r.stdout).toBe('deployment web unchanged');
    r = await oja(['apply', '-f', '-'], { stdin: spec.replace('busybox:1', 'busybox:2') });
    expect(r.stdout).toBe('deployment web configured (revision 2)');
    r = await oja(['apply', '-f', '-', '-o', 'json'], { stdin: spec.replace('busybox:1', 'busybox:2') });
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'web', revision: 2 });
  });
});

describe('rollout status', () => {
  it('prints progress and exits 0 when complete', async () => {
    const answers = [view(3, 'progressing'), view(3, 'progressing'), view(3, 'complete')];
    handler = () => ({ status: 200, body: answers.shift() });
    const r = await oja(['rollout', 'status', 'web']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      'deployment web revision 3: 2/2 updated, 2 ready, 2 available (progressing)',
      'deployment web revision 3: 2/2 updated, 2 ready, 2 available (complete)',
      'deployment web successfully rolled out (revision 3)',
    ]);
  });

  it('exits 1 with the reason when the rollout failed', async () => {
    const failed = view(4, 'failed');
    failed.status.conditions = [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'stuck', lastTransitionAt: '' }];
    handler = () => ({ status: 200, body: failed });
    const r = await oja(['rollout', 'status', 'web']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: deployment web rollout failed: ProgressDeadlineExceeded: stuck');
  });

  it('exits 1 when the revision it watched failed and was rolled back automatically', async () => {
    const answers = [view(4, 'progressing'), view(5, 'progressing')];
    const rolledBack = { id: '1', type: 'rollout.rolledback', message: 'revision 4 failed; rolled back to revision 3 (as revision 5)', at: '' };
    handler = (req) => (req.url.startsWith('/v1/events') ? { status: 200, body: { items: [rolledBack] } } : { status: 200, body: answers.shift() });
    const r = await oja(['rollout', 'status', 'web']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: deployment web rollout failed: revision 4 failed; rolled back to revision 3 (as revision 5)');
    expect(requests.map((q) => q.url)).toContain('/v1/events?deployment=web&limit=20');
  });

  it('follows a newer revision applied while it waits', async () => {
    const answers = [view(4, 'progressing'), view(5, 'complete')];
    handler = (req) => (req.url.startsWith('/v1/events') ? { status: 200, body: { items: [] } } : { status: 200, body: answers.shift() });
    const r = await oja(['rollout', 'status', 'web']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').pop()).toBe('deployment web successfully rolled out (revision 5)');
  });

  it('gives up after --timeout', async () => {
    handler = () => ({ status: 200, body: view(4, 'progressing') });
    const r = await oja(['rollout', 'status', 'web', '--timeout', '0s']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: timed out after 0s waiting for deployment web to roll out');
  });
});

describe('rollout undo', () => {
  it('rolls back to the previous revision: POST …/rollback with no revision, prints the new revision', async () => {
    handler = () => ({ status: 200, body: view(5, 'progressing') });
    const r = await oja(['rollout', 'undo', 'web']);
    expect(r).toMatchObject({ code: 0, stdout: 'deployment web rolled back to the previous revision (now revision 5)' });
    expect(requests).toEqual([expect.objectContaining({ method: 'POST', url: '/v1/deployments/web/rollback', body: {} })]);
  });

  it('--to-revision N sends that revision; -o json prints the deployment', async () => {
    handler = () => ({ status: 200, body: view(6, 'progressing') });
    const r = await oja(['rollout', 'undo', 'web', '--to-revision', '2']);
    expect(r).toMatchObject({ code: 0, stdout: 'deployment web rolled back to revision 2 (now revision 6)' });
    expect(requests[0]).toMatchObject({ method: 'POST', url: '/v1/deployments/web/rollback', body: { revision: 2 } });
    const json = await oja(['rollout', 'undo', 'web', '--to-revision', '2', '-o', 'json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ name: 'web', revision: 6 });
  });

  it("prints the server's refusal of an unknown revision, exit 1", async () => {
    handler = () => problem(404, 'revision 9 of deployment "web" not found', [{ path: 'revision', message: 'no such revision' }]);
    const r = await oja(['rollout', 'undo', 'web', '--to-revision', '9']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: revision 9 of deployment "web" not found');
  });

  it('refuses a --to-revision that is not a count before sending anything', async () => {
    const r = await oja(['rollout', 'undo', 'web', '--to-revision', 'last']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/"last" is not a non-negative integer/);
    expect(requests).toHaveLength(0);
  });
});

describe('rollout pause and resume', () => {
  it('POST …/pause and …/resume, each confirmed', async () => {
    handler = (req) => ({ status: 200, body: { ...view(3, 'progressing'), paused: req.url.endsWith('/pause') } });
    expect(await oja(['rollout', 'pause', 'web'])).toMatchObject({ code: 0, stdout: 'deployment web paused' });
    expect(await oja(['rollout', 'resume', 'web'])).toMatchObject({ code: 0, stdout: 'deployment web resumed' });
    expect(requests.map((q) => `${q.method} ${q.url}`)).toEqual(['POST /v1/deployments/web/pause', 'POST /v1/deployments/web/resume']);
    expect(JSON.parse((await oja(['rollout', 'pause', 'web', '-o', 'json'])).stdout)).toMatchObject({ name: 'web', paused: true });
  });

  it("prints the server's error, exit 1", async () => {
    handler = () => problem(404, 'deployment "nope" not found');
    const r = await oja(['rollout', 'resume', 'nope']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: deployment "nope" not found');
  });
});

describe('logs', () => {
  it('streams NDJSON and prints node/instance-short lines with the query it was given', async () => {
    const entries = [
      { ts: '2026-11-23T10:00:00Z', instance: 'aaaaaaaa1111', node: 'n1', stream: 'stdout', line: 'hello' },
      { ts: '2026-11-23T10:00:01Z', instance: 'bbbbbbbb2222', node: 'n2', stream: 'stderr', line: 'world' },
    ];
    handler = () => ({ status: 200, type: 'application/x-ndjson', raw: entries.map((e) => JSON.stringify(e)).join('\n') + '\n\n' });
    const r = await oja(['logs', 'web', '--tail', '5', '--since', '5m', '--timestamps']);
    expect(r.code).toBe(0);
    expect(requests[0].url).toBe('/v1/deployments/web/logs?tail=5&since=5m');
    expect(r.stdout).toBe('2026-11-23T10:00:00Z n1/aaaaaaaa hello\n2026-11-23T10:00:01Z n2/bbbbbbbb [stderr] world');
  });
});

describe('logs --since', () => {
  it('accepts a duration or an RFC 3339 time and refuses anything else before sending', async () => {
    handler = () => ({ status: 200, type: 'application/x-ndjson', raw: '' });
    expect((await oja(['logs', 'web', '--since', '2026-11-23T10:00:00Z'])).code).toBe(0);
    expect(requests[0].url).toBe('/v1/deployments/web/logs?since=2026-11-23T10%3A00%3A00Z');
    const bad = await oja(['logs', 'web', '--since', '5x']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/"5x" must be a duration like 5m or an RFC 3339 time/);
    expect(requests).toHaveLength(1);
  });
});

describe('registry add', () => {
  it('reads the password from stdin and never prints it', async () => {
    handler = (req) => ({ status: 201, body: { ...(req.body as object), password: undefined, createdAt: 'now' } });
    const r = await oja(['registry', 'add', 'acme', '--server', 'reg:5000', '--username', 'u', '--password-stdin'], { stdin: 'hunter2\n' });
    expect(r.code).toBe(0);
    expect(requests[0].body).toEqual({ name: 'acme', server: 'reg:5000', username: 'u', password: 'hunter2' });
    expect(r.stdout + r.stderr).not.toContain('hunter2');
  });

  it('keeps the global --server (before the subcommand) apart from the registry --server', async () => {
    handler = (req) => ({ status: 201, body: { ...(req.body as object), password: undefined, createdAt: 'now' } });
    const r = await oja(['--server', baseUrl, '-o', 'json', 'registry', 'add', 'acme', '--server', 'reg:5000', '--username', 'u', '--password-stdin'], {
      stdin: 'pw',
      env: { OJA_SERVER: 'http://127.0.0.1:9' },
    });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'acme', server: 'reg:5000' });
  });

  it('refuses without --password-stdin', async () => {
    const r = await oja(['registry', 'add', 'acme', '--server', 'reg:5000', '--username', 'u']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--password-stdin/);
    expect(requests).toHaveLength(0);
  });
});

describe('get events', () => {
  const event = (id: number) => ({ id: String(id), type: 'instance.started', message: `m${id}`, deployment: 'web', at: new Date(Date.parse('2026-11-23T10:00:00Z') + id * 1000).toISOString() });
  /** Answers GET /v1/events as the API does: newest first, or oldest first after a cursor; limit 100 by default. */
  const eventsApi = (store: ReturnType<typeof event>[]) => (req: Recorded) => {
    const q = new URL(req.url, baseUrl).searchParams;
    const limit = Number(q.get('limit') ?? 100);
    const after = q.get('after');
    const sorted = [...store].sort((a, b) => Number(a.id) - Number(b.id));
    const items = after === null ? sorted.reverse().slice(0, limit) : sorted.filter((e) => Number(e.id) > Number(after)).slice(0, limit);
    return { status: 200, body: { items } };
  };

  it('-w prints the recent events oldest first, then a burst of thousands whole and once, and an event that committed late', async () => {
    const store = [event(1), event(2)];
    let polls = 0;
    let clock = Date.parse('2026-11-23T10:00:00Z');
    const sleep = async (ms: number) => {
      clock += ms;
      polls += 1;
      // Between the first two polls a burst arrives; event 1500's transaction commits only before the second.
      if (polls === 1) for (let id = 3; id <= 2502; id++) if (id !== 1500) store.push(event(id));
      if (polls === 2) store.push(event(1500));
    };
    const api = eventsApi(store);
    handler = (req) => (polls < 3 ? api(req) : problem(503, 'database unavailable'));

    const r = await oja(['get', 'events', '-w', '--deployment', 'web'], { io: { sleep, now: () => new Date(clock) } });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: database unavailable');
    expect(requests[0].url).toBe('/v1/events?deployment=web');
    expect(requests[1].url).toBe('/v1/events?deployment=web&after=0&limit=1000');
    const lines = r.stdout.split('\n');
    expect(lines[0].split(/\s{2,}/)).toEqual(['TIME', 'TYPE', 'DEPLOYMENT', 'NODE', 'MESSAGE']);
    expect(lines[1].split(/\s{2,}/)).toEqual([event(1).at, 'instance.started', 'web', '-', 'm1']);
    const messages = lines.slice(1).map((l) => l.split(/\s{2,}/)[4]);
    const burst = Array.from({ length: 2500 }, (_, i) => i + 3).filter((id) => id !== 1500);
    expect(messages).toEqual(['m1', 'm2', ...burst.map((id) => `m${id}`), 'm1500']);
    const messageColumn = lines[0].indexOf('MESSAGE');
    for (const line of lines.slice(1)) expect(line.slice(messageColumn)).toMatch(/^m\d+$/); // aligned under the header
  });

  it('-w -o json prints one event per line; --node and --type filter the list and the watch', async () => {
    handler = eventsApi([{ ...event(7), type: 'node.down' }]);
    const listed = await oja(['get', 'events', '--node', 'n1', '--type', 'node.down']);
    expect(listed.code).toBe(0);
    expect(requests[0].url).toBe('/v1/events?node=n1&type=node.down');
    expect(listed.stdout.split('\n')[1].split(/\s{2,}/)).toEqual([event(7).at, 'node.down', 'web', '-', 'm7']);

    const api = eventsApi([{ ...event(7), type: 'node.down' }]);
    let polls = 0;
    handler = (req) => (polls < 1 ? api(req) : problem(503, 'database unavailable'));
    const watched = await oja(['get', 'events', '-w', '--node', 'n1', '--type', 'node.down', '-o', 'json'], { io: { sleep: async () => void polls++ } });
    expect(requests.slice(1).map((q) => q.url)).toEqual(['/v1/events?node=n1&type=node.down', '/v1/events?node=n1&type=node.down&after=6&limit=1000']);
    expect(watched.stdout.split('\n').map((l) => JSON.parse(l))).toEqual([{ ...event(7), type: 'node.down' }]);
  });
});

describe('nodes', () => {
  it('drains, dedicates and removes through the admin routes', async () => {
    handler = (req) => (req.method === 'DELETE' ? { status: 204 } : { status: 200, body: { name: 'n1' } });
    expect((await oja(['nodes', 'drain', 'n1'])).stdout).toBe('node n1 draining');
    expect((await oja(['nodes', 'dedicate', 'n1', '--tenant', 'acme'])).stdout).toBe('node n1 dedicated to tenant acme');
    expect((await oja(['nodes', 'rm', 'n1'])).stdout).toBe('node n1 removed');
    expect(requests.map((r) => `${r.method} ${r.url} ${JSON.stringify(r.body ?? null)}`)).toEqual([
      'POST /v1/nodes/n1/drain null',
      'POST /v1/nodes/n1/dedicate {"tenant":"acme"}',
      'DELETE /v1/nodes/n1 null',
    ]);
  });
});

describe('global options', () => {
  it('are accepted after the subcommand too, the innermost winning', async () => {
    handler = () => ({ status: 200, body: { items: [] } });
    const r = await oja(['-o', 'yaml', 'get', 'nodes', '-o', 'json', '--token', 'inner'], { env: { OJA_SERVER: 'http://127.0.0.1:9' } });
    expect(r.code).toBe(1); // the env server is unreachable: --server was not given
    const ok = await oja(['-o', 'yaml', 'get', 'nodes', '-o', 'json', '--token', 'inner', '--server', baseUrl]);
    expect(JSON.parse(ok.stdout)).toEqual({ items: [] });
    expect(requests.at(-1)?.authorization).toBe('Bearer inner');
  });
});

describe('tenants create', () => {
  it('sends name, dedicated and quota; prints only the token on stdout', async () => {
    handler = (req) => ({ status: 201, body: { tenant: { name: (req.body as { name: string }).name }, token: 'oja_tenant_token' } });
    const r = await oja(['tenants', 'create', 'acme', '--dedicated', '--quota-instances', '10', '--quota-cpu', '1.5']);
    expect(r.code).toBe(0);
    expect(requests[0].body).toEqual({ name: 'acme', dedicated: true, quota: { instances: 10, cpu: 1.5 } });
    expect(r.stdout).toBe('oja_tenant_token');
  });
});
