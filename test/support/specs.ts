import { randomBytes } from 'node:crypto';

/** A minimal valid spec document (as a user writes it; no name, so the URL names it), with overrides. */
export function specDoc(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { image: 'oja/busybox:1', replicas: 2, resources: { cpu: 0.1, memoryMb: 32 }, ...overrides };
}

/** A unique DNS-label name for resources a test creates. */
export function uniqueName(prefix = 'd'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}
