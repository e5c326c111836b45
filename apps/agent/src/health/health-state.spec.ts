import { KEPT_CHECKS, UNKNOWN_HEALTH, recordCheck, type HealthState } from './health-state';

const check = (ok: boolean, i = 0) => ({ at: `t${i}`, ok, output: ok ? 'HTTP 200' : 'HTTP 500' });
const run = (results: boolean[], threshold: number, from: HealthState = UNKNOWN_HEALTH) =>
  results.reduce((s, ok, i) => recordCheck(s, check(ok, i), threshold), from);

describe('recordCheck', () => {
  it('is healthy after one success', () => {
    expect(run([true], 3).healthy).toBe(true);
  });

  it('turns unhealthy only after threshold consecutive failures', () => {
    expect(run([true, false, false], 3).healthy).toBe(true);
    expect(run([true, false, false, false], 3).healthy).toBe(false);
    expect(run([true, false, false, true, false, false], 3).healthy).toBe(true);
    expect(run([false], 1).healthy).toBe(false);
  });

  it('stays unknown while failures stay under the threshold from the start', () => {
    expect(run([false, false], 3).healthy).toBeNull();
  });

  it('keeps the last few checks, newest last', () => {
    const s = run(Array(KEPT_CHECKS + 3).fill(true), 3);
    expect(s.lastChecks.map((c) => c.at)).toEqual(Array.from({ length: KEPT_CHECKS }, (_, i) => `t${i + 3}`));
  });
});
