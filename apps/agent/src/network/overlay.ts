import type Docker from 'dockerode';
import type { Peer } from '@oja/proto';
import { execFileRunner, isWireGuardKey, loadOrCreatePrivateKey, WireGuard, type CommandRunner, type DesiredPeer, type InterfaceDump } from '@oja/wireguard';
import { accessSync, constants } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { Logger } from 'pino';
import { gatewayOf, OVERLAY_INTERFACE, OVERLAY_MTU, OVERLAY_NETWORK, overlayPlan, type OverlayPlan } from './address-plan';
import { ensureOverlayNetwork, removeOverlayNetwork } from './docker-network';
import { filterChains, HOOKS, ISOLATION_CHAIN, natChains } from './firewall';
import { Iptables } from './iptables';
import { TenantIsolation, type TenantAddresses } from './isolation';

/** What Registered tells a node about the overlay (see connection/ClusterView). */
export interface OverlayView {
  overlaySubnet: string;
  overlayCidr: string;
  peers: Peer[];
}

export interface OverlayOptions {
  /** The agent's data dir: WireGuard key (0600) and the last overlay state live there. */
  dataDir: string;
  listenPort: number;
  docker: Docker;
  log: Logger;
  runner?: CommandRunner;
  /** The sysctl file turning on iptables for bridged traffic (tests point it elsewhere). */
  bridgeNfCallIptables?: string;
  /** Delay before a failed bring-up is tried again; default 5 s. */
  retryMs?: number;
}

/** Saved after every change so a restarted agent brings the same overlay up before it reaches the control plane. */
interface SavedOverlay {
  subnet: string;
  pool: string;
  peers: Peer[];
  tenants: TenantAddresses[];
}

export const KEY_FILE = 'wireguard.key';
const STATE_FILE = 'overlay.json';
const REQUIRED_TOOLS = ['ip', 'wg', 'iptables', 'iptables-restore', 'ipset'];
/** Keeps NAT/conntrack state on the path warm and handshakes fresh (the handshake-age metric stays meaningful). */
const KEEPALIVE_SECONDS = 25;
/** Same-bridge traffic reaches iptables (and tenant isolation) only with this on, in the host's netns. */
const UP_RETRY_MS = 5000;
/** wireguard-go may take a while to open its socket on a busy host. */
const WIREGUARD_GO_START_TIMEOUT_MS = 15_000;
const BRIDGE_NF_CALL_IPTABLES = '/proc/sys/net/bridge/bridge-nf-call-iptables';

/** WireGuard peers from the control plane's list; entries without a usable key or subnet are skipped. Pure. */
export function desiredPeers(peers: readonly Peer[]): DesiredPeer[] {
  return peers
    .filter((p) => isWireGuardKey(p.publicKey) && p.allowedIps.length > 0)
    .map((p) => ({
      publicKey: p.publicKey,
      ...(p.endpoint.includes(':') ? { endpoint: p.endpoint } : {}),
      allowedIps: [...p.allowedIps],
      persistentKeepalive: KEEPALIVE_SECONDS,
    }));
}

/** Overlay addresses of all nodes (own and peers' subnet gateways): they may open connections to any container. Pure. */
export function nodeAddresses(plan: OverlayPlan, peers: readonly Peer[]): string[] {
  return [plan.gateway, ...peers.flatMap((p) => p.allowedIps.filter((cidr) => cidr.endsWith('/24')).map(gatewayOf))];
}

/** Names missing from PATH among `tools`. */
export function missingTools(tools: readonly string[], path = process.env.PATH ?? ''): string[] {
  const dirs = path.split(delimiter).filter(Boolean);
  const found = (tool: string) =>
    dirs.some((dir) => {
      try {
        accessSync(join(dir, tool), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  return tools.filter((tool) => !found(tool));
}

/**
 * The node's side of the overlay: the Docker network `oja` on the node's /24, the WireGuard interface `oja0`
 * (kernel, else wireguard-go) peered with every other node, the forwarding/NAT rules and tenant isolation.
 * Every change is idempotent and runs one at a time, in arrival order.
 */
export class Overlay {
  private readonly wireguard: WireGuard;
  private readonly iptables: Iptables;
  private readonly isolation: TenantIsolation;
  private queue: Promise<unknown> = Promise.resolve();
  private ready: Promise<string | undefined> = Promise.resolve(undefined);
  private plan: OverlayPlan | undefined;
  private peers: Peer[] = [];
  private tenants: TenantAddresses[] = [];
  private view: OverlayView | undefined;
  private retry: NodeJS.Timeout | undefined;
  /** Set once the Docker network exists: from then on instances attach to it even if a later re-apply fails. */
  private networkUp = false;

  private constructor(
    private readonly options: OverlayOptions,
    readonly publicKey: string,
  ) {
    const runner = options.runner ?? execFileRunner;
    this.wireguard = new WireGuard(runner, { wireguardGoLog: join(options.dataDir, 'wireguard-go.log'), startTimeoutMs: WIREGUARD_GO_START_TIMEOUT_MS });
    this.iptables = new Iptables(runner);
    this.isolation = new TenantIsolation(runner, this.iptables);
  }

  /**
   * The overlay of this node, or undefined (logged) when the host lacks the tools: the agent then runs without it
   * and its containers use the engine's default bridge, which is enough on a single host.
   */
  static async create(options: OverlayOptions): Promise<Overlay | undefined> {
    const missing = missingTools(REQUIRED_TOOLS);
    if (missing.length > 0) {
      options.log.error({ missing }, 'overlay disabled: required tools are not installed; containers use the default bridge and cannot reach other nodes');
      return undefined;
    }
    const keys = await loadOrCreatePrivateKey(join(options.dataDir, KEY_FILE));
    return new Overlay(options, keys.publicKey);
  }

  get listenPort(): number {
    return this.options.listenPort;
  }

  /** The Docker network for instances once the overlay is up; waits for a bring-up in progress. */
  network(): Promise<string | undefined> {
    return this.ready;
  }

  /** Brings up the overlay saved by the previous run, if any (before the control plane is reachable). */
  async restore(): Promise<void> {
    const saved = await this.loadSaved();
    if (!saved) return;
    this.tenants = saved.tenants;
    await this.up({ overlaySubnet: saved.subnet, overlayCidr: saved.pool, peers: saved.peers });
  }

  /** Applies Registered: network, interface, rules and peers for the node's subnet. */
  up(view: OverlayView): Promise<string | undefined> {
    this.view = view;
    clearTimeout(this.retry);
    this.ready = this.enqueue('overlay up', async () => {
      try {
        await this.bringUp(view);
      } catch (err) {
        // e.g. wireguard-go slow to start on a loaded host: try again unless a newer Registered came meanwhile
        if (this.view === view) this.retry = setTimeout(() => void this.up(view), this.options.retryMs ?? UP_RETRY_MS).unref();
        throw err;
      }
    }).then(() => (this.networkUp ? OVERLAY_NETWORK : undefined));
    return this.ready;
  }

  private async bringUp(view: OverlayView): Promise<void> {
    const plan = overlayPlan(view.overlaySubnet, view.overlayCidr);
    await ensureOverlayNetwork(this.options.docker, plan);
    this.networkUp = true;
    const handle = await this.wireguard.ensureInterface({
      name: OVERLAY_INTERFACE,
      address: `${plan.gateway}/32`,
      mtu: OVERLAY_MTU,
      listenPort: this.options.listenPort,
      privateKeyPath: join(this.options.dataDir, KEY_FILE),
      routes: [plan.pool],
    });
    await writeFile(this.options.bridgeNfCallIptables ?? BRIDGE_NF_CALL_IPTABLES, '1').catch((err: Error) =>
      this.options.log.warn({ err: err.message }, 'cannot enable bridge-nf-call-iptables: containers on this node are not isolated from each other'),
    );
    this.plan = plan;
    this.peers = view.peers;
    await this.applyRules(plan);
    await this.applyPeers();
    await this.save();
    this.options.log.info(
      { subnet: plan.subnet, address: plan.gateway, implementation: handle.implementation, peers: this.peers.length },
      'overlay up',
    );
  }

  /** Applies a Peers message: adds, updates and removes WireGuard peers (and the nodes' addresses in isolation). */
  setPeers(peers: Peer[]): Promise<void> {
    return this.enqueue('peers', async () => {
      this.peers = peers;
      if (!this.plan) return;
      await this.applyPeers();
      await this.isolation.apply(this.tenants, nodeAddresses(this.plan, this.peers), this.plan.pool);
      await this.save();
    });
  }

  /** Applies a TenantAddresses message to the isolation sets. */
  setTenantAddresses(tenants: TenantAddresses[]): Promise<void> {
    return this.enqueue('tenant addresses', async () => {
      this.tenants = tenants;
      if (!this.plan) return;
      await this.isolation.apply(this.tenants, nodeAddresses(this.plan, this.peers), this.plan.pool);
      await this.save();
    });
  }

  /** `wg show oja0 dump` with the node name of each peer's key, for metrics; undefined while the overlay is down. */
  async status(): Promise<{ dump: InterfaceDump; names: Map<string, string> } | undefined> {
    if (!this.plan) return undefined;
    return { dump: await this.wireguard.dump(OVERLAY_INTERFACE), names: new Map(this.peers.map((p) => [p.publicKey, p.nodeName])) };
  }

  /** Clean removal of the node: rules, sets, interface, network and saved state go; the key stays. */
  remove(): Promise<void> {
    this.view = undefined;
    clearTimeout(this.retry);
    return this.enqueue('overlay removal', async () => {
      for (const hook of HOOKS) await this.iptables.removeHookAndChain(hook);
      await this.isolation.remove();
      await this.iptables.deleteChain('filter', ISOLATION_CHAIN);
      await this.wireguard.removeInterface(OVERLAY_INTERFACE);
      await removeOverlayNetwork(this.options.docker);
      await rm(join(this.options.dataDir, STATE_FILE), { force: true });
      this.plan = undefined;
      this.networkUp = false;
      this.ready = Promise.resolve(undefined);
    });
  }

  private async applyRules(plan: OverlayPlan): Promise<void> {
    // isolation first: the forward chain jumps into it, and its sets must exist before rules name them
    await this.isolation.apply(this.tenants, nodeAddresses(plan, this.peers), plan.pool);
    await this.iptables.restore('filter', filterChains());
    await this.iptables.restore('nat', natChains(plan));
    for (const hook of HOOKS) await this.iptables.ensureHook(hook);
  }

  private async applyPeers(): Promise<void> {
    const diff = await this.wireguard.applyPeers(OVERLAY_INTERFACE, desiredPeers(this.peers));
    if (diff.add.length + diff.update.length + diff.remove.length > 0) {
      this.options.log.info({ added: diff.add.length, updated: diff.update.length, removed: diff.remove.length }, 'overlay peers changed');
    }
  }

  private async save(): Promise<void> {
    if (!this.plan) return;
    const saved: SavedOverlay = { subnet: this.plan.subnet, pool: this.plan.pool, peers: this.peers, tenants: this.tenants };
    await writeFile(join(this.options.dataDir, STATE_FILE), JSON.stringify(saved) + '\n', { mode: 0o600 });
  }

  private async loadSaved(): Promise<SavedOverlay | undefined> {
    try {
      return JSON.parse(await readFile(join(this.options.dataDir, STATE_FILE), 'utf8')) as SavedOverlay;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      this.options.log.warn({ err: (err as Error).message }, 'saved overlay state unreadable; waiting for the control plane');
      return undefined;
    }
  }

  /** Runs `work` after everything queued before it; a failure is logged and does not stop later work. */
  private enqueue(what: string, work: () => Promise<void>): Promise<void> {
    const next = this.queue.then(work).catch((err: Error) => this.options.log.error({ err: err.message }, `${what} failed`));
    this.queue = next;
    return next;
  }
}
