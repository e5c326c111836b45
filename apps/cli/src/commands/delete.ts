import type { Command } from 'commander';
import { confirmAction, type Io } from '../context';

export function registerDelete(program: Command, io: Io): void {
  program
    .command('delete')
    .description('stop and remove a deployment and all its instances')
    .argument('<name>', 'deployment name')
    .action(
      confirmAction(
        io,
        async (client, name) => (await client.deleteDeployment(name), { name, deleted: true }),
        (name) => `deployment ${name} deleted`,
      ),
    );
}
