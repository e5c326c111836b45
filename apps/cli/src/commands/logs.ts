import { InvalidArgumentError, type Command } from 'commander';
import { logsQuery } from '@oja/contracts';
import { parseCount } from '../args';
import { connect, globals, type Io } from '../context';
import { logLine } from '../output';

interface LogsOptions {
  follow?: boolean;
  tail?: number;
  since?: string;
  instance?: string;
  timestamps?: boolean;
}

export function registerLogs(program: Command, io: Io): void {
  program
    .command('logs')
    .description('print the logs of all replicas of a deployment, each line tagged node/instance')
    .argument('<name>', 'deployment name')
    .option('-f, --follow', 'keep streaming new lines')
    .option('--tail <n>', 'last N lines per instance', parseCount)
    .option('--since <when>', 'only lines newer than this: a duration (5m) or an RFC 3339 time', validSince)
    .option('--instance <id>', 'only this instance')
    .option('--timestamps', 'print the RFC 3339 time first')
    .action(async (name: string, opts: LogsOptions, cmd: Command) => {
      const client = await connect(cmd, io);
      const raw = globals(cmd).output !== 'table';
      for await (const entry of client.logs(name, { follow: opts.follow, tail: opts.tail, since: opts.since, instance: opts.instance })) {
        io.out(raw ? JSON.stringify(entry) : logLine(entry, Boolean(opts.timestamps)));
      }
    });
}

/** Checked with the server's own rule, then sent as written. */
function validSince(value: string): string {
  const result = logsQuery.shape.since.safeParse(value);
  if (!result.success) throw new InvalidArgumentError(`"${value}" ${result.error.issues[0].message}.`);
  return value;
}
