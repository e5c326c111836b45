import type { DeploymentSpec } from '@oja/contracts';

/** JSON with object keys sorted at every level, so equal values give equal strings (jsonb reorders keys). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/**
 * Whether two specs (defaults filled in) describe the same pod template. `replicas` is ignored: it lives
 * on the deployment row and scaling never makes a revision, as in Kubernetes.
 */
export function sameTemplate(a: DeploymentSpec, b: DeploymentSpec): boolean {
  return canonicalJson({ ...a, replicas: 0 }) === canonicalJson({ ...b, replicas: 0 });
}
