import type { Command } from 'commander';
import type { ApiClient } from '../client';
import { connect, globals, show, type Io } from '../context';
import { CliError } from '../errors';
import { deploymentsTable, eventsTable, eventsWatchLine, instancesTable, nodesTable } from '../output';

const KINDS: Record<string, 'deployments' | 'deployment' | 'instances' | 'nodes' | 'events'> = {
  deployments: 'deployments',
  deploy: 'deployments',
  deployment: 'deployment',
  instances: 'instances',
  instance: 'instances',
  nodes: 'nodes',
  node: 'nodes',
  events: 'events',
  event: 'events',
};

const WATCH_INTERVAL_MS = 1000;

export function registerGet(program: Command, io: Io): void {
  program
    .command('get')
    .description('list deployments | show deployment NAME | instances NAME | nodes | events')
    .argument('<kind>', 'deployments, deployment, instances, nodes or events')
    .argument('[name]', 'deployment name (for deployment and instances)')
    .option('--deployment <name>', 'events: only this deployment')
    .option('-w, --watch', 'events: keep printing new events')
    .action(async (kindArg: string, name: string | undefined, opts: { deployment?: string; watch?: boolean }, cmd: Command) => {
      const kind = KINDS[kindArg];
      if (!kind) throw new CliError(`unknown kind "${kindArg}": use deployments, deployment NAME, instances NAME, nodes or events`);
      if ((kind === 'deployment' || kind === 'instances') && !name) throw new CliError(`get ${kindArg} needs a deployment name`);
      const client = await connect(cmd, io);
      switch (kind) {
        case 'deployments':
          return show(cmd, io, await client.listDeployments(), (l) => deploymentsTable(l.items));
        case 'deployment':
          return show(cmd, io, await client.getDeployment(name!), (d) => deploymentsTable([d]));
        case 'instances':
          return show(cmd, io, await client.listInstances(name!), (l) => instancesTable(l.items));
        case 'nodes':
          return show(cmd, io, await client.listNodes(), (l) => nodesTable(l.items, io.now()));
        case 'events':
          if (opts.watch) return watchEvents(cmd, io, client, opts.deployment);
          return show(cmd, io, await client.listEvents({ deployment: opts.deployment }), (l) => eventsTable(l.items));
      }
    });
}

/** Prints the recent events oldest first, then new ones as they appear (until interrupted). */
async function watchEvents(cmd: Command, io: Io, client: ApiClient, deployment: string | undefined): Promise<never> {
  const table = globals(cmd).output === 'table';
  if (table) io.out(eventsWatchLine('header'));
  let last = -1n;
  for (;;) {
    const { items } = await client.listEvents({ deployment });
    // The API lists newest first; print oldest first, only what was not printed yet.
    const fresh = items.filter((e) => BigInt(e.id) > last).reverse();
    for (const e of fresh) {
      io.out(table ? eventsWatchLine(e) : JSON.stringify(e));
      last = BigInt(e.id);
    }
    await io.sleep(WATCH_INTERVAL_MS);
  }
}
