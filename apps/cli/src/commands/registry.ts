import type { Command } from 'commander';
import { confirm, confirmAction, connect, show, type Io } from '../context';
import { CliError } from '../errors';
import { registryTable } from '../output';
import { readAll } from '../spec-file';

export function registerRegistry(program: Command, io: Io): void {
  const registry = program.command('registry').description('private registry credentials of your tenant');

  registry
    .command('add')
    .description('store a credential (the password is read from stdin, never from the command line)')
    .argument('<name>', 'credential name, used as registryCredential in specs')
    .requiredOption('--server <host>', 'registry host[:port]')
    .requiredOption('--username <user>', 'registry user name')
    .option('--password-stdin', 'read the password from stdin')
    .action(async (name: string, opts: { server: string; username: string; passwordStdin?: boolean }, cmd: Command) => {
      if (!opts.passwordStdin) throw new CliError('registry add needs --password-stdin (pipe the password in; it is never taken as an argument)');
      const password = (await readAll(io.stdin)).replace(/\r?\n$/, '');
      if (!password) throw new CliError('no password on stdin');
      const client = await connect(cmd, io);
      const credential = await client.addRegistryCredential({ name, server: opts.server, username: opts.username, password });
      confirm(cmd, io, credential, `registry credential ${name} stored for ${opts.server}`);
    });

  registry
    .command('ls')
    .description('list stored credentials (passwords are never shown)')
    .action(async (_opts, cmd: Command) => {
      const client = await connect(cmd, io);
      show(cmd, io, await client.listRegistryCredentials(), (l) => registryTable(l.items));
    });

  registry
    .command('rm')
    .description('delete a stored credential')
    .argument('<name>', 'credential name')
    .action(
      confirmAction(
        io,
        async (client, name) => (await client.removeRegistryCredential(name), { name, deleted: true }),
        (name) => `registry credential ${name} deleted`,
      ),
    );
}
