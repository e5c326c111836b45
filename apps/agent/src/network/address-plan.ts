import { canonicalCidr } from '@oja/wireguard';

/**
 * The overlay address plan of one node. The control plane gives every node a /24 (`subnet`) of the pool
 * (`pool`, 10.42.0.0/16 by default):
 *
 * - the Docker network `oja` (bridge interface `ojabr0`) is that /24, its gateway the first host address (.1);
 * - the WireGuard interface `oja0` carries the same .1 as a /32, so traffic the host itself sends into the overlay
 *   leaves with an address inside the node's /24, which is what peers' allowed IPs accept;
 * - the whole pool is routed into `oja0`; the node's own /24 is more specific and stays on the bridge.
 *
 * No separate range for WireGuard addresses is needed: every node's overlay address is its subnet's .1.
 */
export interface OverlayPlan {
  subnet: string;
  pool: string;
  /** The node's overlay address: gateway of `oja`, and oja0's /32. */
  gateway: string;
}

export const OVERLAY_INTERFACE = 'oja0';
export const OVERLAY_BRIDGE = 'ojabr0';
export const OVERLAY_NETWORK = 'oja';
export const DEFAULT_WG_PORT = 51820;
export const OVERLAY_MTU = 1420;

/** Validates what Registered carried and derives the node's addresses. Pure. */
export function overlayPlan(subnet: string, pool: string): OverlayPlan {
  const [address, prefix] = subnet.split('/');
  if (prefix !== '24' || canonicalCidr(subnet) !== subnet) throw new Error(`overlay subnet "${subnet}" is not a /24 network`);
  const poolPrefix = Number(pool.split('/')[1]);
  if (!(poolPrefix >= 8 && poolPrefix <= 24) || canonicalCidr(pool) !== pool) throw new Error(`overlay pool "${pool}" is not a network from /8 to /24`);
  if (canonicalCidr(`${address}/${poolPrefix}`) !== pool) throw new Error(`overlay subnet ${subnet} is outside the pool ${pool}`);
  return { subnet, pool, gateway: gatewayOf(subnet) };
}

/** First host address of a network: `10.42.3.0/24` → `10.42.3.1`. */
export function gatewayOf(subnet: string): string {
  const octets = subnet.split('/')[0].split('.').map(Number);
  return [...octets.slice(0, 3), octets[3] + 1].join('.');
}
