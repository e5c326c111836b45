import type { Command } from 'commander';
import { parseDuration } from '../args';
import { connect, show, type Io } from '../context';

export function registerJoinToken(program: Command, io: Io): void {
  program
    .command('join-token')
    .description('create a one-time token for "oja-agent --join" (admin)')
    .option('--ttl <duration>', 'how long the token stays valid', parseDuration, 3600)
    .action(async (opts: { ttl: number }, cmd: Command) => {
      const client = await connect(cmd, io);
      const answer = await client.createJoinToken(opts.ttl);
      // The secret alone on stdout, so `TOKEN=$(oja join-token)` works; commentary on stderr.
      show(cmd, io, answer, (a) => {
        io.err(`join token${a.expiresAt ? ` valid until ${a.expiresAt}` : ''} (shown once):`);
        return a.token;
      });
    });
}
