import { Backoff } from './backoff';

describe('Backoff', () => {
  it('doubles from the initial delay up to the cap without jitter', () => {
    const backoff = new Backoff({ initialMs: 500, maxMs: 10_000, jitter: 0 });
    expect(Array.from({ length: 8 }, () => backoff.next())).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
  });

  it('starts over after reset', () => {
    const backoff = new Backoff({ initialMs: 500, maxMs: 10_000, jitter: 0 });
    backoff.next();
    backoff.next();
    backoff.reset();
    expect(backoff.next()).toBe(500);
  });

  it('takes off at most the jitter fraction of each delay', () => {
    const low = new Backoff({ initialMs: 1000, maxMs: 10_000, jitter: 0.5 }, () => 0.999999);
    const high = new Backoff({ initialMs: 1000, maxMs: 10_000, jitter: 0.5 }, () => 0);
    expect([low.next(), low.next()]).toEqual([500, 1000]);
    expect([high.next(), high.next()]).toEqual([1000, 2000]);
  });

  it('spreads agents that use different random draws', () => {
    const draws = [0.1, 0.9];
    const delays = draws.map((d) => new Backoff(undefined, () => d).next());
    expect(new Set(delays).size).toBe(2);
  });
});
