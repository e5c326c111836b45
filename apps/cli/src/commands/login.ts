import type { Command } from 'commander';
import { ApiClient } from '../client';
import { configPath, normalizeServer, saveConfig } from '../config';
import { globals, type Io } from '../context';
import { CliError } from '../errors';

export function registerLogin(program: Command, io: Io): void {
  program
    .command('login')
    .description('verify a token against the control plane and store it (uses the global --server and --token)')
    .action(async (_opts, cmd: Command) => {
      const flags = globals(cmd);
      const server = flags.server || io.env.OJA_SERVER;
      const token = flags.token || io.env.OJA_TOKEN;
      if (!server || !token) throw new CliError('login needs --server URL and --token T (or OJA_SERVER and OJA_TOKEN)');
      const client = new ApiClient(normalizeServer(server), token);
      await client.verifyToken();
      const path = configPath(io.env);
      await saveConfig(path, { server: client.server, token });
      io.out(`logged in to ${client.server} (config written to ${path})`);
    });
}
