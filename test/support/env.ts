import { existsSync, readFileSync } from 'node:fs';
import { parseEnvFile } from '../../apps/control-plane/src/config/config';

/** Settings for tests: /etc/oja/oja.env (or OJA_ENV_FILE) overlaid with the process env. */
export function testEnv(): Record<string, string> {
  const file = process.env.OJA_ENV_FILE ?? '/etc/oja/oja.env';
  const fromFile = existsSync(file) ? parseEnvFile(readFileSync(file, 'utf8')) : {};
  const fromProcess = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => k.startsWith('OJA_') && v)) as Record<string, string>;
  return { ...fromFile, ...fromProcess };
}

/** The admin database URL: the one in the env (its role has CREATEDB). */
export function adminDatabaseUrl(): string {
  return testEnv().OJA_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/oja';
}

export function redisUrl(): string {
  return testEnv().OJA_REDIS_URL ?? 'redis://127.0.0.1:6379';
}

export function secretKeyHex(): string {
  return testEnv().OJA_SECRET_KEY ?? 'ab'.repeat(32);
}
