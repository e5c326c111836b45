import { quotaViolations, usage, type DeploymentClaim } from './quota';

const claim = (deploymentId: string, replicas: number, cpu = 0.1, memoryMb = 64): DeploymentClaim => ({ deploymentId, replicas, resources: { cpu, memoryMb } });
const quota = { instances: 10, cpu: 1, memoryMb: 1024 };

describe('usage', () => {
  it('sums replicas × resources without float error', () => {
    expect(usage([claim('a', 10, 0.1, 64), claim('b', 3, 0.3, 10)])).toEqual({ instances: 13, cpu: 1.9, memoryMb: 670 });
  });
});

describe('quotaViolations', () => {
  it('accepts a change that fits exactly', () => expect(quotaViolations(quota, [claim('a', 5)], claim('b', 5))).toEqual([]));

  it('names each exceeded limit with requested and limit', () => {
    expect(quotaViolations(quota, [claim('a', 6)], claim('b', 6, 0.1, 128))).toEqual([
      { path: 'quota.instances', message: '12 requested, limit 10' },
      { path: 'quota.cpu', message: '1.2 requested, limit 1' },
      { path: 'quota.memoryMb', message: '1152 requested, limit 1024' },
    ]);
  });

  it("replaces the deployment's own current claim instead of adding to it", () => {
    expect(quotaViolations(quota, [claim('a', 8)], claim('a', 10))).toEqual([]);
  });

  it('judges the total after the change (scaling b down makes room)', () => {
    expect(quotaViolations({ ...quota, instances: 4 }, [claim('a', 3), claim('b', 3)], claim('b', 1))).toEqual([]);
  });
});
