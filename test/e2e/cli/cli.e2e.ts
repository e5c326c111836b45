import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane, type TestControlPlane } from '../../support/control-plane';

// The BUILT `oja` (npx nx run-many -t build) as a child process against a real control plane in-process.
const ROOT = join(__dirname, '..', '..', '..');
const OJA = join(ROOT, 'apps', 'cli', 'bin', 'oja.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('oja CLI end to end', () => {
  let cp: TestControlPlane;
  let home: string;
  const suffix = Math.random().toString(36).slice(2, 8);
  const tenantName = `cli-${suffix}`;
  let tenantToken: string;

  /** Runs the CLI asynchronously (the server shares this event loop) with its own HOME and config. */
  function oja(args: string[], opts: { stdin?: string; env?: Record<string, string> } = {}): Promise<Run> {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, OJA_CONFIG: join(home, 'oja', 'config.json'), ...opts.env };
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [OJA, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout: stdout.trimEnd(), stderr: stderr.trimEnd() }));
      child.stdin.end(opts.stdin ?? '');
    });
  }

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'apps', 'cli', 'dist', 'main.js'))) throw new Error('apps/cli is not built: run "npx nx run-many -t build" first');
    cp = await startControlPlane();
    home = await mkdtemp(join(tmpdir(), 'oja-cli-e2e-'));
  });
  afterAll(async () => {
    await cp?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('logs in as the admin and writes the config with mode 0600', async () => {
    const r = await oja(['login', '--server', cp.baseUrl, '--token', cp.adminToken]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const path = join(home, 'oja', 'config.json');
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ server: cp.baseUrl, token: cp.adminToken });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('creates and lists a tenant; the token alone is on stdout', async () => {
    const created = await oja(['tenants', 'create', tenantName, '--quota-instances', '20']);
    expect(created.code).toBe(0);
    expect(created.stderr).toContain(`tenant ${tenantName} created`);
    tenantToken = created.stdout;
    expect(tenantToken).toMatch(/^\S{32,}$/);

    const list = await oja(['tenants', 'ls', '-o', 'json']);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).items).toContainEqual(expect.objectContaining({ name: tenantName, quota: expect.objectContaining({ instances: 20 }) }));

    const table = await oja(['tenants', 'ls']);
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME +DEDICATED +QUOTA-INSTANCES/);
  });

  it('logs in as the tenant', async () => {
    expect((await oja(['login', '--server', cp.baseUrl, '--token', tenantToken])).code).toBe(0);
  });

  it('applies YAML, then the same again (unchanged), then JSON with a new image (configured)', async () => {
    const yamlFile = join(home, 'web.yaml');
    await writeFile(yamlFile, 'name: web\nimage: oja/busybox:1\nreplicas: 2\ncommand: ["httpd", "-f", "-p", "8080"]\nports:\n  - {name: http, container: 8080}\n');
    let r = await oja(['apply', '-f', yamlFile]);
    expect(r).toMatchObject({ code: 0, stdout: 'deployment web created (revision 1)' });
    r = await oja(['apply', '-f', yamlFile]);
    expect(r).toMatchObject({ code: 0, stdout: 'deployment web unchanged' });

    const jsonFile = join(home, 'web.json');
    await writeFile(jsonFile, JSON.stringify({ name: 'web', image: 'oja/busybox:2', replicas: 2, command: ['httpd', '-f', '-p', '8080'] }));
    r = await oja(['apply', '-f', jsonFile]);
    expect(r).toMatchObject({ code: 0, stdout: 'deployment web configured (revision 2)' });
  });

  it('gets deployments and instances as table, json and yaml', async () => {
    const table = await oja(['get', 'deployments']);
    expect(table.code).toBe(0);
    const [header, row] = table.stdout.split('\n');
    expect(header).toMatch(/^NAME +READY +UP-TO-DATE +AVAILABLE +REVISION +PHASE +IMAGE$/);
    expect(row).toMatch(/^web +\d+\/2 +\d+ +\d+ +2 +\w+ +oja\/busybox:2$/);

    const json = await oja(['get', 'deployments', '-o', 'json']);
    expect(JSON.parse(json.stdout).items).toEqual([expect.objectContaining({ name: 'web', revision: 2, replicas: 2 })]);

    const yaml = await oja(['get', 'deployment', 'web', '-o', 'yaml']);
    expect(yaml.stdout).toMatch(/^name: web$/m);

    const instances = await oja(['get', 'instances', 'web', '-o', 'json']);
    expect(instances.code).toBe(0);
    expect(Array.isArray(JSON.parse(instances.stdout).items)).toBe(true);
  });

  it('describes a deployment', async () => {
    const r = await oja(['describe', 'deployment', 'web']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Name: +web$/m);
    expect(r.stdout).toMatch(/^Image: +oja\/busybox:2$/m);
    expect(r.stdout).toMatch(/^Revision: +2 /m);
    expect(r.stdout).toMatch(/^Instances:$/m);
    expect(r.stdout).toMatch(/^Events:$/m);
  });

  it('scales and shows the rollout history', async () => {
    const scaled = await oja(['scale', 'web', '--replicas', '3']);
    expect(scaled).toMatchObject({ code: 0, stdout: 'deployment web scaled to 3' });
    expect(JSON.parse((await oja(['get', 'deployment', 'web', '-o', 'json'])).stdout)).toMatchObject({ replicas: 3, revision: 2 });

    const history = await oja(['rollout', 'history', 'web', '-o', 'json']);
    expect(history.code).toBe(0);
    expect(JSON.parse(history.stdout).items.map((r: { revision: number }) => r.revision).sort()).toEqual([1, 2]);
    const table = await oja(['rollout', 'history', 'web']);
    expect(table.stdout).toMatch(/^2 +\S+ +oja\/busybox:2 +\*$/m);
  });

  it('stores, lists and removes a registry credential without ever printing the password', async () => {
    const added = await oja(['registry', 'add', 'private', '--server', '127.0.0.1:5000', '--username', 'ci', '--password-stdin'], { stdin: 's3cret-pw\n' });
    expect(added.code).toBe(0);
    const ls = await oja(['registry', 'ls']);
    expect(ls.stdout).toMatch(/^private +127\.0\.0\.1:5000 +ci /m);
    expect(added.stdout + ls.stdout + (await oja(['registry', 'ls', '-o', 'json'])).stdout).not.toContain('s3cret-pw');
    expect((await oja(['registry', 'rm', 'private'])).code).toBe(0);
    expect((await oja(['registry', 'ls', '-o', 'json'])).stdout).toContain('"items": []');
  });

  it('deletes the deployment; afterwards it is a 404 with the server message', async () => {
    expect(await oja(['delete', 'web'])).toMatchObject({ code: 0, stdout: 'deployment web deleted' });
    const gone = await oja(['get', 'deployment', 'web']);
    expect(gone.code).not.toBe(0);
    const server = await cp.request('GET', '/v1/deployments/web', { token: tenantToken });
    expect(server.status).toBe(404);
    expect(gone.stderr).toBe(`error: ${server.body.detail}`);
  });

  describe('failures', () => {
    it('a bad spec file exits non-zero naming the field, and sends nothing', async () => {
      const bad = join(home, 'bad.yaml');
      await writeFile(bad, 'name: bad\nimage: oja/busybox:1\nreplicas: -1\nports: [{container: 99999}]\n');
      const r = await oja(['apply', '-f', bad]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toBe(`error: invalid spec in ${bad}: replicas: must not be negative; ports.0.container: must be at most 65535`);
      expect((await cp.request('GET', '/v1/deployments/bad', { token: tenantToken })).status).toBe(404);
    });

    it('invalid YAML and a missing file exit non-zero with a clear message', async () => {
      const r = await oja(['apply', '-f', '-'], { stdin: 'name: [unclosed\n' });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/^error: stdin is not valid YAML: /);
      const missing = await oja(['apply', '-f', join(home, 'nope.yaml')]);
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toBe(`error: cannot read ${join(home, 'nope.yaml')}: no such file`);
    });

    it("an unknown deployment exits non-zero with the server's 404 message", async () => {
      const r = await oja(['scale', 'ghost', '--replicas', '1']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/^error: .*ghost.*/);
      expect(r.stderr).not.toContain('\n');
    });

    it('a refused token exits non-zero and says so', async () => {
      const r = await oja(['get', 'deployments', '--token', 'oja_not_a_real_token_0000000000000000']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/^error: .*\(the token was refused; run "oja login" again\)$/);
    });

    it('an unreachable control plane is named with the cause', async () => {
      const port = await closedPort();
      const r = await oja(['get', 'deployments'], { env: { OJA_SERVER: `http://127.0.0.1:${port}` } });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toBe(`error: cannot reach the control plane at http://127.0.0.1:${port}: ECONNREFUSED`);
    });
  });
});

/** A loopback port nothing listens on (bound, then released). */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
