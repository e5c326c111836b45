import { DEFAULT_BACKOFF, backoffDelay, countFailure } from './backoff';

describe('restart back-off', () => {
  it('doubles from 1 s and stops at 60 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 100].map((n) => backoffDelay(DEFAULT_BACKOFF, n))).toEqual([
      1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000,
    ]);
  });

  it('starts over after a run of at least 60 s, keeps counting after shorter ones', () => {
    expect(countFailure(DEFAULT_BACKOFF, 5, 59_999)).toBe(6);
    expect(countFailure(DEFAULT_BACKOFF, 5, 60_000)).toBe(1);
    expect(countFailure(DEFAULT_BACKOFF, 5, null)).toBe(6);
  });
});
