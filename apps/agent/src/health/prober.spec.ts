import { UNKNOWN_HEALTH, type HealthState } from './health-state';
import { Prober } from './prober';

describe('Prober', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('waits the initial delay, then checks every interval until stopped', async () => {
    const results = [false, true, false, false];
    const check = jest.fn(async () => ({ ok: results.shift() ?? true, output: '' }));
    const verdicts: (boolean | null)[] = [];
    const prober = new Prober(
      { http: { path: '/', port: 80 }, intervalSeconds: 2, timeoutSeconds: 1, failureThreshold: 2, initialDelaySeconds: 5 },
      check,
      UNKNOWN_HEALTH,
      (s: HealthState) => verdicts.push(s.healthy),
    );
    prober.start();
    await jest.advanceTimersByTimeAsync(4999);
    expect(check).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    expect(check).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(6000);
    expect(check).toHaveBeenCalledTimes(4);
    expect(verdicts).toEqual([null, true, true, false]);
    prober.stop();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(check).toHaveBeenCalledTimes(4);
  });
});
