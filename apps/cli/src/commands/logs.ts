import type { Command } from 'commander';
import { parseCount, parseDuration } from '../args';
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
    .option('--since <duration>', 'only lines newer than this (e.g. 5m)', validDuration)
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

/** Checks the duration here but sends it as written; the server parses it. */
function validDuration(value: string): string {
  parseDuration(value);
  return value;
}
