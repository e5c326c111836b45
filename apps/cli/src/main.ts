import { Command, CommanderError } from 'commander';
import { registerApply } from './commands/apply';
import { registerDelete } from './commands/delete';
import { registerDescribe } from './commands/describe';
import { registerGet } from './commands/get';
import { registerJoinToken } from './commands/join-token';
import { registerLogin } from './commands/login';
import { registerLogs } from './commands/logs';
import { registerNodes } from './commands/nodes';
import { registerRegistry } from './commands/registry';
import { registerRollout } from './commands/rollout';
import { registerScale } from './commands/scale';
import { registerTenants } from './commands/tenants';
import { globalOptions, type Io } from './context';
import { CliError } from './errors';

export function buildProgram(io: Io): Command {
  const program = new Command('oja')
    .description('oja: deploy and run containers on a cluster of nodes')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  for (const register of [
    registerLogin,
    registerApply,
    registerGet,
    registerDescribe,
    registerScale,
    registerRollout,
    registerLogs,
    registerDelete,
    registerNodes,
    registerJoinToken,
    registerRegistry,
    registerTenants,
  ]) {
    register(program, io);
  }
  globalOptions().forEach((o) => program.addOption(o));
  // Subcommands report errors the same way as the program; leaves accept the global options too.
  const inherit = (cmd: Command) => {
    cmd.exitOverride().configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
    if (cmd.commands.length === 0) {
      for (const option of globalOptions()) if (!cmd.options.some((o) => o.long === option.long)) cmd.addOption(option);
    }
    cmd.commands.forEach(inherit);
  };
  program.commands.forEach(inherit);
  return program;
}

/** Runs the CLI and returns its exit code; every failure is one line on stderr. */
export async function run(argv: string[], io: Io): Promise<number> {
  try {
    await buildProgram(io).parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode; // commander has printed its message
    if (err instanceof CliError) {
      io.err(`error: ${err.message}`);
      return err.exitCode;
    }
    io.err(`error: ${(err as Error)?.stack ?? String(err)}`);
    return 1;
  }
}

export function processIo(): Io {
  return {
    out: (text) => void process.stdout.write(text + '\n'),
    err: (text) => void process.stderr.write(text + '\n'),
    stdin: process.stdin,
    env: process.env,
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}

/** Entry point of bin/oja.js. Exits explicitly so idle keep-alive sockets don't hold the process. */
export function main(): void {
  void run(process.argv.slice(2), processIo()).then((code) => process.exit(code));
}
