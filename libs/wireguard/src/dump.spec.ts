import { parseDump } from './dump';

// Captured from wireguard-go 0.0.20220316 / wireguard-tools 1.0.20210914 (`wg show wgt dump`),
// plus a peer after a handshake with traffic.
const SAMPLE = [
  'kD8Oh9oFLPPvTP/r1D/66sPvZV8i+eYd7b38QXq7TVY=\t7GxtpVd6IM3zCyD2iIixU4UIVeRw5g/qy0/i0PQjC3Q=\t51999\t0x20',
  'yjGeSZ656PAgqhCPdfYDn/r47NC587zGii9KEqJXxSs=\t(none)\t192.0.2.1:51820\t10.0.0.0/24,10.43.0.7/32\t0\t0\t0\t25',
  '/q9OURxjjEQ0bStzsGP/eX26GYbhxoSBFJdqh3JEQ08=\t(none)\t(none)\t(none)\t0\t0\t0\toff',
  'mNb6ZBiddO2sEGm8IpTaNL4lyYHTntjhTtYWVoVCtlY=\tFmWLjnAYSyp6H9nGmFV3b8iDdYoiC0RIWbVa17srYfk=\t[fd00::2]:51820\tfd00:42::/64\t1795442400\t123456789012\t98765\toff',
  '',
].join('\n');

describe('parseDump', () => {
  const dump = parseDump(SAMPLE);

  it('reads the interface line, fwmark in hex', () => {
    expect(dump).toMatchObject({
      privateKey: 'kD8Oh9oFLPPvTP/r1D/66sPvZV8i+eYd7b38QXq7TVY=',
      publicKey: '7GxtpVd6IM3zCyD2iIixU4UIVeRw5g/qy0/i0PQjC3Q=',
      listenPort: 51999,
      fwmark: 0x20,
    });
    expect(dump.peers).toHaveLength(3);
  });

  it('reads a configured peer that never completed a handshake', () => {
    expect(dump.peers[0]).toEqual({
      publicKey: 'yjGeSZ656PAgqhCPdfYDn/r47NC587zGii9KEqJXxSs=',
      presharedKey: null,
      endpoint: '192.0.2.1:51820',
      allowedIps: ['10.0.0.0/24', '10.43.0.7/32'],
      latestHandshake: null,
      rxBytes: 0,
      txBytes: 0,
      persistentKeepalive: 25,
    });
  });

  it('maps every (none) field to null or an empty list', () => {
    expect(dump.peers[1]).toMatchObject({ presharedKey: null, endpoint: null, allowedIps: [], persistentKeepalive: null });
  });

  it('reads a handshake time, IPv6 endpoint, preshared key and large counters', () => {
    expect(dump.peers[2]).toMatchObject({
      presharedKey: 'FmWLjnAYSyp6H9nGmFV3b8iDdYoiC0RIWbVa17srYfk=',
      endpoint: '[fd00::2]:51820',
      allowedIps: ['fd00:42::/64'],
      latestHandshake: new Date('2026-11-23T14:00:00Z'),
      rxBytes: 123456789012,
      txBytes: 98765,
    });
  });

  it('reads an unconfigured interface (no key, fwmark off, no peers)', () => {
    expect(parseDump('(none)\t(none)\t0\toff\n')).toEqual({ privateKey: null, publicKey: null, listenPort: 0, fwmark: null, peers: [] });
  });

  it('rejects output it does not understand instead of guessing', () => {
    expect(() => parseDump('')).toThrow(/empty/);
    // `wg show all dump` prefixes the interface name: one column too many
    expect(() => parseDump('oja0\tkey\tpub\t51820\toff')).toThrow(/5 fields, expected 4/);
    expect(() => parseDump('a\tb\t51820\toff\npub\t(none)\t(none)\t(none)\tnever\t0\t0\toff')).toThrow(/latest handshake/);
  });
});
