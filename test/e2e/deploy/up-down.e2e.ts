import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseEnvFile } from '../../../apps/control-plane/src/config/config';

const execFileAsync = promisify(execFile);

/**
 * The README's `npm run up` / `npm run down` on a fresh host. scenario.sh runs in its own mount,
 * network and pid namespaces (fresh-host.sh): it finds no Postgres cluster, Redis, dockerd, env file
 * or image, and whatever it starts dies with it, so the machine's own services are never touched.
 */
describe('npm run up / npm run down on a fresh host', () => {
  let out: string;
  const read = (file: string) => readFileSync(join(out, file), 'utf8');
  const lines = (file: string) => read(file).split('\n').filter(Boolean);
  const expectSuccess = (step: string) => {
    if (!existsSync(join(out, `${step}.rc`))) throw new Error(`${step} did not run: the first npm run up failed`);
    const rc = Number(read(`${step}.rc`));
    if (rc !== 0) throw new Error(`${step} exited ${rc}\n--- stdout\n${read(`${step}.log`).slice(-2000)}\n--- stderr\n${read(`${step}.err`).slice(-4000)}`);
  };

  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('this test needs root (namespaces, dockerd)');
    out = mkdtempSync(join(tmpdir(), 'oja-up-down-'));
    await execFileAsync(
      'unshare',
      ['--mount', '--net', '--pid', '--fork', '--mount-proc', 'bash', join(__dirname, 'fresh-host.sh'), 'bash', join(__dirname, 'scenario.sh'), out],
      { maxBuffer: 64 << 20 },
    );
  }, 900_000);

  afterAll(() => {
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('sets the host up, starts oja and prints the admin token and a first deployment', () => {
    expectSuccess('up1');
    const env = parseEnvFile(read('env1'));
    expect(Object.keys(env).sort()).toEqual(['OJA_ADMIN_TOKEN', 'OJA_DATABASE_URL', 'OJA_REDIS_URL', 'OJA_SECRET_KEY']);
    expect(env.OJA_DATABASE_URL).toMatch(/^postgres:\/\/oja:[0-9a-f]{32}@127\.0\.0\.1:5432\/oja$/);
    expect(env.OJA_SECRET_KEY).toMatch(/^[0-9a-f]{64}$/);
    expect(lines('modes1')).toEqual(['600', '600']); // oja.env and demo.token
    const summary = read('up1.log');
    expect(summary).toContain('oja is up.');
    expect(summary).toContain(env.OJA_ADMIN_TOKEN);
    expect(summary).toContain('npx oja apply -f deploy/examples/web.yaml');
  });

  it('changes nothing and restarts nothing when run again', () => {
    expectSuccess('up2');
    expect(read('env2')).toBe(read('env1'));
    expect(lines('pids2')).toEqual(lines('pids1'));
    expect(lines('pids1')).toHaveLength(2); // control plane and agent
    expect(read('up2.err')).toContain('control plane already running');
    expect(read('up2.err')).toContain('agent already running');
  });

  it("sets the database role's password back to the env file's when logging in fails", () => {
    expectSuccess('up3');
    expect(read('up3.err')).toContain('role oja cannot log in with the password in /etc/oja/oja.env: setting it');
    expect(read('env3')).toBe(read('env1'));
    expect(lines('pids3')).toEqual(lines('pids1'));
  });

  it('runs the example deployment on the local agent with the logged-in CLI', () => {
    expectSuccess('apply');
    expectSuccess('rollout');
    expectSuccess('instances');
    const parsed = JSON.parse(read('instances.log')) as { state: string; node: string }[] | { items: { state: string; node: string }[] };
    const instances = Array.isArray(parsed) ? parsed : parsed.items;
    expect(instances.map((i) => i.state)).toEqual(['healthy', 'healthy']);
  });

  it('stops what it started, by the recorded pids, and a second down is harmless', () => {
    expectSuccess('down1');
    expect(read('started-after-down')).toBe('');
    const left = lines('ps-after-down').map((l) => l.trim().split(/\s+/));
    const leftPids = new Set(left.map(([pid]) => pid));
    for (const pid of lines('pids1')) expect(leftPids.has(pid)).toBe(false);
    for (const daemon of ['dockerd', 'containerd', 'redis-server', 'postgres']) {
      expect(left.filter(([, comm]) => comm === daemon)).toEqual([]);
    }
    expectSuccess('down2');
  });
});
