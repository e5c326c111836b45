import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WireGuard } from './device';
import { RecordingRunner } from './recording-runner';

const NO_LINK = { fail: 'Device "oja0" does not exist.' };
const NO_MODULE = { fail: 'Error: Unknown device type.', exitCode: 2 };
const linkJson = (kind: string) => JSON.stringify([{ ifname: 'oja0', linkinfo: { info_kind: kind } }]);
const PEER = 'yjGeSZ656PAgqhCPdfYDn/r47NC587zGii9KEqJXxSs=';
const STALE = '/q9OURxjjEQ0bStzsGP/eX26GYbhxoSBFJdqh3JEQ08=';

describe('WireGuard', () => {
  let dir: string;
  let keyPath: string;
  let runner: RecordingRunner;
  const config = () => ({ name: 'oja0', address: '10.43.0.1/24', listenPort: 51820, privateKeyPath: keyPath });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'oja-wg-dev-'));
    keyPath = join(dir, 'wg.key');
    runner = new RecordingRunner().when('ip -json address show', '[]');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('creates a kernel link when the module is there', async () => {
    runner.when('ip -json -details link show dev oja0', NO_LINK);
    const handle = await new WireGuard(runner).ensureInterface({ ...config(), routes: ['10.42.0.0/16'] });
    expect(handle).toMatchObject({ name: 'oja0', implementation: 'kernel', created: true });
    expect(handle.process).toBeUndefined();
    expect(runner.lines()).toEqual([
      'ip -json -details link show dev oja0',
      'ip link add dev oja0 type wireguard',
      `wg set oja0 listen-port 51820 private-key ${keyPath}`,
      'ip -json address show dev oja0',
      'ip address replace 10.43.0.1/24 dev oja0',
      'ip link set dev oja0 mtu 1420 up',
      'ip route replace 10.42.0.0/16 dev oja0',
    ]);
  });

  it('falls back to wireguard-go in the foreground and waits until wg can reach it', async () => {
    runner.when('ip -json -details link show dev oja0', NO_LINK).when('ip link add', NO_MODULE);
    runner.when('wg show oja0 public-key', { fail: 'Unable to access interface: No such file or directory' });
    runner.onSpawn = () => runner.when('wg show oja0 public-key', 'pub\n');
    const handle = await new WireGuard(runner).ensureInterface(config());
    expect(handle).toMatchObject({ implementation: 'userspace', created: true });
    expect(handle.process?.pid).toBe(runner.spawned[0].pid);
    expect(runner.lines('spawn')).toEqual(['wireguard-go -f oja0']);
    expect(runner.lines()).toContain(`wg set oja0 listen-port 51820 private-key ${keyPath}`);
  });

  it('refuses wireguard-go when the kernel implementation is demanded', async () => {
    runner.when('ip -json -details link show dev oja0', NO_LINK).when('ip link add', NO_MODULE);
    await expect(new WireGuard(runner, { implementation: 'kernel' }).ensureInterface(config())).rejects.toThrow(/Unknown device type/);
    expect(runner.spawned).toHaveLength(0);
  });

  it('reports wireguard-go dying during start-up with its output', async () => {
    runner.when('ip -json -details link show dev oja0', NO_LINK).when('ip link add', NO_MODULE);
    runner.when('wg show oja0 public-key', { fail: 'Unable to access interface' });
    runner.onSpawn = (process) => process.exit(1);
    await expect(new WireGuard(runner, { implementation: 'userspace' }).ensureInterface(config())).rejects.toThrow(
      /exited before it was ready/,
    );
  });

  it('reuses a healthy link and only re-applies settings (re-runnable)', async () => {
    runner.when('ip -json -details link show dev oja0', linkJson('tun')).when('wg show oja0 public-key', 'pub\n');
    runner.when('ip -json address show', JSON.stringify([{ addr_info: [{ local: '10.43.0.9', prefixlen: 24 }, { local: 'fe80::1', prefixlen: 64, scope: 'link' }] }]));
    const handle = await new WireGuard(runner).ensureInterface(config());
    expect(handle).toMatchObject({ implementation: 'userspace', created: false });
    expect(runner.lines()).not.toContain('ip link add dev oja0 type wireguard');
    expect(runner.spawned).toHaveLength(0);
    // the old overlay address goes, the link-local one stays
    expect(runner.lines()).toContain('ip address del 10.43.0.9/24 dev oja0');
    expect(runner.lines().filter((line) => line.includes('fe80'))).toEqual([]);
  });

  it.each([
    ['a link of another type', 'dummy', 'pub\n'],
    ['a tun whose wireguard-go is gone', 'tun', { fail: 'Unable to access interface: Connection refused' }],
  ])('replaces %s', async (_what, kind, wgReply) => {
    runner.when('ip -json -details link show dev oja0', linkJson(kind)).when('wg show oja0 public-key', wgReply);
    const handle = await new WireGuard(runner).ensureInterface(config());
    expect(handle.created).toBe(true);
    const lines = runner.lines();
    expect(lines.indexOf('ip link del dev oja0')).toBeLessThan(lines.indexOf('ip link add dev oja0 type wireguard'));
    expect(lines.indexOf('ip link del dev oja0')).toBeGreaterThan(-1);
  });

  it('applies only the peer difference in one wg set call', async () => {
    const dump = [
      'priv\tpub\t51820\toff',
      `${STALE}\t(none)\t192.168.78.13:51820\t10.42.3.0/24\t0\t0\t0\toff`,
      `${PEER}\t(none)\t192.168.78.12:51820\t10.42.2.0/24\t1795442400\t10\t20\toff`,
    ].join('\n');
    runner.when('wg show oja0 dump', dump);
    const wg = new WireGuard(runner);
    const diff = await wg.applyPeers('oja0', [{ publicKey: PEER, endpoint: '192.168.78.12:51820', allowedIps: ['10.42.2.0/24'] }]);
    expect(diff).toEqual({ add: [], update: [], remove: [STALE] });
    expect(runner.lines()).toEqual(['wg show oja0 dump', `wg set oja0 peer ${STALE} remove`]);

    runner.calls.length = 0;
    await wg.applyPeers('oja0', [
      { publicKey: PEER, endpoint: '192.168.78.12:51820', allowedIps: ['10.42.2.0/24'] },
      { publicKey: STALE, endpoint: '192.168.78.13:51820', allowedIps: ['10.42.3.0/24'] },
    ]);
    expect(runner.lines()).toEqual(['wg show oja0 dump']);
  });

  it('removes the link, tolerates its absence and stops the wireguard-go it started', async () => {
    runner.when('ip -json -details link show dev oja0', NO_LINK).when('ip link add', NO_MODULE);
    const wg = new WireGuard(runner);
    const handle = await wg.ensureInterface(config());
    runner.when('ip link del dev oja0', { fail: 'Cannot find device "oja0"' });
    await wg.removeInterface('oja0');
    expect(runner.spawned[0].signals).toEqual(['SIGTERM']);
    expect(handle.process).toBe(runner.spawned[0]);
    await wg.removeInterface('oja0');
    expect(runner.spawned[0].signals).toEqual(['SIGTERM']);
  });
});
