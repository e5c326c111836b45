import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { execFileRunner, type CommandOutput, type CommandRunner, type RunOptions } from '@oja/wireguard';
import { buildBaseImage } from './image';
import {
  BRIDGE,
  BRIDGE_ADDRESS,
  IMAGE,
  LIB_DIR,
  MTU,
  REGISTRY_ADDRESS,
  REGISTRY_PASSWORD,
  REGISTRY_USER,
  RUN_DIR,
  cgroupParent,
  dockerBridgeCidr,
  hostAddress,
  hostName,
  hostPaths,
  vethName,
} from './plan';
import { acquireLab } from './ownership';
import { GiveUp, isAlive, waitFor } from './processes';
import { forgetProcess, recordProcess, Stage } from './records';
import { removeLabResources, teardownLab } from './teardown';

export interface LabOptions {
  hosts: number;
  /** containerd + dockerd per host and the base image (default true). */
  docker?: boolean;
  /** The private registry on the bridge (default: same as `docker`). */
  registry?: boolean;
  /** Extra dockerd flags, e.g. ['--live-restore']. */
  dockerdArgs?: string[];
  /** How long to wait while another process has the (single, fixed-name) lab up; default 8 min. */
  waitForLabMs?: number;
}

export interface ControlPlaneOptions {
  /** OJA_DATABASE_URL, OJA_REDIS_URL, OJA_SECRET_KEY, OJA_ADMIN_TOKEN, ... */
  env: Record<string, string>;
  /** Default: a free port on the bridge address (so another control plane on 0.0.0.0:7400 is no clash). */
  httpPort?: number;
  grpcPort?: number;
}

export interface ControlPlane {
  process: ChildProcess;
  httpUrl: string;
  grpcAddress: string;
}

export interface AgentOptions {
  /** `HOST:PORT` of the control plane's gRPC listener; omit on a restart (data dir is enough). */
  join?: string;
  token?: string;
  /** Default: the host name (ojahostN). */
  name?: string;
  /** Default: /var/lib/oja-testlab/ojahostN/agent. */
  dataDir?: string;
  args?: string[];
  env?: Record<string, string>;
}

const REPO = resolve(__dirname, '../..');
export const CONTROL_PLANE_BIN = `${REPO}/apps/control-plane/bin/oja-control-plane.js`;
export const AGENT_BIN = `${REPO}/apps/agent/bin/oja-agent.js`;
const REQUIRED = ['ip', 'iptables', 'nsenter', 'unshare', 'containerd', 'dockerd', 'docker', 'docker-registry', 'htpasswd', 'busybox', 'wg', 'wireguard-go'];

/**
 * Several simulated hosts on this machine: each a network namespace on the bridge `ojalab0`
 * (192.168.78.0/24) with its own containerd + dockerd, plus a private registry in the root netns.
 * See README.md in this directory.
 */
export class Lab {
  private readonly agents = new Map<number, ChildProcess>();
  private readonly dockerd = new Map<number, number>();
  private readonly containerd = new Map<number, number>();
  private readonly exitHandler = () => teardownLab();
  private isDown = false;

  readonly bridgeAddress = BRIDGE_ADDRESS;
  readonly image = IMAGE;
  readonly registry = { address: REGISTRY_ADDRESS, username: REGISTRY_USER, password: REGISTRY_PASSWORD };

  private constructor(
    readonly hosts: number,
    private readonly options: LabOptions,
  ) {}

  static async up(options: LabOptions): Promise<Lab> {
    if (process.getuid?.() !== 0) throw new Error('the lab needs root (network namespaces, dockerd)');
    await assertTools(options.docker === false ? ['ip', 'nsenter', 'unshare'] : REQUIRED);
    // concurrent test runs (other suites, other developers) take turns
    await acquireLab(options.waitForLabMs ?? 8 * 60_000);
    removeLabResources(); // leftovers of a crashed run
    const lab = new Lab(options.hosts, options);
    // installed before anything exists, so a crash half-way still cleans up
    process.once('exit', lab.exitHandler);
    try {
      await lab.create();
    } catch (error) {
      await lab.down();
      throw error;
    }
    return lab;
  }

  readonly hostName = hostName;
  readonly hostAddress = hostAddress;
  dockerHost(n: number): string {
    return hostPaths(n).dockerHost;
  }

  /** Runs a command "on host N" to completion; rejects with CommandError on a non-zero exit. */
  exec(n: number, cmd: string, args: readonly string[], options: RunOptions = {}): Promise<CommandOutput> {
    return this.runner(n).run(cmd, args, options);
  }

  /**
   * Starts a long-running process on host N: its netns, hostname, DOCKER_HOST/DOCKER_CONFIG, and
   * private /run/wireguard and /run/oja (bind mounts of per-host dirs). The child's pid is the
   * process's own (nsenter/unshare/sh exec), and it is stopped by `down()`.
   */
  spawn(n: number, cmd: string, args: readonly string[], options: { env?: Record<string, string>; log?: string } = {}): ChildProcess {
    const [wrapped, wrappedArgs] = this.onHost(n, cmd, args);
    const label = `${hostName(n)}-${cmd.split('/').pop()}`;
    return this.spawnRecorded(wrapped, wrappedArgs, Stage.Workload, label, {
      env: { ...this.hostEnv(n), ...options.env },
      log: options.log ?? `${hostPaths(n).logs}/${label}.log`,
    });
  }

  /** A CommandRunner whose commands run on host N (for @oja/wireguard and the like). */
  runner(n: number): CommandRunner {
    return {
      run: async (cmd, args, options = {}) => {
        const [wrapped, wrappedArgs] = this.onHost(n, cmd, args);
        return execFileRunner.run(wrapped, wrappedArgs, { ...options, env: { ...this.hostEnv(n), ...options.env } });
      },
      spawn: async (cmd, args, options = {}) => {
        const [wrapped, wrappedArgs] = this.onHost(n, cmd, args);
        const child = await execFileRunner.spawn(wrapped, wrappedArgs, { ...options, env: { ...this.hostEnv(n), ...options.env } });
        recordProcess(child.pid, Stage.Workload, `${hostName(n)}-${cmd.split('/').pop()}`);
        return child;
      },
    };
  }

  /** The docker CLI against host N's engine, run from the root netns (the engine is what counts). */
  docker(n: number, args: readonly string[], options: RunOptions = {}): Promise<CommandOutput> {
    return execFileRunner.run('docker', args, { timeoutMs: 60_000, ...options, env: { ...this.hostEnv(n), ...options.env } });
  }

  /** oja-control-plane (built) in the root netns, listening on the bridge address. */
  async startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
    assertBuilt(CONTROL_PLANE_BIN);
    const httpAddress = `${BRIDGE_ADDRESS}:${options.httpPort ?? (await freePort(BRIDGE_ADDRESS))}`;
    const grpcAddress = `${BRIDGE_ADDRESS}:${options.grpcPort ?? (await freePort(BRIDGE_ADDRESS))}`;
    const child = this.spawnRecorded(process.execPath, [CONTROL_PLANE_BIN], Stage.Workload, 'control-plane', {
      env: { ...process.env, ...options.env, OJA_HTTP_ADDR: httpAddress, OJA_GRPC_ADDR: grpcAddress },
      log: `${RUN_DIR}/control-plane.log`,
    });
    const httpUrl = `http://${httpAddress}`;
    await waitFor('control plane /healthz', async () => {
      if (child.exitCode !== null) throw new GiveUp(`control plane exited (${child.exitCode}); see ${RUN_DIR}/control-plane.log`);
      return (await httpStatus(`${httpUrl}/healthz`)) === 200;
    }, 60_000);
    return { process: child, httpUrl, grpcAddress };
  }

  /** oja-agent (built) on host N, advertising the host's underlay address. */
  startAgent(n: number, options: AgentOptions = {}): ChildProcess {
    assertBuilt(AGENT_BIN);
    const args = ['--name', options.name ?? hostName(n), '--advertise-address', hostAddress(n)];
    args.push('--data-dir', options.dataDir ?? `${hostPaths(n).lib}/agent`);
    if (options.join !== undefined) args.push('--join', options.join);
    if (options.token !== undefined) args.push('--token', options.token);
    const child = this.spawn(n, AGENT_BIN, [...args, ...(options.args ?? [])], { env: options.env, log: `${hostPaths(n).logs}/agent.log` });
    this.agents.set(n, child);
    return child;
  }

  async killAgent(n: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const agent = this.agents.get(n);
    if (!agent?.pid) throw new Error(`no agent started on host ${n}`);
    await killAndWait(agent.pid, signal);
    this.agents.delete(n);
  }

  /** Cuts host N off the underlay (its veth down): no control plane, registry or peers. */
  async partition(n: number): Promise<void> {
    await sh('ip', ['link', 'set', 'dev', vethName(n), 'down']);
  }

  async heal(n: number): Promise<void> {
    await sh('ip', ['link', 'set', 'dev', vethName(n), 'up']);
  }

  async killDockerd(n: number): Promise<void> {
    const pid = this.dockerd.get(n);
    if (pid === undefined) throw new Error(`no dockerd on host ${n}`);
    await killAndWait(pid, 'SIGKILL');
    this.dockerd.delete(n);
  }

  /** Starts host N's dockerd again (after killDockerd), into the same containerd's namespaces. */
  async restartDockerd(n: number): Promise<void> {
    if (this.dockerd.has(n) && isAlive(this.dockerd.get(n) as number)) throw new Error(`dockerd on host ${n} is running`);
    await this.startDockerd(n);
  }

  /**
   * Stops everything this lab (or a crashed earlier one) started and removes its resources.
   * `keepLock` keeps other runs waiting, e.g. to check that the machine is clean afterwards
   * (then call releaseLab() from ./ownership).
   */
  async down(options: { keepLock?: boolean } = {}): Promise<void> {
    process.removeListener('exit', this.exitHandler);
    this.isDown = true;
    if (options.keepLock) removeLabResources();
    else teardownLab();
  }

  private async create(): Promise<void> {
    for (const dir of [RUN_DIR, LIB_DIR, '/run/netns', '/run/wireguard', '/run/oja']) mkdirSync(dir, { recursive: true });
    await sh('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
    await sh('ip', ['address', 'add', `${BRIDGE_ADDRESS}/24`, 'dev', BRIDGE]);
    await sh('ip', ['link', 'set', 'dev', BRIDGE, 'up']);
    // a dockerd in the root netns sets FORWARD policy DROP, and with br_netfilter bridged
    // host<->host traffic goes through FORWARD: admit it explicitly
    await sh('iptables', ['-I', 'FORWARD', '-i', BRIDGE, '-o', BRIDGE, '-j', 'ACCEPT']);
    const hosts = Array.from({ length: this.hosts }, (_, i) => i + 1);
    const docker = this.options.docker !== false;
    // allSettled: on a failure, let the other hosts' steps finish before teardown runs, so none
    // of them creates something after it
    const results = await Promise.allSettled([
      ...hosts.map((n) => this.createHost(n, docker)),
      ...(this.options.registry ?? docker ? [this.startRegistry()] : []),
    ]);
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
    if (docker) await this.loadBaseImage(hosts);
  }

  private async createHost(n: number, docker: boolean): Promise<void> {
    const ns = hostName(n);
    const paths = hostPaths(n);
    for (const dir of [paths.wireguardRun, paths.ojaRun, paths.dockerConfig, paths.logs, paths.lib]) mkdirSync(dir, { recursive: true });
    await sh('ip', ['netns', 'add', ns]);
    await sh('ip', ['link', 'add', vethName(n), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    await sh('ip', ['link', 'set', 'dev', vethName(n), 'master', BRIDGE, 'up']);
    await sh('ip', ['-n', ns, 'link', 'set', 'dev', 'lo', 'up']);
    await sh('ip', ['-n', ns, 'address', 'add', `${hostAddress(n)}/24`, 'dev', 'eth0']);
    await sh('ip', ['-n', ns, 'link', 'set', 'dev', 'eth0', 'up']);
    await sh('ip', ['-n', ns, 'route', 'add', 'default', 'via', BRIDGE_ADDRESS]);
    if (!docker) return;
    await this.startContainerd(n);
    await this.startDockerd(n);
  }

  private async startContainerd(n: number): Promise<void> {
    const paths = hostPaths(n);
    const config = `${paths.run}/containerd.toml`;
    writeFileSync(
      config,
      [
        'version = 2',
        `root = "${paths.lib}/containerd"`,
        `state = "${paths.containerdState}"`,
        // Debian's default enables CRI, which we neither need nor want probing the host
        'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
        '[grpc]',
        `  address = "${paths.containerdSocket}"`,
        '[ttrpc]',
        `  address = "${paths.containerdSocket}.ttrpc"`,
      ].join('\n') + '\n',
    );
    // nsenter + unshare, not `ip netns exec` (which remounts /sys and hides the cgroup mounts);
    // a private slave mount ns makes the daemons' mounts vanish with them
    const child = this.spawnRecorded(
      'nsenter',
      [`--net=/run/netns/${hostName(n)}`, 'unshare', '--mount', '--propagation', 'slave', '--uts', 'sh', '-c', 'hostname "$0" && exec containerd --config "$1"', hostName(n), config],
      Stage.Containerd,
      `${hostName(n)}-containerd`,
      { env: process.env, log: `${paths.logs}/containerd.log` },
    );
    const pid = child.pid as number;
    // join only once the pid IS containerd (namespaces final) and it serves
    await waitFor(`containerd on ${hostName(n)}`, () => {
      if (!isAlive(pid)) throw new GiveUp(`containerd exited; see ${paths.logs}/containerd.log`);
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'containerd' && existsSync(paths.containerdSocket);
    });
    this.containerd.set(n, pid);
  }

  private async startDockerd(n: number): Promise<void> {
    const paths = hostPaths(n);
    const containerd = this.containerd.get(n);
    if (containerd === undefined || !isAlive(containerd)) throw new Error(`containerd of host ${n} is not running`);
    // dockerd 20.10 derives the engine ID from a key file, /etc/docker/key.json unless told otherwise
    writeFileSync(`${paths.run}/daemon.json`, JSON.stringify({ 'deprecated-key-path': `${paths.lib}/docker-key.json` }));
    const args = [
      '-t', String(containerd), '--mount', '--net', '--uts', 'dockerd',
      '--host', paths.dockerHost,
      '--data-root', `${paths.lib}/docker`,
      '--exec-root', `${paths.run}/exec`,
      '--pidfile', `${paths.run}/docker.pid`,
      '--containerd', paths.containerdSocket,
      '--config-file', `${paths.run}/daemon.json`,
      '--storage-driver', 'overlay2',
      '--bip', dockerBridgeCidr(n),
      '--mtu', String(MTU),
      '--iptables=true',
      '--cgroup-parent', cgroupParent(n),
      '--insecure-registry', REGISTRY_ADDRESS,
      '--log-level', 'warn',
      ...(this.options.dockerdArgs ?? []),
    ];
    // joined into containerd's mount ns: dockerd mounts each rootfs that runc must then see
    const child = this.spawnRecorded('nsenter', args, Stage.Dockerd, `${hostName(n)}-dockerd`, { env: process.env, log: `${paths.logs}/dockerd.log` });
    const pid = child.pid as number;
    this.dockerd.set(n, pid);
    await waitFor(`dockerd on ${hostName(n)}`, async () => {
      if (!isAlive(pid)) throw new GiveUp(`dockerd exited; see ${paths.logs}/dockerd.log`);
      return (await httpStatus('http://docker/_ping', paths.dockerSocket)) === 200;
    });
  }

  private async startRegistry(): Promise<void> {
    const dir = `${LIB_DIR}/registry`;
    mkdirSync(`${dir}/data`, { recursive: true });
    const { stdout } = await sh('htpasswd', ['-Bbn', REGISTRY_USER, REGISTRY_PASSWORD]);
    writeFileSync(`${dir}/htpasswd`, stdout);
    writeFileSync(
      `${dir}/config.yml`,
      [
        'version: 0.1',
        'log: {level: warn}',
        `storage: {filesystem: {rootdirectory: ${dir}/data}, delete: {enabled: true}}`,
        `http: {addr: "${REGISTRY_ADDRESS}", secret: oja-testlab-secret}`,
        `auth: {htpasswd: {realm: oja-testlab, path: ${dir}/htpasswd}}`,
      ].join('\n') + '\n',
    );
    const child = this.spawnRecorded('docker-registry', ['serve', `${dir}/config.yml`], Stage.Registry, 'registry', {
      env: process.env,
      log: `${RUN_DIR}/registry.log`,
    });
    await waitFor('registry', () => {
      if (!isAlive(child.pid as number)) throw new GiveUp(`registry exited; see ${RUN_DIR}/registry.log`);
      return tcpOpen(BRIDGE_ADDRESS, 5000);
    });
  }

  /** Built once on host 1, then save/load, so every host has the same image ID. */
  private async loadBaseImage(hosts: number[]): Promise<void> {
    const tarball = `${LIB_DIR}/busybox-image.tar`;
    await buildBaseImage((args) => this.docker(1, args), `${LIB_DIR}/image-build`);
    await this.docker(1, ['save', '-o', tarball, IMAGE]);
    await Promise.all(hosts.filter((n) => n !== 1).map((n) => this.docker(n, ['load', '-q', '-i', tarball])));
  }

  private hostEnv(n: number): NodeJS.ProcessEnv {
    const paths = hostPaths(n);
    return { ...process.env, DOCKER_HOST: paths.dockerHost, DOCKER_CONFIG: paths.dockerConfig, OJA_LAB_HOST: hostName(n) };
  }

  /** argv that runs `cmd args` on host N (see spawn). */
  private onHost(n: number, cmd: string, args: readonly string[]): [string, string[]] {
    const paths = hostPaths(n);
    if (!existsSync(`/run/netns/${hostName(n)}`)) throw new Error(`no lab host ${n}`);
    return [
      'nsenter',
      [
        `--net=/run/netns/${hostName(n)}`, 'unshare', '--mount', '--propagation', 'slave', '--uts',
        'sh', '-c', 'hostname "$0" && mount --bind "$1" /run/wireguard && mount --bind "$2" /run/oja && shift 2 && exec "$@"',
        hostName(n), paths.wireguardRun, paths.ojaRun, cmd, ...args,
      ],
    ];
  }

  private spawnRecorded(cmd: string, args: string[], stage: Stage, label: string, options: { env: NodeJS.ProcessEnv; log: string }): ChildProcess {
    if (this.isDown) throw new Error('the lab is down');
    const log = openSync(options.log, 'a');
    const child = spawn(cmd, args, { env: options.env, stdio: ['ignore', log, log] });
    closeSync(log);
    if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
    recordProcess(child.pid, stage, label);
    const pid = child.pid;
    child.once('exit', () => forgetProcess(pid));
    return child;
  }
}

function sh(cmd: string, args: readonly string[]): Promise<CommandOutput> {
  return execFileRunner.run(cmd, args, { timeoutMs: 30_000 });
}

async function assertTools(tools: string[]): Promise<void> {
  const missing: string[] = [];
  for (const tool of tools) {
    try {
      await sh('sh', ['-c', `command -v ${tool}`]);
    } catch {
      missing.push(tool);
    }
  }
  if (missing.length > 0) {
    throw new Error(`lab needs ${missing.join(', ')}: apt-get install -y docker.io wireguard-tools wireguard-go iproute2 iptables busybox-static docker-registry apache2-utils`);
  }
}

function assertBuilt(bin: string): void {
  const main = resolve(bin, '../../dist/main.js');
  if (!existsSync(bin) || !existsSync(main)) throw new Error(`${bin} is not built (missing ${main}); run npx nx run-many -t build`);
}

async function killAndWait(pid: number, signal: NodeJS.Signals): Promise<void> {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
  await waitFor(`pid ${pid} to exit`, () => !isAlive(pid));
}

function httpStatus(url: string, socketPath?: string): Promise<number> {
  return new Promise((done, fail) => {
    const req = request(url, { socketPath, timeout: 2000 }, (res) => {
      res.resume();
      done(res.statusCode ?? 0);
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', fail);
    req.end();
  });
}

function freePort(host: string): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, host, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => done(port));
    });
  });
}

function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host, port, timeout: 1000 }, () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
    socket.once('timeout', () => {
      socket.destroy();
      done(false);
    });
  });
}
