import { writeFileSync, appendFileSync, mkdirSync } from 'node:fs';
import { WireGuard } from '@oja/wireguard';
import { OverlayCluster, type InstanceRow } from './overlay-cluster';
import { hostPaths } from './plan';
import { waitFor } from './processes';

// The lab half of `npm run bench -- overlay` (test/bench/overlay.js runs it and writes the row): on two lab hosts,
// throughput and RTT host 1 → host 2 over the plain underlay, over a bare wireguard-go tunnel between the hosts, and
// container → container over oja's overlay, measured the same way in one run: busybox `wget` of a file of
// OJA_OVERLAY_BENCH_MIB MiB from a busybox httpd (timed by `time` on the sender), and `ping -c 20 -i 0.1`.
const OUT = process.env.OJA_OVERLAY_BENCH_OUT ?? '/dev/null';
const MIB = Number(process.env.OJA_OVERLAY_BENCH_MIB ?? 128);
const REPEATS = Number(process.env.OJA_OVERLAY_BENCH_REPEATS ?? 3);
const BYTES = MIB * 2 ** 20;
const RAW_WG = { name: 'ojabench0', port: 51999, address: (n: number) => `10.43.0.${n}` };
const HOST_HTTP_PORT = 8099;

/** Seconds from busybox `time` output ("real\t0m 1.23s"). */
function realSeconds(stderr: string): number {
  const m = /real\s+(\d+)m\s*([\d.]+)s/.exec(stderr);
  if (!m) throw new Error(`no timing in: ${stderr}`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/** Average RTT in ms from busybox ping's summary line. */
function averageRtt(stdout: string): number {
  const m = /min\/avg\/max = [\d.]+\/([\d.]+)\/[\d.]+ ms/.exec(stdout);
  if (!m) throw new Error(`no RTT in: ${stdout}`);
  return Number(m[1]);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

describe('overlay throughput and latency', () => {
  let cluster: OverlayCluster;
  beforeAll(async () => {
    cluster = await OverlayCluster.start(2);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('measures underlay, bare wireguard-go and the oja overlay in one run', async () => {
    const { lab } = cluster;
    // host 2 serves the file for the host-level paths (underlay and bare tunnel)
    const dir = `${hostPaths(2).lib}/bench-www`;
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/big`, Buffer.alloc(BYTES));
    lab.spawn(2, 'busybox', ['httpd', '-f', '-p', String(HOST_HTTP_PORT), '-h', dir]);

    // a bare wireguard-go tunnel between the hosts, next to oja0, as the reference
    const keys: string[] = [];
    for (const n of [1, 2]) {
      const handle = await new WireGuard(lab.runner(n)).ensureInterface({
        name: RAW_WG.name,
        address: `${RAW_WG.address(n)}/24`,
        listenPort: RAW_WG.port,
        privateKeyPath: `${hostPaths(n).lib}/bench-wg.key`,
      });
      keys[n] = handle.publicKey;
    }
    for (const [n, m] of [[1, 2], [2, 1]]) {
      await new WireGuard(lab.runner(n)).applyPeers(RAW_WG.name, [
        { publicKey: keys[m], endpoint: `${lab.hostAddress(m)}:${RAW_WG.port}`, allowedIps: [`${RAW_WG.address(m)}/32`] },
      ]);
    }

    // two containers, one per host, serving the same file over the overlay
    const tenant = await cluster.tenant('bench');
    await cluster.deploy(tenant, {
      name: 'bench',
      image: 'oja/busybox:1',
      replicas: 2,
      command: ['sh', '-c', `mkdir -p /tmp/www && head -c ${BYTES} /dev/zero > /tmp/www/big && echo ok > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www`],
      resources: { cpu: 1, memoryMb: 512 },
      capabilities: ['NET_RAW'],
    });
    const rows = await cluster.waitRunning(tenant, 'bench', 2);
    const sender = rows.find((i) => cluster.hostOf(i) === 1) as InstanceRow;
    const receiver = rows.find((i) => cluster.hostOf(i) === 2) as InstanceRow;
    expect(sender && receiver).toBeTruthy();
    await waitFor('overlay path ready', () => cluster.reaches(sender, `http://${receiver.overlayIp}:8080/index.html`), 30_000);
    const senderContainer = await cluster.containerOf(sender);

    const onHost = async (script: string) => lab.exec(1, 'busybox', ['sh', '-c', script], { timeoutMs: 120_000 });
    const inContainer = async (script: string) => lab.docker(1, ['exec', senderContainer, 'sh', '-c', script], { timeoutMs: 120_000 });
    const paths = {
      underlay: { run: onHost, address: lab.hostAddress(2), port: HOST_HTTP_PORT, wget: 'busybox wget', ping: 'busybox ping' },
      wireguardGo: { run: onHost, address: RAW_WG.address(2), port: HOST_HTTP_PORT, wget: 'busybox wget', ping: 'busybox ping' },
      overlay: { run: inContainer, address: receiver.overlayIp as string, port: 8080, wget: 'wget', ping: 'ping' },
    };
    const figures: Record<string, { mbitPerSecond: number; seconds: number[]; rttMs: number }> = {};
    for (const [name, path] of Object.entries(paths)) {
      const url = `http://${path.address}:${path.port}/big`;
      await path.run(`${path.wget} -qO /dev/null ${url}`); // warm-up: caches, handshake, ARP
      const seconds: number[] = [];
      for (let i = 0; i < REPEATS; i++) seconds.push(realSeconds((await path.run(`time ${path.wget} -qO /dev/null ${url}`)).stderr));
      const rttMs = averageRtt((await path.run(`${path.ping} -q -c 20 -i 0.1 ${path.address}`)).stdout);
      figures[name] = { mbitPerSecond: Math.round((BYTES * 8) / median(seconds) / 1e6), seconds, rttMs };
    }
    appendFileSync(OUT, JSON.stringify({ mib: MIB, repeats: REPEATS, ...figures }) + '\n');
    for (const f of Object.values(figures)) expect(f.mbitPerSecond).toBeGreaterThan(0);
  });
});
