import { Option, type Command } from 'commander';
import { ApiClient } from './client';
import { configPath, loadConfig, resolveConnection, type Env } from './config';
import { OUTPUT_FORMATS, render, type OutputFormat } from './output';

/** Everything a command touches outside itself, so tests can run commands in-process. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  stdin: NodeJS.ReadableStream;
  env: Env;
  now(): Date;
  sleep(ms: number): Promise<void>;
}

export interface GlobalOptions {
  output: OutputFormat;
  server?: string;
  token?: string;
}

const globalOptionInstances = new WeakSet<Option>();

/**
 * The global options, made for the program and for every leaf command: the program reads them
 * only before the subcommand (positional options), so a subcommand may own a flag of the same name
 * (`registry add --server` is the registry's address) and skip the global one.
 */
export function globalOptions(): Option[] {
  const options = [
    new Option('-o, --output <format>', 'output format (default: table)').choices(OUTPUT_FORMATS),
    new Option('--server <url>', 'control plane URL (default: OJA_SERVER, then the login config)'),
    new Option('--token <token>', 'API token (default: OJA_TOKEN, then the login config)'),
  ];
  options.forEach((o) => globalOptionInstances.add(o));
  return options;
}

/** Global option values: the innermost command that was given one wins. */
export function globals(cmd: Command): GlobalOptions {
  const found: Partial<GlobalOptions> = {};
  for (let c: Command | null = cmd; c; c = c.parent) {
    for (const option of c.options) {
      const key = option.attributeName() as keyof GlobalOptions;
      if (!globalOptionInstances.has(option) || found[key] !== undefined || c.getOptionValueSource(key) === undefined) continue;
      (found as Record<string, unknown>)[key] = c.getOptionValue(key);
    }
  }
  return { output: found.output ?? 'table', server: found.server, token: found.token };
}

/** A client for the server and token chosen by flags, environment or `oja login`. */
export async function connect(cmd: Command, io: Io): Promise<ApiClient> {
  const { server, token } = globals(cmd);
  const stored = await loadConfig(configPath(io.env));
  const connection = resolveConnection({ server, token }, io.env, stored);
  return new ApiClient(connection.server, connection.token);
}

/** Prints `value` in the chosen format; `asTable` is used for the table format only. */
export function show<T>(cmd: Command, io: Io, value: T, asTable: (value: T) => string): void {
  io.out(render(globals(cmd).output, value, asTable));
}

/** Prints a confirmation in table format, the API object in json/yaml. */
export function confirm<T>(cmd: Command, io: Io, value: T, message: string): void {
  show(cmd, io, value, () => message);
}

/** The action of a command on one named resource: call the API, then confirm. */
export function confirmAction<T>(io: Io, act: (client: ApiClient, name: string) => Promise<T>, message: (name: string) => string) {
  return async (name: string, _opts: unknown, cmd: Command): Promise<void> => {
    const client = await connect(cmd, io);
    confirm(cmd, io, await act(client, name), message(name));
  };
}
