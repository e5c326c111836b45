/** One peer line of `wg show <if> dump`. */
export interface PeerDump {
  publicKey: string;
  presharedKey: string | null;
  /** `host:port` as WireGuard last saw it (`[v6]:port` for IPv6); null before any contact. */
  endpoint: string | null;
  allowedIps: string[];
  /** null when no handshake has completed yet (wg prints 0). */
  latestHandshake: Date | null;
  rxBytes: number;
  txBytes: number;
  /** Seconds; null when off. */
  persistentKeepalive: number | null;
}

/** `wg show <if> dump`: the interface line and its peers. */
export interface InterfaceDump {
  privateKey: string | null;
  publicKey: string | null;
  listenPort: number;
  fwmark: number | null;
  peers: PeerDump[];
}

const NONE = '(none)';

/**
 * Parses the tab-separated output of `wg show <if> dump` (one interface; not `wg show all dump`,
 * which prefixes every line with the interface name).
 */
export function parseDump(text: string): InterfaceDump {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  if (lines.length === 0) throw new Error('empty wg dump');
  const head = fields(lines[0], 4, 'interface');
  return {
    privateKey: optional(head[0]),
    publicKey: optional(head[1]),
    listenPort: integer(head[2], 'listen port'),
    fwmark: head[3] === 'off' ? null : integer(head[3], 'fwmark'),
    peers: lines.slice(1).map(parsePeer),
  };
}

function parsePeer(line: string): PeerDump {
  const [publicKey, presharedKey, endpoint, allowedIps, handshake, rx, tx, keepalive] = fields(line, 8, 'peer');
  const handshakeSeconds = integer(handshake, 'latest handshake');
  return {
    publicKey,
    presharedKey: optional(presharedKey),
    endpoint: optional(endpoint),
    allowedIps: allowedIps === NONE ? [] : allowedIps.split(','),
    latestHandshake: handshakeSeconds === 0 ? null : new Date(handshakeSeconds * 1000),
    rxBytes: integer(rx, 'rx bytes'),
    txBytes: integer(tx, 'tx bytes'),
    persistentKeepalive: keepalive === 'off' ? null : integer(keepalive, 'persistent keepalive'),
  };
}

function fields(line: string, count: number, what: string): string[] {
  const parts = line.split('\t');
  if (parts.length !== count) throw new Error(`wg dump ${what} line has ${parts.length} fields, expected ${count}: ${line}`);
  return parts;
}

function optional(value: string): string | null {
  return value === NONE ? null : value;
}

function integer(value: string, what: string): number {
  // fwmark is printed in hex (0x...), everything else in decimal
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`wg dump: bad ${what} "${value}"`);
  return n;
}
