import { generateKeyPair, RecordingRunner } from '@oja/wireguard';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { overlayPlan } from './address-plan';
import { desiredPeers, missingTools, nodeAddresses, Overlay } from './overlay';

const key = generateKeyPair().publicKey;
const peer = (over: object = {}) => ({ nodeName: 'n2', publicKey: key, endpoint: '192.168.78.12:51820', allowedIps: ['10.42.2.0/24'], ...over });

describe('overlay peers', () => {
  it('maps control-plane peers to WireGuard peers with keepalive', () => {
    expect(desiredPeers([peer()])).toEqual([{ publicKey: key, endpoint: '192.168.78.12:51820', allowedIps: ['10.42.2.0/24'], persistentKeepalive: 25 }]);
  });

  it('skips peers without a valid key or subnet, and leaves an endpoint without port to roaming', () => {
    expect(desiredPeers([peer({ publicKey: 'nope' }), peer({ allowedIps: [] })])).toEqual([]);
    expect(desiredPeers([peer({ endpoint: '192.168.78.12' })])[0]).not.toHaveProperty('endpoint');
  });

  it("counts every node's subnet gateway as a node address", () => {
    expect(nodeAddresses(overlayPlan('10.42.1.0/24', '10.42.0.0/16'), [peer(), peer({ allowedIps: ['10.42.3.0/24'] })])).toEqual([
      '10.42.1.1',
      '10.42.2.1',
      '10.42.3.1',
    ]);
  });

  it('reports tools missing from PATH', () => {
    expect(missingTools(['sh', 'surely-not-a-tool-oja'], process.env.PATH)).toEqual(['surely-not-a-tool-oja']);
  });
});

describe('Overlay', () => {
  const peerKey = generateKeyPair().publicKey;
  const dump = (peers: string[]) => ['(hidden)\tPUB\t51820\toff', ...peers.map((k) => `${k}\t(none)\t(none)\t10.42.2.0/24\t0\t0\t0\t25`)].join('\n');

  async function started(): Promise<{ overlay: Overlay; runner: RecordingRunner; docker: FakeDocker; dir: string; log: { messages: string[] } }> {
    const dir = mkdtempSync(join(tmpdir(), 'oja-overlay-'));
    let configured: string[] = [];
    const runner = new RecordingRunner()
      .when('ip -json -details link show dev oja0', '[{"linkinfo":{"info_kind":"tun"}}]')
      .when('ip -json address show dev oja0', '[]')
      .when('wg show oja0 dump', () => dump(configured))
      .when('wg set oja0 peer', (line) => {
        configured = line.includes(' remove') ? [] : [peerKey];
        return '';
      })
      .when('ipset list -n', '');
    const docker = new FakeDocker();
    const messages: string[] = [];
    const log = { info: (_o: unknown, m: string) => messages.push(m), warn: (_o: unknown, m: string) => messages.push(m), error: (_o: unknown, m: string) => messages.push(m) };
    const overlay = await Overlay.create({
      dataDir: dir, listenPort: 51820, docker: docker as never, log: log as never, runner, bridgeNfCallIptables: join(dir, 'bridge-nf'),
    });
    if (!overlay) throw new Error('overlay tools missing on this machine');
    return { overlay, runner, docker, dir, log: { messages } };
  }

  it('brings the overlay up in order and attaches instances to `oja` once it is', async () => {
    const { overlay, runner, docker, dir } = await started();
    expect(statSync(join(dir, 'wireguard.key')).mode & 0o777).toBe(0o600);
    const network = overlay.network();
    expect(await network).toBeUndefined();
    const up = overlay.up({ overlaySubnet: '10.42.1.0/24', overlayCidr: '10.42.0.0/16', peers: [peer({ publicKey: peerKey })] });
    expect(await overlay.network()).toBe('oja');
    await up;
    expect(docker.created).toEqual([expect.objectContaining({ Name: 'oja', IPAM: { Driver: 'default', Config: [{ Subnet: '10.42.1.0/24', Gateway: '10.42.1.1' }] } })]);
    const lines = runner.lines();
    const at = (prefix: string) => lines.findIndex((l) => l.startsWith(prefix));
    expect(lines).toContain('ip address replace 10.42.1.1/32 dev oja0');
    expect(lines).toContain('ip route replace 10.42.0.0/16 dev oja0');
    // sets before the chain that names them, chains before the jumps into them, peers last
    expect(at('ipset restore')).toBeLessThan(at('iptables-restore'));
    expect(at('iptables-restore')).toBeLessThan(at('iptables --wait -t filter -C DOCKER-USER -j OJA-FORWARD'));
    expect(at('iptables --wait -t nat -C POSTROUTING -j OJA-POSTROUTING')).toBeLessThan(at('wg set oja0 peer'));
    expect(readFileSync(join(dir, 'bridge-nf'), 'utf8')).toBe('1');
    expect(JSON.parse(readFileSync(join(dir, 'overlay.json'), 'utf8'))).toMatchObject({ subnet: '10.42.1.0/24', pool: '10.42.0.0/16' });
  });

  it('removes a stale peer and re-fills the isolation sets on Peers and TenantAddresses', async () => {
    const { overlay, runner } = await started();
    await overlay.up({ overlaySubnet: '10.42.1.0/24', overlayCidr: '10.42.0.0/16', peers: [peer({ publicKey: peerKey })] });
    runner.calls.length = 0;
    await overlay.setPeers([]);
    expect(runner.lines()).toContain(`wg set oja0 peer ${peerKey} remove`);
    await overlay.setTenantAddresses([{ tenant: 'acme', ips: ['10.42.1.2', '10.42.2.2'] }]);
    const restore = runner.calls.filter((c) => c.line === 'ipset restore').pop();
    expect(restore?.input).toContain('add oja-swap 10.42.2.2');
  });

  it('restores the saved overlay after a restart, with the same key', async () => {
    const first = await started();
    await first.overlay.up({ overlaySubnet: '10.42.1.0/24', overlayCidr: '10.42.0.0/16', peers: [] });
    const again = await Overlay.create({
      dataDir: first.dir, listenPort: 51820, docker: first.docker as never, log: { info() {}, warn() {}, error() {} } as never, runner: first.runner,
      bridgeNfCallIptables: join(first.dir, 'bridge-nf'),
    });
    expect(again?.publicKey).toBe(first.overlay.publicKey);
    await again?.restore();
    expect(await again?.network()).toBe('oja');
  });

  it('logs a failed bring-up; the network, once created, still takes instances (the next Registered retries)', async () => {
    const { overlay, runner, log } = await started();
    runner.when('iptables-restore', { fail: 'iptables-restore: line 2 failed' });
    await overlay.up({ overlaySubnet: '10.42.1.0/24', overlayCidr: '10.42.0.0/16', peers: [] });
    expect(log.messages).toContain('overlay up failed');
    expect(await overlay.network()).toBe('oja');
  });

  it('takes everything down on removal', async () => {
    const { overlay, runner, docker, dir } = await started();
    await overlay.up({ overlaySubnet: '10.42.1.0/24', overlayCidr: '10.42.0.0/16', peers: [] });
    runner.calls.length = 0;
    runner.when('iptables --wait -t filter -D', { fail: 'Bad rule' }).when('iptables --wait -t nat -D', { fail: 'Bad rule' });
    await overlay.remove();
    expect(runner.lines()).toEqual(expect.arrayContaining(['iptables --wait -t filter -D DOCKER-USER -j OJA-FORWARD', 'iptables --wait -t nat -X OJA-POSTROUTING', 'ip link del dev oja0']));
    expect(docker.removed).toBe(1);
    expect(existsSync(join(dir, 'overlay.json'))).toBe(false);
    expect(await overlay.network()).toBeUndefined();
  });
});

/** The part of dockerode the overlay uses: one `oja` network at most. */
class FakeDocker {
  created: Record<string, unknown>[] = [];
  removed = 0;
  async listNetworks() {
    return this.created.length ? [{ Id: 'n1', Name: 'oja' }] : [];
  }
  getNetwork() {
    return {
      inspect: async () => this.created[0],
      remove: async () => {
        this.created = [];
        this.removed++;
      },
    };
  }
  async createNetwork(options: Record<string, unknown>) {
    this.created = [options];
  }
}

describe('Overlay bring-up retry', () => {
  it('tries a failed bring-up again by itself', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oja-overlay-'));
    let failures = 1;
    const runner = new RecordingRunner()
      .when('ip -json -details link show dev oja0', '[{"linkinfo":{"info_kind":"tun"}}]')
      .when('ip -json address show dev oja0', '[]')
      .when('wg show oja0 dump', '(hidden)\tPUB\t51820\toff')
      .when('ipset list -n', '')
      .when('iptables-restore', () => (failures-- > 0 ? { fail: 'resource busy' } : ''));
    const messages: string[] = [];
    const log = { info: (_o: unknown, m: string) => messages.push(m), warn() {}, error: (_o: unknown, m: string) => messages.push(m) };
    const overlay = await Overlay.create({
      dataDir: dir, listenPort: 51820, docker: new FakeDocker() as never, log: log as never, runner, bridgeNfCallIptables: join(dir, 'bridge-nf'), retryMs: 10,
    });
    await overlay!.up({ overlaySubnet: '10.42.1.0/24', overlayCidr: '10.42.0.0/16', peers: [] });
    expect(messages).toEqual(['overlay up failed']);
    await waitUntil(() => messages.includes('overlay up'));
    expect(existsSync(join(dir, 'overlay.json'))).toBe(true);
  });
});

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).toBe(true);
}
