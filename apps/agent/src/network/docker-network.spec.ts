import { overlayPlan } from './address-plan';
import { networkMatches, overlayNetworkOptions } from './docker-network';

const plan = overlayPlan('10.42.2.0/24', '10.42.0.0/16');

describe('the oja Docker network', () => {
  it('has no NAT of its own, the overlay MTU and a fixed bridge name', () => {
    expect(overlayNetworkOptions()).toEqual({
      'com.docker.network.bridge.name': 'ojabr0',
      'com.docker.network.driver.mtu': '1420',
      'com.docker.network.bridge.enable_ip_masquerade': 'false',
    });
  });

  it('is kept when subnet, gateway and options match, replaced otherwise', () => {
    const good = { Options: overlayNetworkOptions(), IPAM: { Config: [{ Subnet: '10.42.2.0/24', Gateway: '10.42.2.1' }] } };
    expect(networkMatches(good, plan)).toBe(true);
    expect(networkMatches({ ...good, IPAM: { Config: [{ Subnet: '10.42.5.0/24', Gateway: '10.42.5.1' }] } }, plan)).toBe(false);
    expect(networkMatches({ ...good, Options: {} }, plan)).toBe(false);
  });
});
