import { gatewayOf, overlayPlan } from './address-plan';

describe('overlayPlan', () => {
  it("gives the node its subnet's first host address", () => {
    expect(overlayPlan('10.42.3.0/24', '10.42.0.0/16')).toEqual({ subnet: '10.42.3.0/24', pool: '10.42.0.0/16', gateway: '10.42.3.1' });
    expect(gatewayOf('10.42.255.0/24')).toBe('10.42.255.1');
  });

  it.each([
    ['not a /24', '10.42.3.0/23', '10.42.0.0/16', /not a \/24/],
    ['host bits set', '10.42.3.7/24', '10.42.0.0/16', /not a \/24/],
    ['outside the pool', '10.43.3.0/24', '10.42.0.0/16', /outside the pool/],
    ['pool with host bits', '10.42.3.0/24', '10.42.1.0/16', /pool/],
    ['pool too small', '10.42.3.0/24', '10.42.3.0/25', /pool/],
  ])('refuses %s', (_what, subnet, pool, message) => {
    expect(() => overlayPlan(subnet, pool)).toThrow(message);
  });
});
