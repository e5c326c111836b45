import { z } from 'zod';
import { dnsLabel, imageReference } from './names';

export const DEFAULT_MAX_REPLICAS = 1000;

const port = z.number({ error: 'must be a number' }).int('must be an integer').min(1, 'must be at least 1').max(65535, 'must be at most 65535');
const seconds = (min: number, max: number) =>
  z.number({ error: 'must be a number' }).int('must be an integer').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);

/** An absolute count or a percentage ("25%"), as in Kubernetes' maxSurge / maxUnavailable. */
export const intOrPercent = z.union(
  [
    z.number().int('must be an integer').min(0, 'must not be negative').max(100000, 'is too large'),
    z.string().regex(/^(100|[1-9]?[0-9])%$/, 'must be a percentage from "0%" to "100%"'),
  ],
  { error: 'must be a non-negative integer or a percentage like "25%"' },
);
export type IntOrPercent = z.infer<typeof intOrPercent>;

const commandArgs = z
  .array(z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(4096), { error: 'must be an array of strings' })
  .min(1, 'must not be empty')
  .max(64, 'must have at most 64 arguments');

export const portSpec = z.strictObject({
  name: dnsLabel.optional(),
  container: port,
  publish: port.optional(),
  protocol: z.literal('tcp', { error: 'only "tcp" is supported' }).default('tcp'),
});

export const resourcesSpec = z.strictObject({
  // Docker refuses NanoCpus below 0.01 CPU.
  cpu: z.number({ error: 'must be a number' }).min(0.01, 'must be at least 0.01 (Docker minimum)').max(64, 'must be at most 64 cores'),
  memoryMb: z.number({ error: 'must be a number' }).int('must be an integer').min(6, 'must be at least 6 (Docker minimum)').max(262144, 'must be at most 262144'),
});

export const healthSpec = z
  .strictObject({
    http: z.strictObject({ path: z.string().regex(/^\/[^\s]*$/, 'must be an absolute path such as /healthz').max(1024), port }).optional(),
    tcp: z.strictObject({ port }).optional(),
    exec: z.strictObject({ command: commandArgs }).optional(),
    intervalSeconds: seconds(1, 300).default(5),
    timeoutSeconds: seconds(1, 60).default(1),
    failureThreshold: seconds(1, 20).default(3),
    initialDelaySeconds: seconds(0, 600).default(0),
  })
  .refine((h) => [h.http, h.tcp, h.exec].filter(Boolean).length === 1, {
    message: 'must set exactly one of http, tcp or exec',
  });

export const updateSpec = z
  .strictObject({
    maxSurge: intOrPercent.default(1),
    maxUnavailable: intOrPercent.default(0),
    minReadySeconds: seconds(0, 3600).default(0),
    progressDeadlineSeconds: seconds(1, 86400).default(120),
    autoRollback: z.boolean({ error: 'must be true or false' }).default(true),
  })
  .refine((u) => !(isZero(u.maxSurge) && isZero(u.maxUnavailable)), {
    message: 'maxSurge and maxUnavailable must not both be 0',
    path: ['maxSurge'],
  });

function isZero(v: IntOrPercent): boolean {
  return v === 0 || v === '0%';
}

/** `label.<key> == value` or `label.<key> != value` */
export const CONSTRAINT = /^label\.([A-Za-z0-9_.\-/]{1,63})\s*(==|!=)\s*([A-Za-z0-9_.\-]{1,63})$/;

export const placementSpec = z.strictObject({
  strategy: z.enum(['spread', 'binpack'], { error: 'must be "spread" or "binpack"' }).default('spread'),
  constraints: z
    .array(z.string().regex(CONSTRAINT, 'must look like "label.zone == a" or "label.zone != a"'))
    .max(16, 'must have at most 16 constraints')
    .default([]),
});

/** Linux capabilities a spec may add back after all are dropped (never the dangerous ones). */
export const ALLOWED_CAPABILITIES = [
  'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP',
  'NET_BIND_SERVICE', 'NET_RAW', 'SYS_CHROOT', 'AUDIT_WRITE', 'MKNOD',
] as const;

export const DEFAULT_RESOURCES = { cpu: 0.1, memoryMb: 64 } as const;

export function deploymentSpecSchema(opts: { maxReplicas?: number } = {}) {
  const maxReplicas = opts.maxReplicas ?? DEFAULT_MAX_REPLICAS;
  return z
    .strictObject({
      name: dnsLabel,
      image: imageReference,
      replicas: z
        .number({ error: 'must be a number' })
        .int('must be an integer')
        .min(0, 'must not be negative')
        .max(maxReplicas, `must be at most ${maxReplicas}`),
      command: commandArgs.optional(),
      env: z
        .record(
          z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,255}$/, 'must be an environment variable name (letters, digits, _)'),
          z.string({ error: 'must be a string' }).max(32768, 'must be at most 32768 characters'),
          { error: 'must be an object of string values' },
        )
        .default({}),
      ports: z.array(portSpec, { error: 'must be an array' }).max(32, 'must have at most 32 ports').default([]),
      resources: resourcesSpec.default({ ...DEFAULT_RESOURCES }),
      health: healthSpec.optional(),
      update: updateSpec.default({ maxSurge: 1, maxUnavailable: 0, minReadySeconds: 0, progressDeadlineSeconds: 120, autoRollback: true }),
      placement: placementSpec.default({ strategy: 'spread', constraints: [] }),
      registryCredential: dnsLabel.optional(),
      capabilities: z.array(z.enum(ALLOWED_CAPABILITIES, { error: `must be one of ${ALLOWED_CAPABILITIES.join(', ')}` })).max(16).default([]),
      stopGracePeriodSeconds: seconds(0, 600).default(10),
    })
    .superRefine((spec, ctx) => {
      duplicates(spec.ports.map((p) => p.container)).forEach((i) =>
        ctx.addIssue({ code: 'custom', path: ['ports', i, 'container'], message: `duplicate container port ${spec.ports[i].container}` }),
      );
      duplicates(spec.ports.map((p) => p.publish)).forEach((i) =>
        ctx.addIssue({ code: 'custom', path: ['ports', i, 'publish'], message: `duplicate published port ${spec.ports[i].publish}` }),
      );
      duplicates(spec.ports.map((p) => p.name)).forEach((i) =>
        ctx.addIssue({ code: 'custom', path: ['ports', i, 'name'], message: `duplicate port name ${spec.ports[i].name}` }),
      );
    });
}

/** Indexes of entries equal to an earlier defined entry. */
function duplicates<T>(values: (T | undefined)[]): number[] {
  const seen = new Set<T>();
  const out: number[] = [];
  values.forEach((v, i) => {
    if (v === undefined) return;
    if (seen.has(v)) out.push(i);
    seen.add(v);
  });
  return out;
}

export const deploymentSpec = deploymentSpecSchema();
/** The spec as a user writes it (defaults optional). */
export type DeploymentSpecInput = z.input<typeof deploymentSpec>;
/** The spec with every default filled in: what is stored in a revision. */
export type DeploymentSpec = z.output<typeof deploymentSpec>;
export type HealthSpec = z.output<typeof healthSpec>;
export type UpdateSpec = z.output<typeof updateSpec>;
export type PlacementSpec = z.output<typeof placementSpec>;
export type ResourcesSpec = z.output<typeof resourcesSpec>;
export type PortSpec = z.output<typeof portSpec>;
