import type { FieldError, Quota, ResourcesSpec } from '@oja/contracts';

/** What one deployment claims: replicas × per-instance resources. */
export interface DeploymentClaim {
  deploymentId: string;
  replicas: number;
  resources: ResourcesSpec;
}

export interface QuotaUsage {
  instances: number;
  cpu: number;
  memoryMb: number;
}

export function usage(claims: readonly DeploymentClaim[]): QuotaUsage {
  let cpuMilli = 0;
  const total = { instances: 0, cpu: 0, memoryMb: 0 };
  for (const c of claims) {
    total.instances += c.replicas;
    // Millicores in integers, so 10 × 0.1 is exactly 1.
    cpuMilli += c.replicas * Math.round(c.resources.cpu * 1000);
    total.memoryMb += c.replicas * c.resources.memoryMb;
  }
  return { ...total, cpu: cpuMilli / 1000 };
}

/**
 * The tenant's usage with `change` replacing that deployment's current claim, checked against the quota.
 * Returns one field error per exceeded limit ("quota.instances": "12 requested, limit 10"); empty when it fits.
 */
export function quotaViolations(quota: Quota, current: readonly DeploymentClaim[], change: DeploymentClaim): FieldError[] {
  const after = usage([...current.filter((c) => c.deploymentId !== change.deploymentId), change]);
  const errors: FieldError[] = [];
  for (const key of ['instances', 'cpu', 'memoryMb'] as const) {
    if (after[key] > quota[key]) errors.push({ path: `quota.${key}`, message: `${after[key]} requested, limit ${quota[key]}` });
  }
  return errors;
}
