import { parseDump, type InterfaceDump } from './dump';
import { loadOrCreatePrivateKey } from './keys';
import { diffPeers, isEmptyDiff, peerSetArgs, type DesiredPeer, type PeerDiff } from './peers';
import { CommandError, execFileRunner, type CommandRunner, type SpawnedProcess } from './runner';

export interface InterfaceConfig {
  name: string;
  /** CIDR of the interface itself, e.g. `10.43.0.3/24`; other addresses on it are removed. */
  address: string;
  mtu?: number;
  listenPort: number;
  /** Created (0600) if missing, see {@link loadOrCreatePrivateKey}. */
  privateKeyPath: string;
  /** Extra routes through the interface, e.g. the whole overlay pool (`ip route replace`). */
  routes?: readonly string[];
}

export type Implementation = 'kernel' | 'userspace';

export interface InterfaceHandle {
  name: string;
  implementation: Implementation;
  publicKey: string;
  /** True when this call created the link (a fresh one, or replacing a broken leftover). */
  created: boolean;
  /**
   * The wireguard-go process when this instance started it; undefined for kernel links and for a
   * healthy userspace link found already running (e.g. started before an agent restart).
   */
  process?: SpawnedProcess;
}

export interface WireGuardOptions {
  /** 'auto' (default): kernel link type if the module is there, else wireguard-go. */
  implementation?: 'auto' | Implementation;
  wireguardGo?: string;
  /** wireguard-go output goes here (appended) instead of a pipe, so it survives our exit. */
  wireguardGoLog?: string;
  /** How long wireguard-go may take until `wg` can talk to it; default 5 s. */
  startTimeoutMs?: number;
}

export const DEFAULT_MTU = 1420;
const POLL_MS = 50;

/**
 * A host's WireGuard interfaces driven through `ip`, `wg` and `wireguard-go`. Every method is
 * safe to re-run: it converges on the requested state instead of failing on what is already there.
 */
export class WireGuard {
  private readonly started = new Map<string, SpawnedProcess>();

  constructor(
    private readonly runner: CommandRunner = execFileRunner,
    private readonly options: WireGuardOptions = {},
  ) {}

  async ensureInterface(config: InterfaceConfig): Promise<InterfaceHandle> {
    const { name } = config;
    const keys = await loadOrCreatePrivateKey(config.privateKeyPath);
    let link = await this.linkKind(name);
    let created = false;
    if (link !== undefined && !(await this.isHealthy(name, link))) {
      // a leftover we cannot drive (wrong type, or a tun whose wireguard-go is gone): replace it
      await this.deleteLink(name);
      link = undefined;
    }
    if (link === undefined) {
      link = await this.createLink(name);
      created = true;
    }
    await this.runner.run('wg', ['set', name, 'listen-port', String(config.listenPort), 'private-key', config.privateKeyPath]);
    await this.setAddress(name, config.address);
    await this.runner.run('ip', ['link', 'set', 'dev', name, 'mtu', String(config.mtu ?? DEFAULT_MTU), 'up']);
    for (const route of config.routes ?? []) await this.runner.run('ip', ['route', 'replace', route, 'dev', name]);
    const process = this.started.get(name);
    return {
      name,
      implementation: link === 'wireguard' ? 'kernel' : 'userspace',
      publicKey: keys.publicKey,
      created,
      ...(process ? { process } : {}),
    };
  }

  async dump(name: string): Promise<InterfaceDump> {
    return parseDump((await this.runner.run('wg', ['show', name, 'dump'])).stdout);
  }

  /** Makes the interface's peers exactly `desired`; returns what it changed. */
  async applyPeers(name: string, desired: readonly DesiredPeer[]): Promise<PeerDiff> {
    const diff = diffPeers((await this.dump(name)).peers, desired);
    if (!isEmptyDiff(diff)) await this.runner.run('wg', peerSetArgs(name, diff));
    return diff;
  }

  /** Deletes the link (absent is fine) and stops the wireguard-go this instance started for it. */
  async removeInterface(name: string): Promise<void> {
    await this.deleteLink(name);
    const process = this.started.get(name);
    if (process) {
      this.started.delete(name);
      process.kill('SIGTERM');
      await process.exited;
    }
  }

  /** `info_kind` of the link (`wireguard`, `tun`, ...), '' if it has none, undefined if absent. */
  private async linkKind(name: string): Promise<string | undefined> {
    try {
      const { stdout } = await this.runner.run('ip', ['-json', '-details', 'link', 'show', 'dev', name]);
      const [link] = JSON.parse(stdout) as { linkinfo?: { info_kind?: string } }[];
      return link?.linkinfo?.info_kind ?? '';
    } catch (error) {
      if (error instanceof CommandError && /does not exist/i.test(error.stderr)) return undefined;
      throw error;
    }
  }

  private async isHealthy(name: string, kind: string): Promise<boolean> {
    if (kind !== 'wireguard' && kind !== 'tun') return false;
    return this.answers(name);
  }

  /** True when `wg` can read the device (kernel link, or a live wireguard-go UAPI socket). */
  private async answers(name: string): Promise<boolean> {
    try {
      await this.runner.run('wg', ['show', name, 'public-key']);
      return true;
    } catch (error) {
      if (error instanceof CommandError) return false;
      throw error;
    }
  }

  private async createLink(name: string): Promise<string> {
    const mode = this.options.implementation ?? 'auto';
    if (mode !== 'userspace') {
      try {
        await this.runner.run('ip', ['link', 'add', 'dev', name, 'type', 'wireguard']);
        return 'wireguard';
      } catch (error) {
        // no kernel module ("Unknown device type"): fall back unless the kernel was demanded
        if (mode === 'kernel' || !(error instanceof CommandError)) throw error;
      }
    }
    await this.startWireguardGo(name);
    return 'tun';
  }

  private async startWireguardGo(name: string): Promise<void> {
    // -f: stay in the foreground, so the pid we hold is the daemon's (it forks otherwise)
    const process = await this.runner.spawn(this.options.wireguardGo ?? 'wireguard-go', ['-f', name], {
      ...(this.options.wireguardGoLog ? { logPath: this.options.wireguardGoLog } : {}),
    });
    let exited = false;
    void process.exited.then(() => {
      exited = true;
      if (this.started.get(name) === process) this.started.delete(name);
    });
    const deadline = Date.now() + (this.options.startTimeoutMs ?? 5000);
    while (!(await this.answers(name))) {
      if (exited) throw new Error(`wireguard-go -f ${name} exited before it was ready: ${process.output().trim()}`);
      if (Date.now() > deadline) {
        process.kill('SIGKILL');
        throw new Error(`wireguard-go -f ${name} did not open its UAPI socket in time: ${process.output().trim()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    this.started.set(name, process);
  }

  private async deleteLink(name: string): Promise<void> {
    try {
      await this.runner.run('ip', ['link', 'del', 'dev', name]);
    } catch (error) {
      if (!(error instanceof CommandError && /cannot find device|does not exist/i.test(error.stderr))) throw error;
    }
  }

  private async setAddress(name: string, address: string): Promise<void> {
    const { stdout } = await this.runner.run('ip', ['-json', 'address', 'show', 'dev', name]);
    const [link] = JSON.parse(stdout || '[]') as { addr_info?: { local: string; prefixlen: number; scope?: string }[] }[];
    for (const info of link?.addr_info ?? []) {
      const cidr = `${info.local}/${info.prefixlen}`;
      // keep kernel-assigned IPv6 link-local addresses; drop an overlay address from an earlier config
      if (cidr !== address && info.scope !== 'link') await this.runner.run('ip', ['address', 'del', cidr, 'dev', name]);
    }
    await this.runner.run('ip', ['address', 'replace', address, 'dev', name]);
  }
}
