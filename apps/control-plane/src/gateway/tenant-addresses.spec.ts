import { reachableAddress } from './tenant-addresses';

describe('reachableAddress', () => {
  it('is the overlay IP only while the container is up', () => {
    expect(reachableAddress('running', '10.42.1.2')).toBe('10.42.1.2');
    expect(reachableAddress('starting', '10.42.1.2')).toBe('10.42.1.2');
    expect(reachableAddress('exited', '10.42.1.2')).toBeNull();
    expect(reachableAddress('failed', '10.42.1.2')).toBeNull();
    expect(reachableAddress('running', null)).toBeNull();
  });
});
