import type { PeerDump } from './dump';
import { canonicalCidr, diffPeers, peerSetArgs, type DesiredPeer } from './peers';

const KEY_A = 'yjGeSZ656PAgqhCPdfYDn/r47NC587zGii9KEqJXxSs=';
const KEY_B = '/q9OURxjjEQ0bStzsGP/eX26GYbhxoSBFJdqh3JEQ08=';
const KEY_C = 'mNb6ZBiddO2sEGm8IpTaNL4lyYHTntjhTtYWVoVCtlY=';

function dumped(publicKey: string, over: Partial<PeerDump> = {}): PeerDump {
  return {
    publicKey,
    presharedKey: null,
    endpoint: '192.168.78.12:51820',
    allowedIps: ['10.42.2.0/24'],
    latestHandshake: null,
    rxBytes: 0,
    txBytes: 0,
    persistentKeepalive: null,
    ...over,
  };
}

describe('diffPeers', () => {
  const same: DesiredPeer = { publicKey: KEY_A, endpoint: '192.168.78.12:51820', allowedIps: ['10.42.2.0/24'] };

  it('adds missing, updates changed and removes stale keys', () => {
    const current = [dumped(KEY_A), dumped(KEY_B)];
    const moved = { publicKey: KEY_A, endpoint: '192.168.78.13:51820', allowedIps: ['10.42.2.0/24'] };
    const fresh = { publicKey: KEY_C, endpoint: '192.168.78.14:51820', allowedIps: ['10.42.4.0/24'] };
    expect(diffPeers(current, [moved, fresh])).toEqual({ add: [fresh], update: [moved], remove: [KEY_B] });
  });

  it('is empty when wg already has the desired peers, whatever the order and spelling of allowed IPs', () => {
    const current = [dumped(KEY_A, { allowedIps: ['10.43.0.2/32', '10.42.2.0/24'] })];
    const desired = [{ ...same, allowedIps: ['10.42.2.7/24', '10.43.0.2'] }];
    expect(diffPeers(current, desired)).toEqual({ add: [], update: [], remove: [] });
  });

  it('updates on a changed allowed-IP set or keepalive', () => {
    expect(diffPeers([dumped(KEY_A)], [{ ...same, allowedIps: ['10.42.2.0/24', '10.42.9.0/24'] }]).update).toHaveLength(1);
    expect(diffPeers([dumped(KEY_A)], [{ ...same, allowedIps: [] }]).update).toHaveLength(1);
    expect(diffPeers([dumped(KEY_A)], [{ ...same, persistentKeepalive: 25 }]).update).toHaveLength(1);
    expect(diffPeers([dumped(KEY_A, { persistentKeepalive: 25 })], [same]).update).toHaveLength(1);
  });

  it('leaves a roamed endpoint alone when none is desired', () => {
    const { endpoint: _ignored, ...roaming } = same;
    expect(diffPeers([dumped(KEY_A, { endpoint: '198.51.100.7:40000' })], [roaming]).update).toEqual([]);
  });

  it('removes everything when nothing is desired', () => {
    expect(diffPeers([dumped(KEY_A), dumped(KEY_B)], [])).toEqual({ add: [], update: [], remove: [KEY_A, KEY_B] });
  });

  it('rejects invalid or duplicate desired keys', () => {
    expect(() => diffPeers([], [{ publicKey: 'nope', allowedIps: [] }])).toThrow(/invalid peer public key/);
    expect(() => diffPeers([], [same, same])).toThrow(/listed twice/);
  });
});

describe('peerSetArgs', () => {
  it('builds one wg set call: removals first, then full peer settings (allowed-ips replaced)', () => {
    const args = peerSetArgs('oja0', {
      remove: [KEY_B],
      add: [{ publicKey: KEY_C, endpoint: '192.168.78.14:51820', allowedIps: ['10.42.4.0/24', '10.43.0.4/32'], persistentKeepalive: 25 }],
      update: [{ publicKey: KEY_A, allowedIps: [] }],
    });
    expect(args.join(' ')).toBe(
      `set oja0 peer ${KEY_B} remove ` +
        `peer ${KEY_C} endpoint 192.168.78.14:51820 persistent-keepalive 25 allowed-ips 10.42.4.0/24,10.43.0.4/32 ` +
        `peer ${KEY_A} persistent-keepalive 0 allowed-ips `,
    );
    // an empty allowed-ips value is its own argument: `wg set` then clears the list
    expect(args[args.length - 1]).toBe('');
  });
});

describe('canonicalCidr', () => {
  it.each([
    ['10.42.1.7/24', '10.42.1.0/24'],
    ['10.43.0.2', '10.43.0.2/32'],
    ['255.255.255.255/1', '128.0.0.0/1'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['FD00:42::/64', 'fd00:42::/64'],
  ])('%s -> %s', (input, output) => expect(canonicalCidr(input)).toBe(output));
});
