import type { OverlayPlan } from './address-plan';
import { OVERLAY_BRIDGE, OVERLAY_INTERFACE } from './address-plan';

/** One iptables rule as arguments after `-A <chain>`. */
export type Rule = readonly string[];
/** Chains oja owns in one table, each rewritten whole (and atomically) on every apply. */
export type OwnedChains = Record<string, readonly Rule[]>;

/** A jump from a chain the system owns (Docker's DOCKER-USER, the nat POSTROUTING) into one of ours. */
export interface Hook {
  table: 'filter' | 'nat';
  from: string;
  to: string;
}

export const FORWARD_CHAIN = 'OJA-FORWARD';
export const POSTROUTING_CHAIN = 'OJA-POSTROUTING';
export const ISOLATION_CHAIN = 'OJA-ISOLATION';

/** Inserted first in their parent chains; everything else lives in our own chains, so re-applying never duplicates. */
export const HOOKS: readonly Hook[] = [
  { table: 'filter', from: 'DOCKER-USER', to: FORWARD_CHAIN },
  { table: 'nat', from: 'POSTROUTING', to: POSTROUTING_CHAIN },
];

/**
 * Forwarding between the overlay and the bridge. Docker's FORWARD policy is DROP and it knows nothing of oja0, so
 * traffic from peers to local containers and from anywhere into the overlay is accepted here — after tenant
 * isolation has had its say (its chain DROPs what it refuses and RETURNs the rest).
 */
export function filterChains(): OwnedChains {
  return {
    [FORWARD_CHAIN]: [
      ['-j', ISOLATION_CHAIN],
      ['-i', OVERLAY_INTERFACE, '-o', OVERLAY_BRIDGE, '-j', 'ACCEPT'],
      ['-o', OVERLAY_INTERFACE, '-j', 'ACCEPT'],
      ['-i', OVERLAY_INTERFACE, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'],
    ],
  };
}

/**
 * NAT: never between overlay addresses (containers keep their source across hosts; peers' allowed IPs check it).
 * Sources outside the pool entering oja0 (a host process, traffic DNAT'd from the underlay) take the node's overlay
 * address, else the peer would drop them; containers going anywhere but the overlay are masqueraded as usual.
 */
export function natChains(plan: OverlayPlan): OwnedChains {
  return {
    [POSTROUTING_CHAIN]: [
      ['-o', OVERLAY_INTERFACE, '!', '-s', plan.pool, '-j', 'MASQUERADE'],
      ['-s', plan.subnet, '!', '-d', plan.pool, '!', '-o', OVERLAY_BRIDGE, '-j', 'MASQUERADE'],
    ],
  };
}

/**
 * Input for `iptables-restore --noflush`: each declared chain is created if missing and flushed, then refilled, in
 * one transaction; chains not named are left alone.
 */
export function restoreInput(table: string, chains: OwnedChains): string {
  const lines = [`*${table}`];
  for (const chain of Object.keys(chains)) lines.push(`:${chain} - [0:0]`);
  for (const [chain, rules] of Object.entries(chains)) for (const rule of rules) lines.push(['-A', chain, ...rule].join(' '));
  lines.push('COMMIT', '');
  return lines.join('\n');
}
