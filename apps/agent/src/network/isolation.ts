import { createHash } from 'node:crypto';
import type { CommandRunner } from '@oja/wireguard';
import { ISOLATION_CHAIN, type OwnedChains, type Rule } from './firewall';
import type { Iptables } from './iptables';

/** A tenant and the overlay addresses of its running instances on every node. */
export interface TenantAddresses {
  tenant: string;
  ips: readonly string[];
}

/** The address sets the isolation chain matches on: ipset name → members. */
export type AddressSets = ReadonlyMap<string, readonly string[]>;

export const TENANT_SET_PREFIX = 'oja-t-';
/** Overlay addresses of the nodes themselves (each subnet's .1): hosts may open connections to any container. */
export const HOSTS_SET = 'oja-hosts';
const SWAP_SET = 'oja-swap';
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** `oja-t-` + 12 hex digits of the tenant name's SHA-256: fits ipset's 31 characters whatever the name. */
export function tenantSetName(tenant: string): string {
  return TENANT_SET_PREFIX + createHash('sha256').update(tenant).digest('hex').slice(0, 12);
}

/** The sets to hold: one per tenant (duplicates merged, non-IPv4 entries dropped) plus the hosts set. Pure. */
export function addressSets(tenants: readonly TenantAddresses[], hosts: readonly string[]): AddressSets {
  const sets = new Map<string, Set<string>>([[HOSTS_SET, new Set(hosts.filter(isIpv4))]]);
  for (const { tenant, ips } of tenants) {
    const name = tenantSetName(tenant);
    const members = sets.get(name) ?? new Set<string>();
    for (const ip of ips) if (isIpv4(ip)) members.add(ip);
    sets.set(name, members);
  }
  return new Map([...sets].map(([name, members]) => [name, [...members].sort()]));
}

/**
 * The isolation chain: a packet between two overlay addresses passes only when both are in one tenant's set, or it
 * belongs to a connection already allowed, or a node started it. Anything else with both ends in the pool is dropped;
 * the rest (traffic to or from outside the overlay) returns untouched. Pure.
 */
export function isolationChain(sets: AddressSets, pool: string): OwnedChains {
  const rules: Rule[] = [
    ['-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'RETURN'],
    ['-m', 'set', '--match-set', HOSTS_SET, 'src', '-j', 'RETURN'],
  ];
  for (const name of [...sets.keys()].filter((n) => n !== HOSTS_SET).sort()) {
    rules.push(['-m', 'set', '--match-set', name, 'src', '-m', 'set', '--match-set', name, 'dst', '-j', 'RETURN']);
  }
  rules.push(['-s', pool, '-d', pool, '-j', 'DROP']);
  return { [ISOLATION_CHAIN]: rules };
}

/**
 * Input for `ipset restore`: every set is created if missing and its members replaced at once (filled under a
 * scratch name, then swapped in), so a set never passes through an empty state while rules use it. Pure.
 */
export function ipsetRestoreInput(sets: AddressSets): string {
  const lines: string[] = [];
  for (const [name, members] of sets) {
    lines.push(`create ${name} hash:ip family inet -exist`, `create ${SWAP_SET} hash:ip family inet -exist`, `flush ${SWAP_SET}`);
    for (const ip of members) lines.push(`add ${SWAP_SET} ${ip}`);
    lines.push(`swap ${SWAP_SET} ${name}`, `destroy ${SWAP_SET}`);
  }
  return lines.join('\n') + '\n';
}

/** oja's tenant sets that exist but are no longer wanted (from `ipset list -n`). Pure. */
export function staleSets(existing: readonly string[], wanted: AddressSets): string[] {
  return existing.filter((name) => name.startsWith(TENANT_SET_PREFIX) && !wanted.has(name));
}

function isIpv4(ip: string): boolean {
  const m = IPV4.exec(ip);
  return m !== null && m.slice(1).every((o) => Number(o) <= 255);
}

/**
 * Keeps this host's isolation sets and chain equal to what the control plane last said. Order matters: sets are
 * created before the chain names them, and only destroyed once the rewritten chain no longer does.
 */
export class TenantIsolation {
  constructor(
    private readonly runner: CommandRunner,
    private readonly iptables: Iptables,
  ) {}

  async apply(tenants: readonly TenantAddresses[], hosts: readonly string[], pool: string): Promise<void> {
    const sets = addressSets(tenants, hosts);
    await this.runner.run('ipset', ['restore'], { input: ipsetRestoreInput(sets) });
    await this.iptables.restore('filter', isolationChain(sets, pool));
    for (const name of staleSets(await this.existingSets(), sets)) await this.runner.run('ipset', ['destroy', name]);
  }

  /** Removes the chain's rules and every oja set (the chain itself goes with the firewall's clean-up). */
  async remove(): Promise<void> {
    await this.iptables.restore('filter', { [ISOLATION_CHAIN]: [] });
    for (const name of await this.existingSets()) {
      if (name.startsWith(TENANT_SET_PREFIX) || name === HOSTS_SET) await this.runner.run('ipset', ['destroy', name]);
    }
  }

  private async existingSets(): Promise<string[]> {
    return (await this.runner.run('ipset', ['list', '-n'])).stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  }
}

