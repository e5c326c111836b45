import { z } from 'zod';
import { dnsLabel, nodeName } from './names';
import { DeploymentSpec } from './spec';

// ---- requests -------------------------------------------------------------------------------

export const quotaSchema = z.strictObject({
  instances: z.number({ error: 'must be a number' }).int('must be an integer').min(0, 'must not be negative').max(1_000_000, 'must be at most 1000000'),
  cpu: z.number({ error: 'must be a number' }).min(0, 'must not be negative').max(100_000, 'must be at most 100000'),
  memoryMb: z.number({ error: 'must be a number' }).int('must be an integer').min(0, 'must not be negative').max(1_000_000_000, 'is too large'),
});
export type Quota = z.infer<typeof quotaSchema>;
export const DEFAULT_QUOTA: Quota = { instances: 100, cpu: 16, memoryMb: 32768 };

export const createTenantRequest = z.strictObject({
  name: dnsLabel,
  dedicated: z.boolean({ error: 'must be true or false' }).default(false),
  quota: quotaSchema.partial().optional(),
});
export type CreateTenantRequest = z.input<typeof createTenantRequest>;

export const createTokenRequest = z.strictObject({
  name: z.string().min(1, 'must not be empty').max(100, 'must be at most 100 characters').default('token'),
  expiresInSeconds: z.number().int('must be an integer').min(60, 'must be at least 60').max(10 * 365 * 86400, 'must be at most 10 years').optional(),
});
export type CreateTokenRequest = z.input<typeof createTokenRequest>;

export const scaleRequest = (maxReplicas: number) =>
  z.strictObject({
    replicas: z
      .number({ error: 'must be a number' })
      .int('must be an integer')
      .min(0, 'must not be negative')
      .max(maxReplicas, `must be at most ${maxReplicas}`),
  });
export type ScaleRequest = { replicas: number };

export const rollbackRequest = z.strictObject({
  revision: z.number({ error: 'must be a number' }).int('must be an integer').min(1, 'must be at least 1').optional(),
});
export type RollbackRequest = z.infer<typeof rollbackRequest>;

export const createJoinTokenRequest = z.strictObject({
  ttlSeconds: z.number().int('must be an integer').min(60, 'must be at least 60').max(7 * 86400, 'must be at most 604800').default(3600),
});

export const dedicateRequest = z.strictObject({ tenant: dnsLabel });
export type DedicateRequest = z.infer<typeof dedicateRequest>;

export const registryCredentialRequest = z.strictObject({
  name: dnsLabel,
  server: z.string().min(1, 'must not be empty').max(255).regex(/^[A-Za-z0-9.-]+(:[0-9]{1,5})?$/, 'must be a registry host such as "registry.example.com" or "10.0.0.1:5000"'),
  username: z.string().min(1, 'must not be empty').max(255),
  // writeOnly reaches the OpenAPI document: the password is stored encrypted and never returned.
  password: z.string().min(1, 'must not be empty').max(4096).meta({ writeOnly: true }),
});
export type RegistryCredentialRequest = z.infer<typeof registryCredentialRequest>;

/** Event ids are Postgres bigints: anything else must be a 400, not a failed cast. */
const MAX_BIGINT = 2n ** 63n - 1n;
const eventId = z.string().refine((v) => /^[0-9]{1,19}$/.test(v) && BigInt(v) <= MAX_BIGINT, 'must be an event id');

export const listQuery = z.object({
  limit: z.coerce.number().int('must be an integer').min(1, 'must be at least 1').max(1000, 'must be at most 1000').default(100),
  /** Newest first, older than this event id (paging back through history). */
  before: eventId.optional(),
  /** Oldest first, newer than this event id (a cursor: follow events without missing any). */
  after: eventId.optional(),
});

export const eventsQuery = listQuery.extend({
  deployment: dnsLabel.optional(),
  node: nodeName.optional(),
  type: z.string().regex(/^[a-z]+(-[a-z]+)*(\.[a-z]+(-[a-z]+)*)*$/, 'must be a dotted event type such as instance.started').optional(),
});

export const logsQuery = z.object({
  follow: z.enum(['true', 'false', '1', '0', '']).optional().transform((v) => v === 'true' || v === '1' || v === ''),
  tail: z.coerce.number().int('must be an integer').min(0, 'must not be negative').max(100000, 'must be at most 100000').optional(),
  since: z.string().regex(/^([0-9]+[smhd]|\d{4}-\d{2}-\d{2}T.+)$/, 'must be a duration like 5m or an RFC 3339 time').optional(),
  instance: z.string().min(1).max(64).optional(),
  timestamps: z.string().optional(),
});

// ---- responses -------------------------------------------------------------------------------

export interface List<T> {
  items: T[];
}

export interface TenantView {
  id: string;
  name: string;
  dedicated: boolean;
  quota: Quota;
  createdAt: string;
}
export interface CreateTenantResponse {
  tenant: TenantView;
  token: string;
}
export interface TokenResponse {
  id: string;
  token: string;
  expiresAt?: string;
}

export const INSTANCE_STATES = ['pending', 'starting', 'running', 'healthy', 'unhealthy', 'failed', 'exited', 'lost'] as const;
export type InstanceState = (typeof INSTANCE_STATES)[number];
export const ROLLOUT_PHASES = ['progressing', 'complete', 'failed', 'paused'] as const;
export type RolloutPhase = (typeof ROLLOUT_PHASES)[number];
export const NODE_STATUSES = ['ready', 'down', 'draining'] as const;
export type NodeStatus = (typeof NODE_STATUSES)[number];

export interface DeploymentCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionAt: string;
}
export interface DeploymentStatus {
  phase: RolloutPhase;
  desired: number;
  updated: number;
  ready: number;
  available: number;
  conditions: DeploymentCondition[];
}
export interface DeploymentView {
  name: string;
  spec: DeploymentSpec;
  revision: number;
  replicas: number;
  paused: boolean;
  generation: number;
  status: DeploymentStatus;
  createdAt: string;
  updatedAt: string;
}
export interface RevisionView {
  revision: number;
  spec: DeploymentSpec;
  createdAt: string;
  current: boolean;
}
/** One health probe outcome as the agent reported it. */
export interface HealthCheckView {
  at: string;
  ok: boolean;
  output: string;
}
export interface InstanceView {
  id: string;
  node: string | null;
  revision: number;
  state: InstanceState;
  healthy: boolean;
  reason: string | null;
  overlayIp: string | null;
  containerId: string | null;
  restarts: number;
  lastExitCode: number | null;
  /** The latest health-check results, oldest first (empty without a health check or before the first probe). */
  lastChecks?: HealthCheckView[];
  updatedAt: string;
}
export interface NodeView {
  name: string;
  status: NodeStatus;
  /** Drained by an operator: kept while the node is down, so it comes back `draining`. */
  drained: boolean;
  underlayAddress: string;
  overlaySubnet: string | null;
  labels: Record<string, string>;
  capacity: { cpu: number; memoryMb: number };
  allocated: { cpu: number; memoryMb: number };
  instances: number;
  dedicatedTenant: string | null;
  lastHeartbeatAt: string | null;
  agentVersion: string | null;
}
export interface EventView {
  id: string;
  type: string;
  message: string;
  deployment?: string;
  node?: string;
  instance?: string;
  at: string;
}
export interface RegistryCredentialView {
  name: string;
  server: string;
  username: string;
  createdAt: string;
}
export interface LogEntry {
  ts: string;
  instance: string;
  node: string;
  stream: 'stdout' | 'stderr';
  line: string;
}
