import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError } from './errors';

/** What `oja login` stores. */
export interface StoredConfig {
  server?: string;
  token?: string;
}

export interface Connection {
  server: string;
  token: string | undefined;
}

export type Env = Record<string, string | undefined>;

export const DEFAULT_SERVER = 'http://127.0.0.1:7400';

export function configPath(env: Env): string {
  return env.OJA_CONFIG || join(env.HOME || homedir(), '.config', 'oja', 'config.json');
}

/** Flags win over the environment, which wins over the config file. */
export function resolveConnection(flags: StoredConfig, env: Env, stored: StoredConfig): Connection {
  const server = flags.server || env.OJA_SERVER || stored.server || DEFAULT_SERVER;
  return { server: normalizeServer(server), token: flags.token || env.OJA_TOKEN || stored.token || undefined };
}

/** Accepts "host:port" as well as a URL, and drops trailing slashes so paths join cleanly. */
export function normalizeServer(server: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(server) ? server : `http://${server}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new CliError(`invalid server address "${server}": expected a URL such as http://10.0.0.1:7400`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`invalid server address "${server}": only http and https are supported`);
  }
  return url.toString().replace(/\/+$/, '');
}

export async function loadConfig(path: string): Promise<StoredConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError(`cannot read config ${path}: ${(err as Error).message}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
    const { server, token } = parsed as Record<string, unknown>;
    return { server: typeof server === 'string' ? server : undefined, token: typeof token === 'string' ? token : undefined };
  } catch (err) {
    throw new CliError(`config ${path} is not valid JSON (${(err as Error).message}); run "oja login" again`);
  }
}

/** Written atomically with mode 0600: the file holds a bearer token. */
export async function saveConfig(path: string, config: StoredConfig): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
  await rename(tmp, path);
}
