import type { PeerDump } from './dump';
import { isWireGuardKey } from './keys';

/** A peer as the caller wants it configured. */
export interface DesiredPeer {
  publicKey: string;
  /** `host:port`; omit to leave the endpoint to roaming (never counts as a change). */
  endpoint?: string;
  allowedIps: readonly string[];
  /** Seconds; omitted or 0 = off. */
  persistentKeepalive?: number;
}

export interface PeerDiff {
  add: DesiredPeer[];
  /** Existing keys whose endpoint, allowed IPs or keepalive differ. */
  update: DesiredPeer[];
  /** Public keys configured now but not desired (stale: a removed node or a node's old key). */
  remove: string[];
}

/** What has to change to go from the peers `wg` reports to the desired ones. Pure. */
export function diffPeers(current: readonly PeerDump[], desired: readonly DesiredPeer[]): PeerDiff {
  const wanted = new Map<string, DesiredPeer>();
  for (const peer of desired) {
    if (!isWireGuardKey(peer.publicKey)) throw new Error(`invalid peer public key "${peer.publicKey}"`);
    if (wanted.has(peer.publicKey)) throw new Error(`peer ${peer.publicKey} is listed twice`);
    wanted.set(peer.publicKey, peer);
  }
  const existing = new Map(current.map((peer) => [peer.publicKey, peer]));
  const diff: PeerDiff = { add: [], update: [], remove: [] };
  for (const peer of desired) {
    const now = existing.get(peer.publicKey);
    if (now === undefined) diff.add.push(peer);
    else if (differs(now, peer)) diff.update.push(peer);
  }
  diff.remove = current.filter((peer) => !wanted.has(peer.publicKey)).map((peer) => peer.publicKey);
  return diff;
}

export function isEmptyDiff(diff: PeerDiff): boolean {
  return diff.add.length + diff.update.length + diff.remove.length === 0;
}

/**
 * Arguments of one `wg set` call applying `diff`. `allowed-ips` in `wg set` replaces the peer's
 * whole list, so updates never leave stale ranges behind.
 */
export function peerSetArgs(iface: string, diff: PeerDiff): string[] {
  const args = ['set', iface];
  for (const key of diff.remove) args.push('peer', key, 'remove');
  for (const peer of [...diff.add, ...diff.update]) {
    args.push('peer', peer.publicKey);
    if (peer.endpoint !== undefined) args.push('endpoint', peer.endpoint);
    args.push('persistent-keepalive', String(peer.persistentKeepalive ?? 0));
    args.push('allowed-ips', peer.allowedIps.join(','));
  }
  return args;
}

function differs(now: PeerDump, want: DesiredPeer): boolean {
  if (want.endpoint !== undefined && want.endpoint !== now.endpoint) return true;
  if ((want.persistentKeepalive ?? 0) !== (now.persistentKeepalive ?? 0)) return true;
  const a = now.allowedIps.map(canonicalCidr).sort();
  const b = want.allowedIps.map(canonicalCidr).sort();
  return a.length !== b.length || a.some((cidr, i) => cidr !== b[i]);
}

/**
 * The form `wg` prints an allowed IP in: host bits cleared, explicit prefix
 * (`10.42.1.7/24` → `10.42.1.0/24`, `10.43.0.2` → `10.43.0.2/32`). IPv6 is only lower-cased.
 */
export function canonicalCidr(cidr: string): string {
  const [address, prefixText] = cidr.trim().split('/');
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  if (!v4) return `${address.toLowerCase()}/${prefixText ?? '128'}`;
  const prefix = prefixText === undefined ? 32 : Number(prefixText);
  const value = v4.slice(1).reduce((acc, octet) => acc * 256 + Number(octet), 0);
  // JS bitwise ops are signed 32-bit: clear the host bits arithmetically instead
  const network = value - (value % 2 ** (32 - prefix));
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(network / 2 ** shift) % 256);
  return `${octets.join('.')}/${prefix}`;
}
