import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { BRIDGE, CGROUP_PATTERN, LIB_DIR, NETNS_PATTERN, RUN_DIR, VETH_PATTERN, hostPaths } from './plan';
import { ownedByAnotherProcess, releaseLab } from './ownership';
import { isAlive, stopPids } from './processes';
import { liveRecordedProcesses, Stage } from './records';

/**
 * Removes everything a lab created, found from its records and by the name prefixes of its own
 * resources, never by process name; does nothing while another live process owns the lab. Synchronous so it can run from a process 'exit' handler;
 * idempotent, so it also cleans up after a crashed run and is a no-op on a clean machine.
 */
export function teardownLab(): void {
  if (ownedByAnotherProcess()) return;
  removeLabResources();
  releaseLab();
}

/** The clean-up itself, for a caller that holds the lab lock (and keeps holding it). */
export function removeLabResources(): void {
  const hosts = existingHosts();
  for (const n of hosts) removeContainers(n);
  const recorded = liveRecordedProcesses();
  for (const stage of [Stage.Workload, Stage.Dockerd, Stage.Containerd, Stage.Registry]) {
    stopPids(
      recorded.filter((p) => p.stage === stage).map((p) => p.pid),
      stage === Stage.Dockerd ? 15_000 : 5_000,
    );
  }
  for (const n of hosts) stopPids(leftoverPids(n), 3_000);
  for (const n of hosts) quietly('ip', ['netns', 'del', `ojahost${n}`]);
  for (const link of ourLinks()) quietly('ip', ['link', 'del', 'dev', link]);
  removeCgroups();
  while (quietly('iptables', ['-D', 'FORWARD', '-i', BRIDGE, '-o', BRIDGE, '-j', 'ACCEPT'])) {
    // a crashed run may have inserted the rule more than once
  }
  unmountUnder([RUN_DIR, LIB_DIR]);
  keepLogs(process.env.OJA_LAB_KEEP_LOGS);
  rmSync(RUN_DIR, { recursive: true, force: true });
  rmSync(LIB_DIR, { recursive: true, force: true });
}

/** Daemon logs die with the state dir; OJA_LAB_KEEP_LOGS=DIR copies them there first (debugging). */
function keepLogs(target: string | undefined): void {
  if (!target || !existsSync(RUN_DIR)) return;
  cpSync(RUN_DIR, target, { recursive: true, filter: (src) => !/\.(sock|ttrpc)$/.test(src) && !src.includes('/containerd/') && !src.includes('/exec') });
}

/** Host numbers that have a netns or a state directory. */
export function existingHosts(): number[] {
  const fromNetns = safeReaddir('/run/netns').map((name) => NETNS_PATTERN.exec(name)?.[1]);
  const fromState = safeReaddir(RUN_DIR).map((name) => NETNS_PATTERN.exec(name)?.[1]);
  return [...new Set([...fromNetns, ...fromState].filter((n): n is string => n !== undefined).map(Number))].sort((a, b) => a - b);
}

/** Our links (bridge + veths); deleting a netns already removes its veth pair. */
export function ourLinks(): string[] {
  const links = JSON.parse(output('ip', ['-json', 'link', 'show']) || '[]') as { ifname: string }[];
  return links.map((l) => l.ifname).filter((name) => name === BRIDGE || VETH_PATTERN.test(name));
}

export function ourCgroupDirs(): string[] {
  return safeReaddir('/sys/fs/cgroup').flatMap((controller) =>
    safeReaddir(`/sys/fs/cgroup/${controller}`)
      .filter((name) => CGROUP_PATTERN.test(name))
      .map((name) => `/sys/fs/cgroup/${controller}/${name}`),
  );
}

/** Containers through the engine's API first: faster and cleaner than killing dockerd under them. */
function removeContainers(n: number): void {
  const { dockerSocket } = hostPaths(n);
  if (!existsSync(dockerSocket)) return;
  const docker = ['-H', `unix://${dockerSocket}`];
  const ids = output('docker', [...docker, 'ps', '-aq'], 5_000).split('\n').filter(Boolean);
  if (ids.length > 0) quietly('docker', [...docker, 'rm', '-f', ...ids], 30_000);
}

/**
 * What is left of host N after its daemons stopped: shims and container processes of a killed
 * engine (shim.pid files, the lab's cgroups), and anything else still in its netns.
 */
function leftoverPids(n: number): number[] {
  const pids = new Set<number>();
  const add = (text: string) =>
    text
      .split(/\s+/)
      .filter(Boolean)
      .forEach((pid) => pids.add(Number(pid)));
  for (const file of findFiles(hostPaths(n).containerdState, 'shim.pid')) add(readFileSync(file, 'utf8'));
  for (const dir of ourCgroupDirs().filter((d) => d.endsWith(`-host${n}`)))
    for (const file of findFiles(dir, 'cgroup.procs')) add(readFileSync(file, 'utf8'));
  if (existsSync(`/run/netns/ojahost${n}`)) add(output('ip', ['netns', 'pids', `ojahost${n}`]));
  pids.delete(process.pid);
  return [...pids].filter(isAlive);
}

function removeCgroups(): void {
  // deepest first: a cgroup directory can only be removed once it has no children
  for (const dir of ourCgroupDirs()) {
    const dirs = [dir, ...findDirs(dir)].sort((a, b) => b.length - a.length);
    for (const d of dirs) {
      try {
        rmdirSync(d);
      } catch {
        // still has processes (reported by the next teardown) or already gone
      }
    }
  }
}

/** Mounts in OUR mount namespace under the lab dirs (the daemons' own mounts die with them). */
function unmountUnder(roots: string[]): void {
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1])
    .filter((target) => target && roots.some((root) => target === root || target.startsWith(root + '/')))
    .sort((a, b) => b.length - a.length);
  for (const target of mounts) quietly('umount', ['-l', target]);
}

function findFiles(dir: string, name: string): string[] {
  return [dir, ...findDirs(dir)].map((d) => `${d}/${name}`).filter((f) => existsSync(f));
}

function findDirs(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.filter((e) => e.isDirectory()).flatMap((e) => [`${dir}/${e.name}`, ...findDirs(`${dir}/${e.name}`)]);
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function output(cmd: string, args: string[], timeout = 10_000): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}

function quietly(cmd: string, args: string[], timeout = 10_000): boolean {
  try {
    execFileSync(cmd, args, { timeout, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
