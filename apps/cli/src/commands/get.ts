import type { Command } from 'commander';
import type { EventView } from '@oja/contracts';
import type { ApiClient, EventsQuery } from '../client';
import { connect, globals, show, type Io } from '../context';
import { CliError } from '../errors';
import { EventCursor } from '../event-cursor';
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
/** The API's largest page: a burst is read a page at a time until a page comes back short. */
const WATCH_PAGE = 1000;
/** How far back each poll reads again, for events whose transaction committed after a later event was read. */
const WATCH_REREAD_MS = 10_000;

type EventFilter = Pick<EventsQuery, 'deployment' | 'node' | 'type'>;

export function registerGet(program: Command, io: Io): void {
  program
    .command('get')
    .description('list deployments | show deployment NAME | instances NAME | nodes | events')
    .argument('<kind>', 'deployments, deployment, instances, nodes or events')
    .argument('[name]', 'deployment name (for deployment and instances)')
    .option('--deployment <name>', 'events: only this deployment')
    .option('--node <name>', 'events: only this node')
    .option('--type <type>', 'events: only this type, e.g. instance.failed')
    .option('-w, --watch', 'events: keep printing new events')
    .action(async (kindArg: string, name: string | undefined, opts: EventFilter & { watch?: boolean }, cmd: Command) => {
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
        case 'events': {
          const filter: EventFilter = { deployment: opts.deployment, node: opts.node, type: opts.type };
          if (opts.watch) return watchEvents(cmd, io, client, filter);
          return show(cmd, io, await client.listEvents(filter), (l) => eventsTable(l.items));
        }
      }
    });
}

/** Prints the recent events oldest first, then every new one once, in id order, as they appear (until interrupted). */
async function watchEvents(cmd: Command, io: Io, client: ApiClient, filter: EventFilter): Promise<never> {
  const table = globals(cmd).output === 'table';
  if (table) io.out(eventsWatchLine('header'));
  // Without a cursor the API lists the newest first.
  const recent = (await client.listEvents(filter)).items.reverse();
  const cursor = new EventCursor(WATCH_REREAD_MS, recent.length ? BigInt(recent[0].id) - 1n : 0n);
  const print = (events: EventView[]) => {
    for (const e of events) if (cursor.take(e.id, io.now().getTime())) io.out(table ? eventsWatchLine(e) : JSON.stringify(e));
  };
  print(recent);
  for (;;) {
    await io.sleep(WATCH_INTERVAL_MS);
    let after = cursor.after(io.now().getTime());
    for (;;) {
      const { items } = await client.listEvents({ ...filter, after, limit: WATCH_PAGE });
      print(items);
      if (items.length < WATCH_PAGE) break;
      after = items[items.length - 1].id;
    }
  }
}
