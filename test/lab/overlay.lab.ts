import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileRunner } from '@oja/wireguard';
import { httpdSpec, METRICS_PORT, OverlayCluster, type InstanceRow, type Tenant } from './overlay-cluster';
import { vethName } from './plan';
import { GiveUp, waitFor } from './processes';

/** Captures underlay packets between two lab hosts (on host `a`'s veth, root netns) while `during` runs. */
async function captureBetween(cluster: OverlayCluster, a: number, b: number, during: () => Promise<void>): Promise<{ raw: Buffer; packets: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'oja-overlay-pcap-'));
  const file = join(dir, 'underlay.pcap');
  const filter = `host ${cluster.lab.hostAddress(a)} and host ${cluster.lab.hostAddress(b)}`;
  // --immediate-mode: otherwise packets wait in the kernel's capture ring and a prompt SIGINT loses them
  const tcpdump = spawn('tcpdump', ['-i', vethName(a), '--immediate-mode', '-U', '-n', '-w', file, filter], { stdio: ['ignore', 'ignore', 'pipe'] });
  let failedToStart: Error | undefined;
  // a tcpdump that cannot start emits 'error' and maybe never 'exit'
  const exited = new Promise<void>((done) => {
    tcpdump.once('exit', () => done());
    tcpdump.once('error', (error) => ((failedToStart = error), done()));
  });
  let stderr = '';
  try {
    tcpdump.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await waitFor('tcpdump listening', () => {
      if (failedToStart) throw new GiveUp(`tcpdump did not start: ${failedToStart.message}`);
      return stderr.includes('listening on');
    }, 10_000);
    await during();
  } finally {
    tcpdump.kill('SIGINT');
    await exited;
  }
  try {
    const { stdout } = await execFileRunner.run('tcpdump', ['-r', file, '-n']);
    return { raw: readFileSync(file), packets: stdout.split('\n').filter(Boolean) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Three lab hosts, the built control plane and one built agent per host: the agents' WireGuard overlay (oja0 +
// Docker network oja) carries container traffic across hosts, encrypted; restarts keep subnets and keys; a host
// that leaves is dropped from every peer list.
describe('overlay across lab hosts', () => {
  let cluster: OverlayCluster;
  let tenant: Tenant;
  let web: InstanceRow[];
  const payload = `oja-overlay-payload-${randomBytes(6).toString('hex')}`;
  const url = (i: InstanceRow) => `http://${i.overlayIp}:8080/`;
  const onHost = (n: number) => web.find((i) => cluster.hostOf(i) === n) as InstanceRow;

  beforeAll(async () => {
    cluster = await OverlayCluster.start(3);
    tenant = await cluster.tenant('acme');
    await cluster.deploy(tenant, httpdSpec('web', 3, payload));
    web = await cluster.waitRunning(tenant, 'web', 3);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("spreads replicas one per host, each with an address in its node's /24", async () => {
    expect(new Set(web.map((i) => cluster.hostOf(i)))).toEqual(new Set([1, 2, 3]));
    for (const instance of web) {
      const node = await cluster.node(cluster.hostOf(instance));
      const prefix = node!.overlaySubnet!.replace(/0\/24$/, '');
      expect(instance.overlayIp!.startsWith(prefix)).toBe(true);
      // .1 is the node's own overlay address (bridge gateway and oja0)
      expect(instance.overlayIp).not.toBe(`${prefix}1`);
    }
    const subnets = await Promise.all([1, 2, 3].map(async (n) => (await cluster.node(n))!.overlaySubnet));
    expect(new Set(subnets).size).toBe(3);
  });

  it('carries container-to-container HTTP across hosts by overlay IP, and the underlay sees only WireGuard UDP', async () => {
    // a new instance's address reaches the other nodes' isolation sets shortly after it reports running
    await waitFor('host 1 reaches host 2', () => cluster.reaches(onHost(1), url(onHost(2))), 30_000);
    const capture = await captureBetween(cluster, 1, 2, async () => {
      expect((await cluster.httpFrom(onHost(1), url(onHost(2)))).trim()).toBe(payload);
      expect((await cluster.httpFrom(onHost(2), url(onHost(1)))).trim()).toBe(payload);
    });
    expect((await cluster.httpFrom(onHost(3), url(onHost(1)))).trim()).toBe(payload);

    // the exchange crossed the capture point as WireGuard UDP only, never with the HTTP request or body in clear
    const ip = capture.packets.filter((packet) => / IP /.test(packet)); // ARP may show up too
    expect(ip.length).toBeGreaterThanOrEqual(4);
    for (const packet of ip) expect(packet).toMatch(/\.51820 > .*\.51820: UDP/);
    expect(capture.raw.includes(Buffer.from(payload))).toBe(false);
    expect(capture.raw.includes(Buffer.from('GET / HTTP'))).toBe(false);
  });

  it('reports overlay peers and handshake ages in the agent metrics', async () => {
    const text = await waitFor('metrics with handshakes', async () => {
      const body = await (await fetch(`http://${cluster.lab.hostAddress(1)}:${METRICS_PORT}/metrics`)).text();
      return body.includes('oja_agent_overlay_peer_handshake_age_seconds{peer="ojahost2"}') ? body : undefined;
    });
    expect(text).toMatch(/^oja_agent_overlay_peers 2$/m);
  });

  it('keeps subnet and WireGuard key across an agent restart; the key file is private', async () => {
    const before = { subnet: (await cluster.node(1))!.overlaySubnet, key: (await cluster.lab.exec(1, 'wg', ['show', 'oja0', 'public-key'])).stdout.trim() };
    const keyFile = `/var/lib/oja-testlab/ojahost1/agent/wireguard.key`;
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);

    await cluster.lab.killAgent(1);
    await waitFor('ojahost1 down', async () => (await cluster.node(1))?.status === 'down', 60_000);
    cluster.startAgent(1);
    await cluster.waitOverlay(1);

    expect((await cluster.node(1))!.overlaySubnet).toBe(before.subnet);
    expect((await cluster.lab.exec(1, 'wg', ['show', 'oja0', 'public-key'])).stdout.trim()).toBe(before.key);
    // host 1's instance was replaced elsewhere while it was down (its row lingers until the agent has stopped the
    // adopted container): a new replica lands on host 1 (spread), and host 2's container reaches it, so the peers
    // still hold host 1's key
    const known = new Set((await cluster.instances(tenant, 'web')).map((i) => i.id));
    expect((await cluster.api('PATCH', '/v1/deployments/web/scale', { replicas: 4 }, tenant.token)).status).toBe(200);
    const host1 = await waitFor('a new replica running on host 1', async () =>
      (await cluster.instances(tenant, 'web')).find((i) => !known.has(i.id) && i.node === 'ojahost1' && i.state === 'running' && i.overlayIp),
    60_000);
    await waitFor('host 2 reaches the new replica on host 1', () => cluster.reaches(onHost(2), url(host1)), 30_000);
    expect((await cluster.httpFrom(onHost(2), url(host1))).trim()).toBe(payload);
  });

  it('drops a host that left from every peer list', async () => {
    const key3 = (await cluster.lab.exec(3, 'wg', ['show', 'oja0', 'public-key'])).stdout.trim();
    for (const n of [1, 2]) expect((await cluster.lab.exec(n, 'wg', ['show', 'oja0', 'peers'])).stdout).toContain(key3);

    await cluster.lab.partition(3);
    await cluster.lab.killAgent(3);
    await waitFor('ojahost3 down', async () => (await cluster.node(3))?.status === 'down', 60_000);
    expect((await cluster.api('DELETE', '/v1/nodes/ojahost3')).status).toBe(204);

    for (const n of [1, 2]) {
      await waitFor(`ojahost${n} drops ojahost3`, async () => !(await cluster.lab.exec(n, 'wg', ['show', 'oja0', 'peers'])).stdout.includes(key3), 30_000);
    }
    expect((await cluster.api('GET', '/v1/nodes')).body.items.map((n: { name: string }) => n.name).sort()).toEqual(['ojahost1', 'ojahost2']);
  });
});
