import { TtlCache } from './ttl-cache';

describe('TtlCache', () => {
  let now = 0;
  const clock = () => now;
  beforeEach(() => (now = 1000));

  it('answers a stored value until its TTL has passed', () => {
    const cache = new TtlCache<string, number>(500, 10, clock);
    cache.set('a', 1);
    now += 499;
    expect(cache.get('a')).toBe(1);
    now += 1;
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('missing')).toBeUndefined();
  });

  it('restarts the TTL when a key is stored again', () => {
    const cache = new TtlCache<string, number>(500, 10, clock);
    cache.set('a', 1);
    now += 400;
    cache.set('a', 2);
    now += 400;
    expect(cache.get('a')).toBe(2);
  });

  it('drops the entries a predicate matches, and only those', () => {
    const cache = new TtlCache<string, { id: string }>(500, 10, clock);
    cache.set('a', { id: 'x' });
    cache.set('b', { id: 'y' });
    cache.deleteWhere((v) => v.id === 'x');
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toEqual({ id: 'y' });
  });

  it('never holds more than maxEntries', () => {
    const cache = new TtlCache<number, number>(500, 3, clock);
    for (let i = 0; i < 3; i++) cache.set(i, i);
    cache.set(0, 10); // an existing key: no eviction
    expect([0, 1, 2].map((k) => cache.get(k))).toEqual([10, 1, 2]);
    cache.set(3, 3);
    expect([0, 1, 2, 3].map((k) => cache.get(k))).toEqual([undefined, undefined, undefined, 3]);
  });
});
