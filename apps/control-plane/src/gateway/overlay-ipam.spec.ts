import { OverlayExhaustedError, lowestFreeSubnet, parseCidr } from './overlay-ipam';

describe('overlay IPAM', () => {
  it('picks the lowest free /24', () => {
    expect(lowestFreeSubnet('10.42.0.0/16', [])).toBe('10.42.0.0/24');
    expect(lowestFreeSubnet('10.42.0.0/16', ['10.42.0.0/24', '10.42.2.0/24'])).toBe('10.42.1.0/24');
  });

  it('normalises a CIDR given with host bits', () => {
    expect(lowestFreeSubnet('10.42.7.9/16', [])).toBe('10.42.0.0/24');
    expect(parseCidr('192.168.1.1/24')).toEqual({ network: (192 * 256 ** 3) + 168 * 65536 + 256, prefix: 24 });
  });

  it('says clearly when the pool is exhausted', () => {
    const taken = ['10.9.0.0/24', '10.9.1.0/24', '10.9.2.0/24', '10.9.3.0/24'];
    expect(lowestFreeSubnet('10.9.0.0/23', taken.slice(0, 1))).toBe('10.9.1.0/24');
    expect(() => lowestFreeSubnet('10.9.0.0/22', taken)).toThrow(OverlayExhaustedError);
    expect(() => lowestFreeSubnet('10.9.0.0/22', taken)).toThrow('overlay 10.9.0.0/22 has no free /24 left (all 4 allocated)');
  });

  it.each(['10.42.0.0', '10.42.0.0/25', '10.42.0.0/4', '300.1.1.1/16', 'x/16'])('refuses %p', (cidr) => {
    expect(() => lowestFreeSubnet(cidr, [])).toThrow(/overlay CIDR/);
  });
});
