import type { Command } from 'commander';
import { parseCount } from '../args';
import { confirm, connect, type Io } from '../context';

export function registerScale(program: Command, io: Io): void {
  program
    .command('scale')
    .description('set the number of replicas of a deployment')
    .argument('<name>', 'deployment name')
    .requiredOption('--replicas <n>', 'desired replica count', parseCount)
    .action(async (name: string, opts: { replicas: number }, cmd: Command) => {
      const client = await connect(cmd, io);
      const d = await client.scaleDeployment(name, opts.replicas);
      confirm(cmd, io, d, `deployment ${name} scaled to ${opts.replicas}`);
    });
}
