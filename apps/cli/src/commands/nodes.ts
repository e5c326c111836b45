import type { Command } from 'commander';
import { confirm, confirmAction, connect, show, type Io } from '../context';
import { nodesTable } from '../output';

export function registerNodes(program: Command, io: Io): void {
  const nodes = program.command('nodes').description('list, drain, dedicate and remove nodes (admin)');

  nodes
    .command('ls')
    .description('list nodes')
    .action(async (_opts, cmd: Command) => {
      const client = await connect(cmd, io);
      show(cmd, io, await client.listNodes(), (l) => nodesTable(l.items, io.now()));
    });

  nodes
    .command('drain')
    .description('move every instance off a node and keep new ones away')
    .argument('<name>', 'node name')
    .action(confirmAction(io, (client, name) => client.drainNode(name), (name) => `node ${name} draining`));

  nodes
    .command('undrain')
    .description('let a drained node take instances again')
    .argument('<name>', 'node name')
    .action(confirmAction(io, (client, name) => client.undrainNode(name), (name) => `node ${name} ready`));

  nodes
    .command('rm')
    .description('forget a node that left (down or drained): its overlay subnet is freed')
    .argument('<name>', 'node name')
    .action(
      confirmAction(
        io,
        async (client, name) => (await client.removeNode(name), { name, deleted: true }),
        (name) => `node ${name} removed`,
      ),
    );

  nodes
    .command('dedicate')
    .description("reserve a node for one tenant (other tenants' instances move away)")
    .argument('<name>', 'node name')
    .requiredOption('--tenant <tenant>', 'tenant name')
    .action(async (name: string, opts: { tenant: string }, cmd: Command) => {
      const client = await connect(cmd, io);
      confirm(cmd, io, await client.dedicateNode(name, opts.tenant), `node ${name} dedicated to tenant ${opts.tenant}`);
    });

  nodes
    .command('undedicate')
    .description('open a dedicated node to every tenant again')
    .argument('<name>', 'node name')
    .action(confirmAction(io, (client, name) => client.undedicateNode(name), (name) => `node ${name} no longer dedicated`));
}
