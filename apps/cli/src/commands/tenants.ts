import type { Command } from 'commander';
import type { Quota } from '@oja/contracts';
import { parseCount, parseNumber } from '../args';
import { connect, show, type Io } from '../context';
import { tenantsTable } from '../output';

interface CreateOptions {
  dedicated?: boolean;
  quotaInstances?: number;
  quotaCpu?: number;
  quotaMemoryMb?: number;
}

export function registerTenants(program: Command, io: Io): void {
  const tenants = program.command('tenants').description('create and list tenants (admin)');

  tenants
    .command('create')
    .description("create a tenant and print its first token (shown once)")
    .argument('<name>', 'tenant name')
    .option('--dedicated', 'run this tenant only on nodes dedicated to it')
    .option('--quota-instances <n>', 'maximum instances', parseCount)
    .option('--quota-cpu <cores>', 'maximum CPU cores', parseNumber)
    .option('--quota-memory-mb <mb>', 'maximum memory in MiB', parseCount)
    .action(async (name: string, opts: CreateOptions, cmd: Command) => {
      const quota: Partial<Quota> = {};
      if (opts.quotaInstances !== undefined) quota.instances = opts.quotaInstances;
      if (opts.quotaCpu !== undefined) quota.cpu = opts.quotaCpu;
      if (opts.quotaMemoryMb !== undefined) quota.memoryMb = opts.quotaMemoryMb;
      const client = await connect(cmd, io);
      const answer = await client.createTenant({
        name,
        dedicated: Boolean(opts.dedicated),
        ...(Object.keys(quota).length ? { quota } : {}),
      });
      // The token alone on stdout, so `TOKEN=$(oja tenants create acme)` works; commentary on stderr.
      show(cmd, io, answer, (a) => {
        io.err(`tenant ${a.tenant.name} created; its token (shown once):`);
        return a.token;
      });
    });

  tenants
    .command('ls')
    .description('list tenants')
    .action(async (_opts, cmd: Command) => {
      const client = await connect(cmd, io);
      show(cmd, io, await client.listTenants(), (l) => tenantsTable(l.items));
    });
}
