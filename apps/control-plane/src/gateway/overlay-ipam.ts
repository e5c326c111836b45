/**
 * Overlay address management: one /24 per node out of OJA_OVERLAY_CIDR. Pure: the caller passes the
 * subnets already taken (from Postgres) and retries when the unique constraint says another replica won.
 */

export class OverlayExhaustedError extends Error {
  constructor(cidr: string, count: number) {
    super(`overlay ${cidr} has no free /24 left (all ${count} allocated)`);
  }
}

/** Parses "a.b.c.d/n" (n ≤ 24) into its network address as a number and its prefix length. */
export function parseCidr(cidr: string): { network: number; prefix: number } {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const prefix = m ? Number(m[5]) : NaN;
  if (!m || octets.some((o) => o > 255) || !(prefix >= 8 && prefix <= 24)) {
    throw new Error(`overlay CIDR "${cidr}" must be an IPv4 network with a prefix from /8 to /24`);
  }
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  return { network: address - (address % size), prefix };
}

function formatSubnet(address: number): string {
  return `${[24, 16, 8, 0].map((s) => Math.floor(address / 2 ** s) % 256).join('.')}/24`;
}

/** The lowest /24 of `cidr` not in `taken`. Throws OverlayExhaustedError when none is left. */
export function lowestFreeSubnet(cidr: string, taken: Iterable<string>): string {
  const { network, prefix } = parseCidr(cidr);
  const count = 2 ** (24 - prefix);
  const used = new Set(taken);
  for (let i = 0; i < count; i++) {
    const subnet = formatSubnet(network + i * 256);
    if (!used.has(subnet)) return subnet;
  }
  throw new OverlayExhaustedError(cidr, count);
}
