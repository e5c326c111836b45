import { existsSync } from 'node:fs';
import { generateKeyPair, WireGuard, type DesiredPeer, type InterfaceHandle } from '@oja/wireguard';
import { Lab } from './lab';
import { hostPaths } from './plan';
import { isAlive, waitFor } from './processes';

// @oja/wireguard against real wg / wireguard-go / ip: two lab hosts (netns on the lab bridge), each
// with its own private /run/wireguard, peered over the underlay.
const PORT = 51820;
const overlayIp = (n: number) => `10.99.0.${n}`;
const kernelModule = existsSync('/sys/module/wireguard');

describe('@oja/wireguard on two lab hosts', () => {
  let lab: Lab;
  const wg: Record<number, WireGuard> = {};
  const handles: Record<number, InterfaceHandle> = {};

  const newWireGuard = (n: number) => new WireGuard(lab.runner(n), { wireguardGoLog: `${hostPaths(n).logs}/wireguard-go.log` });
  const config = (n: number) => ({ name: 'oja0', address: `${overlayIp(n)}/24`, listenPort: PORT, privateKeyPath: `${hostPaths(n).lib}/wireguard.key` });
  const peerOf = (m: number): DesiredPeer => ({ publicKey: handles[m].publicKey, endpoint: `${lab.hostAddress(m)}:${PORT}`, allowedIps: [`${overlayIp(m)}/32`] });
  const ping = (from: number, to: number) => lab.exec(from, 'busybox', ['ping', '-c', '1', '-W', '2', overlayIp(to)]);
  const pingEventually = (from: number, to: number) => 
    // after a peer restarts, the other side keeps using its old session until the rekey timeout;
    // traffic from the restarted side starts a fresh handshake at once
    waitFor(`overlay ping ${from}->${to}`, async () => (await ping(from, to), true), 60_000);

  beforeAll(async () => {
    lab = await Lab.up({ hosts: 2, docker: false });
    for (const n of [1, 2]) {
      wg[n] = newWireGuard(n);
      handles[n] = await wg[n].ensureInterface(config(n));
    }
  });
  afterAll(() => lab?.down());

  it('brings oja0 up with the implementation this kernel supports, keys compatible with wg', async () => {
    for (const n of [1, 2]) {
      expect(handles[n]).toMatchObject({ name: 'oja0', created: true, implementation: kernelModule ? 'kernel' : 'userspace' });
      if (!kernelModule) expect(isAlive(handles[n].process?.pid as number)).toBe(true);
      const { stdout } = await lab.exec(n, 'sh', ['-c', `wg pubkey < ${config(n).privateKeyPath}`]);
      expect(stdout.trim()).toBe(handles[n].publicKey);
      const dump = await wg[n].dump('oja0');
      expect(dump).toMatchObject({ publicKey: handles[n].publicKey, listenPort: PORT, peers: [] });
      const link = (await lab.exec(n, 'ip', ['-o', 'link', 'show', 'dev', 'oja0'])).stdout;
      expect(link).toContain('mtu 1420');
    }
  });

  it('peers the hosts, carries traffic and shows the handshake in the dump', async () => {
    expect(await wg[1].applyPeers('oja0', [peerOf(2)])).toMatchObject({ add: [peerOf(2)], update: [], remove: [] });
    await wg[2].applyPeers('oja0', [peerOf(1)]);
    await pingEventually(1, 2);
    const [peer] = (await wg[1].dump('oja0')).peers;
    expect(peer.publicKey).toBe(handles[2].publicKey);
    expect(peer.endpoint).toBe(`${lab.hostAddress(2)}:${PORT}`);
    expect(peer.allowedIps).toEqual([`${overlayIp(2)}/32`]);
    expect(peer.latestHandshake).toBeInstanceOf(Date);
    expect(peer.rxBytes).toBeGreaterThan(0);
  });

  it('is re-runnable: a second ensure/apply changes nothing', async () => {
    const again = await wg[1].ensureInterface(config(1));
    expect(again).toMatchObject({ created: false, publicKey: handles[1].publicKey });
    expect(again.process?.pid).toBe(handles[1].process?.pid);
    expect(await wg[1].applyPeers('oja0', [peerOf(2)])).toEqual({ add: [], update: [], remove: [] });
    await ping(1, 2);
  });

  it('removes stale peers and replaces allowed IPs', async () => {
    const stale = generateKeyPair().publicKey;
    await lab.exec(1, 'wg', ['set', 'oja0', 'peer', stale, 'allowed-ips', '10.99.9.0/24']);
    const widened = { ...peerOf(2), allowedIps: [`${overlayIp(2)}/32`, '10.99.2.0/24'] };
    expect(await wg[1].applyPeers('oja0', [widened])).toMatchObject({ update: [widened], remove: [stale] });
    expect((await wg[1].dump('oja0')).peers.map((p) => [p.publicKey, p.allowedIps])).toEqual([[handles[2].publicKey, [`${overlayIp(2)}/32`, '10.99.2.0/24']]]);
    await wg[1].applyPeers('oja0', [{ ...peerOf(2), allowedIps: [] }]);
    expect((await wg[1].dump('oja0')).peers[0].allowedIps).toEqual([]);
    await wg[1].applyPeers('oja0', [peerOf(2)]);
    await ping(1, 2);
  });

  it('recreates oja0 after its daemon died or when a foreign link holds the name', async () => {
    if (!kernelModule) {
      // wireguard-go killed: the tun vanishes, a stale UAPI socket stays; a restarted agent recovers
      process.kill(handles[2].process?.pid as number, 'SIGKILL');
      await waitFor('oja0 gone on host 2', async () => lab.exec(2, 'ip', ['link', 'show', 'dev', 'oja0']).then(() => false, () => true));
      await expect(ping(1, 2)).rejects.toThrow();
      wg[2] = newWireGuard(2);
      handles[2] = await wg[2].ensureInterface(config(2));
      expect(handles[2]).toMatchObject({ created: true });
      await wg[2].applyPeers('oja0', [peerOf(1)]);
      await pingEventually(2, 1);
      await ping(1, 2);
    }
    await wg[2].removeInterface('oja0');
    await lab.exec(2, 'ip', ['link', 'add', 'oja0', 'type', 'bridge']);
    handles[2] = await wg[2].ensureInterface(config(2));
    expect(handles[2]).toMatchObject({ created: true, publicKey: handles[2].publicKey });
    expect((await lab.exec(2, 'ip', ['-d', 'link', 'show', 'dev', 'oja0'])).stdout).not.toContain('bridge');
    await wg[2].applyPeers('oja0', [peerOf(1)]);
    await pingEventually(2, 1);
    await ping(1, 2);
  });

  it('removeInterface deletes the link and stops wireguard-go', async () => {
    for (const n of [1, 2]) {
      const pid = handles[n].process?.pid;
      await wg[n].removeInterface('oja0');
      await expect(lab.exec(n, 'ip', ['link', 'show', 'dev', 'oja0'])).rejects.toThrow(/does not exist/);
      if (pid !== undefined) expect(isAlive(pid)).toBe(false);
      await wg[n].removeInterface('oja0'); // absent is fine
    }
  });
});
