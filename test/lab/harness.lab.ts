import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFileRunner } from '@oja/wireguard';
import { Lab } from './lab';
import { BRIDGE, BRIDGE_ADDRESS, LIB_DIR, RUN_DIR } from './plan';
import { isAlive, waitFor } from './processes';
import { liveRecordedProcesses } from './records';
import { releaseLab } from './ownership';
import { ourCgroupDirs, ourLinks, removeLabResources } from './teardown';

const HOSTS = [1, 2, 3];

describe('lab harness (3 hosts)', () => {
  let lab: Lab;

  beforeAll(async () => {
    const started = Date.now();
    lab = await Lab.up({ hosts: 3 });
    console.log(`lab up: 3 hosts in ${Date.now() - started} ms`);
  });
  afterAll(() => lab?.down()); // also releases the lock kept by the last tests

  const ping = (from: number, address: string) => lab.exec(from, 'busybox', ['ping', '-c', '1', '-W', '2', address]);
  const engineId = async (n: number) => (await lab.exec(n, 'docker', ['info', '--format', '{{.ID}}'])).stdout.trim();

  it('gives every host its own engine, hostname and underlay address', async () => {
    const ids = new Set<string>();
    for (const n of HOSTS) {
      const [name, id] = (await lab.exec(n, 'docker', ['info', '--format', '{{.Name}} {{.ID}}'])).stdout.trim().split(' ');
      expect(name).toBe(`ojahost${n}`);
      ids.add(id);
      expect((await lab.exec(n, 'hostname', [])).stdout.trim()).toBe(`ojahost${n}`);
      // containerd runs in the host's netns: a --network host container sees the host's eth0
      const { stdout } = await lab.exec(n, 'docker', ['run', '--rm', '--network', 'host', lab.image, 'ip', '-4', 'addr', 'show', 'eth0']);
      expect(stdout).toContain(`inet ${lab.hostAddress(n)}/24`);
    }
    expect(ids.size).toBe(3);
  });

  it('lets a container on host 1 reach the control-plane address on the bridge', async () => {
    const server: Server = createServer((_req, res) => res.end('control-plane-here'));
    await new Promise<void>((ready) => server.listen(0, BRIDGE_ADDRESS, ready));
    try {
      const url = `http://${BRIDGE_ADDRESS}:${(server.address() as AddressInfo).port}/`;
      // busybox 1.35 `wget -T` segfaults; bound the wait with timeout instead
      const { stdout } = await lab.exec(1, 'docker', ['run', '--rm', lab.image, 'timeout', '10', 'wget', '-qO-', url]);
      expect(stdout).toBe('control-plane-here');
    } finally {
      server.close();
    }
  });

  it('runs a private registry that refuses a wrong password and serves pushes to other hosts', async () => {
    const { address, username, password } = lab.registry;
    const login = (n: number, secret: string) =>
      lab.exec(n, 'docker', ['login', '-u', username, '--password-stdin', address], { input: secret + '\n' });
    await expect(login(1, 'wrong-password')).rejects.toThrow(/unauthorized|401/i);
    await login(1, password);
    const ref = `${address}/lab/busybox:t${Date.now()}`;
    await lab.exec(1, 'docker', ['tag', lab.image, ref]);
    await lab.exec(1, 'docker', ['push', ref]);
    // registry logins are per host (DOCKER_CONFIG): host 3 has none yet
    await expect(lab.exec(3, 'docker', ['pull', ref])).rejects.toThrow(/no basic auth credentials|unauthorized/i);
    await login(3, password);
    await lab.exec(3, 'docker', ['pull', ref]);
    const imageId = async (n: number) => (await lab.exec(n, 'docker', ['image', 'inspect', '--format', '{{.Id}}', ref])).stdout.trim();
    expect(await imageId(3)).toBe(await imageId(1));
  });

  it('partitions a host off the underlay and heals it', async () => {
    await ping(1, lab.hostAddress(2));
    await lab.partition(2);
    await expect(ping(1, lab.hostAddress(2))).rejects.toThrow();
    await expect(ping(2, BRIDGE_ADDRESS)).rejects.toThrow();
    await ping(1, lab.hostAddress(3));
    await lab.heal(2);
    // neighbour entries that failed during the partition take a moment to be retried
    await waitFor('host 2 reachable again', async () => (await ping(1, lab.hostAddress(2)), true));
    await waitFor('host 2 reaching the bridge again', async () => (await ping(2, BRIDGE_ADDRESS), true));
  });

  it('kills a dockerd and restarts it with the same engine', async () => {
    const id = await engineId(3);
    await lab.killDockerd(3);
    await expect(lab.exec(3, 'docker', ['version'])).rejects.toThrow(/Cannot connect|connection refused|no such file/i);
    await lab.restartDockerd(3);
    expect(await engineId(3)).toBe(id);
    // the restarted engine shares containerd's mount namespace again, so containers start
    const { stdout } = await lab.exec(3, 'docker', ['run', '--rm', lab.image, 'echo', 'back']);
    expect(stdout.trim()).toBe('back');
  });

  it('down() stops everything it started, also processes and containers left on hosts', async () => {
    await lab.exec(1, 'docker', ['run', '-d', lab.image, 'sleep', '600']);
    const sleeper = lab.spawn(2, 'sleep', ['600']);
    // the child's pid is the process itself (nsenter/unshare/sh exec), inside host 2's netns
    await waitFor('sleep on host 2', () => readFileSync(`/proc/${sleeper.pid}/comm`, 'utf8').trim() === 'sleep');
    expect(readlinkSync(`/proc/${sleeper.pid}/ns/net`)).not.toBe(readlinkSync('/proc/self/ns/net'));
    // a process nobody recorded, only findable through the host's netns
    const stray = spawn('nsenter', ['--net=/run/netns/ojahost3', 'sleep', '600'], { stdio: 'ignore' });
    await waitFor('stray process in ojahost3', async () => (await execFileRunner.run('ip', ['netns', 'pids', 'ojahost3'])).stdout.includes(String(stray.pid)));
    const pids = [...liveRecordedProcesses().map((p) => p.pid), stray.pid as number];
    expect(pids.length).toBeGreaterThanOrEqual(8); // 3 dockerd, 3 containerd, registry, sleep

    const started = Date.now();
    // keep the lock: another run waiting for the lab would otherwise bring up its own right away
    await lab.down({ keepLock: true });
    console.log(`lab down: ${Date.now() - started} ms`);

    expect(pids.filter(isAlive)).toEqual([]);
    expectNothingLeft();
    await lab.down({ keepLock: true }); // idempotent
    expectNothingLeft();
  });

  it('teardown also removes leftovers of a crashed run, found by our name prefixes', async () => {
    await execFileRunner.run('ip', ['netns', 'add', 'ojahost9']);
    await execFileRunner.run('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
    await execFileRunner.run('ip', ['link', 'add', 'ojalabv9', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', 'ojahost9']);
    await execFileRunner.run('iptables', ['-I', 'FORWARD', '-i', BRIDGE, '-o', BRIDGE, '-j', 'ACCEPT']);
    const orphan = spawn('nsenter', ['--net=/run/netns/ojahost9', 'sleep', '600'], { stdio: 'ignore', detached: true });
    await waitFor('orphan in ojahost9', async () => (await execFileRunner.run('ip', ['netns', 'pids', 'ojahost9'])).stdout.includes(String(orphan.pid)));
    // what down() runs; the lock from the previous test is still ours, so no other run interferes
    removeLabResources();
    expect(isAlive(orphan.pid as number)).toBe(false);
    expectNothingLeft();
    releaseLab();
  });
});

function expectNothingLeft(): void {
  expect(readdirSync('/run/netns').filter((name) => name.startsWith('ojahost'))).toEqual([]);
  expect(ourLinks()).toEqual([]);
  expect(ourCgroupDirs()).toEqual([]);
  expect(existsSync(RUN_DIR)).toBe(false);
  expect(existsSync(LIB_DIR)).toBe(false);
  expect(forwardRules()).toEqual([]);
}

function forwardRules(): string[] {
  return execFileSync('iptables', ['-S', 'FORWARD'], { encoding: 'utf8' })
    .split('\n')
    .filter((rule) => rule.includes(BRIDGE));
}
