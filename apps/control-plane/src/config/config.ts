import { readFileSync, existsSync } from 'node:fs';
import { z } from 'zod';

/** Everything the control plane reads from its environment, parsed once at start. */
export interface Config {
  databaseUrl: string;
  redisUrl: string;
  httpAddr: HostPort;
  grpcAddr: HostPort;
  /** Bootstrap admin token; when absent one is generated on first start. */
  adminToken?: string;
  /** 32-byte key encrypting secrets at rest (AES-256-GCM). */
  secretKey: Buffer;
  nodeGraceSeconds: number;
  maxReplicas: number;
  /** BullMQ / Redis key prefix, so that several systems (or tests) can share one Redis. */
  queuePrefix: string;
  overlayCidr: string;
  eventRetentionDays: number;
  /** Lifetime of the node certificates issued at Join and Renew; agents renew once a third of it remains. */
  nodeCertificateDays: number;
}

export interface HostPort {
  host: string;
  port: number;
}

/** Injection token for the parsed Config. */
export const CONFIG = Symbol('Config');

export const DEFAULT_ENV_FILE = '/etc/oja/oja.env';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** "host:port" or "[v6]:port"; port 0 asks the OS for a free one. */
export function parseHostPort(value: string): HostPort | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):([0-9]{1,5})$/.exec(value.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { host: m[1] ?? m[2], port };
}

const hostPort = z.string().transform((v, ctx) => {
  const parsed = parseHostPort(v);
  if (!parsed) {
    ctx.addIssue({ code: 'custom', message: `must be host:port, got "${v}"` });
    return z.NEVER;
  }
  return parsed;
});

const intFrom = (def: number, min: number, max: number) =>
  z.coerce.number().int('must be an integer').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`).default(def);

const IPV4_CIDR = /^((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)\/(\d|1\d|2[0-4])$/;

const envSchema = z.object({
  OJA_DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').default('postgres://postgres@127.0.0.1:5432/oja'),
  OJA_REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').default('redis://127.0.0.1:6379'),
  OJA_HTTP_ADDR: hostPort.default({ host: '0.0.0.0', port: 7400 }),
  OJA_GRPC_ADDR: hostPort.default({ host: '0.0.0.0', port: 7401 }),
  OJA_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  OJA_SECRET_KEY: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters (32 bytes)').optional(),
  OJA_SECRET_KEY_FILE: z.string().min(1).optional(),
  // Agents heartbeat every 2 s: a grace below 3 s would take healthy nodes down between two heartbeats.
  OJA_NODE_GRACE_SECONDS: intFrom(10, 3, 3600),
  OJA_MAX_REPLICAS: intFrom(1000, 1, 100_000),
  OJA_QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_:.-]{1,64}$/, 'must be 1-64 of letters, digits, _ : . -').default('oja'),
  OJA_OVERLAY_CIDR: z.string().regex(IPV4_CIDR, 'must be an IPv4 CIDR with a prefix of at most /24, e.g. 10.42.0.0/16').default('10.42.0.0/16'),
  OJA_EVENT_RETENTION_DAYS: intFrom(7, 1, 3650),
  // Fractions of a day are for tests of renewal; below ~43 s an agent would hardly finish one before the next is due.
  // Past the CA's ten years a certificate would outlive its issuer.
  OJA_NODE_CERT_DAYS: z.coerce.number('must be a number').min(0.0005, 'must be at least 0.0005 (43 s)').max(3650, 'must be at most 3650').default(365),
});

/** Parses a shell-style env file: KEY=value lines, optional quotes and `export`, # comments. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2].trim();
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) value = value.slice(1, -1);
    out[m[1]] = value;
  }
  return out;
}

/**
 * Reads the configuration: the process env wins, values it lacks come from the env file
 * (OJA_ENV_FILE, default /etc/oja/oja.env, when it exists). Throws ConfigError naming the variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const file = env.OJA_ENV_FILE ?? DEFAULT_ENV_FILE;
  let fromFile: Record<string, string> = {};
  if (existsSync(file)) {
    try {
      fromFile = parseEnvFile(readFileSync(file, 'utf8'));
    } catch (err) {
      // An unreadable default file (e.g. root-only) is not an error; an explicitly named one is.
      if (env.OJA_ENV_FILE) throw new ConfigError(`OJA_ENV_FILE: cannot read ${file}: ${(err as Error).message}`);
    }
  }
  const merged: Record<string, string | undefined> = { ...fromFile };
  for (const [k, v] of Object.entries(env)) if (k.startsWith('OJA_') && v !== undefined && v !== '') merged[k] = v;
  return configFromEnv(merged);
}

/** Validates already merged variables (no file access besides OJA_SECRET_KEY_FILE). */
export function configFromEnv(vars: Record<string, string | undefined>): Config {
  const parsed = envSchema.safeParse(vars);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${detail}`);
  }
  const e = parsed.data;
  return {
    databaseUrl: e.OJA_DATABASE_URL,
    redisUrl: e.OJA_REDIS_URL,
    httpAddr: e.OJA_HTTP_ADDR,
    grpcAddr: e.OJA_GRPC_ADDR,
    adminToken: e.OJA_ADMIN_TOKEN,
    secretKey: readSecretKey(e.OJA_SECRET_KEY, e.OJA_SECRET_KEY_FILE),
    nodeGraceSeconds: e.OJA_NODE_GRACE_SECONDS,
    maxReplicas: e.OJA_MAX_REPLICAS,
    queuePrefix: e.OJA_QUEUE_PREFIX,
    overlayCidr: e.OJA_OVERLAY_CIDR,
    eventRetentionDays: e.OJA_EVENT_RETENTION_DAYS,
    nodeCertificateDays: e.OJA_NODE_CERT_DAYS,
  };
}

function readSecretKey(hex: string | undefined, file: string | undefined): Buffer {
  if (hex) return Buffer.from(hex, 'hex');
  if (!file) throw new ConfigError('invalid configuration: OJA_SECRET_KEY or OJA_SECRET_KEY_FILE must be set (32 bytes as 64 hex characters)');
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(`invalid configuration: OJA_SECRET_KEY_FILE: cannot read ${file}: ${(err as Error).message}`);
  }
  if (!/^[0-9a-fA-F]{64}$/.test(text)) throw new ConfigError(`invalid configuration: OJA_SECRET_KEY_FILE: ${file} must hold 64 hex characters`);
  return Buffer.from(text, 'hex');
}
