import type { Command } from 'commander';
import { confirm, connect, type Io } from '../context';

export function registerDelete(program: Command, io: Io): void {
  program
    .command('delete')
    .description('stop and remove a deployment and all its instances')
    .argument('<name>', 'deployment name')
    .action(async (name: string, _opts, cmd: Command) => {
      const client = await connect(cmd, io);
      await client.deleteDeployment(name);
      confirm(cmd, io, { name, deleted: true }, `deployment ${name} deleted`);
    });
}
