import type { Command } from 'commander';
import { connect, show, type Io } from '../context';
import { CliError } from '../errors';
import { describeDeployment } from '../output';

const RECENT_EVENTS = 10;

export function registerDescribe(program: Command, io: Io): void {
  program
    .command('describe')
    .description('describe deployment NAME: spec, status, conditions, instances, recent events')
    .argument('<kind>', 'deployment')
    .argument('<name>', 'deployment name')
    .action(async (kind: string, name: string, _opts, cmd: Command) => {
      if (kind !== 'deployment' && kind !== 'deployments' && kind !== 'deploy') {
        throw new CliError(`cannot describe "${kind}": only "deployment NAME" is supported`);
      }
      const client = await connect(cmd, io);
      const deployment = await client.getDeployment(name);
      const [instances, events] = await Promise.all([
        client.listInstances(name),
        client.listEvents({ deployment: name, limit: RECENT_EVENTS }),
      ]);
      show(cmd, io, { deployment, instances: instances.items, events: events.items }, (v) =>
        describeDeployment(v.deployment, v.instances, v.events),
      );
    });
}
