import { cachedFor } from './scrape-cache';

describe('cachedFor', () => {
  it('shares one load within the ttl and loads again after it', async () => {
    let t = 0;
    let loads = 0;
    const get = cachedFor(1000, async () => ++loads, () => t);
    expect(await get()).toBe(1);
    t = 999;
    expect(await get()).toBe(1);
    t = 1000;
    expect(await get()).toBe(2);
  });

  it('does not keep a failed load', async () => {
    let fail = true;
    const get = cachedFor(1000, async () => {
      if (fail) throw new Error('db down');
      return 'ok';
    }, () => 0);
    await expect(get()).rejects.toThrow('db down');
    fail = false;
    expect(await get()).toBe('ok');
  });
});
