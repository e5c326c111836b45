import type { Command } from 'commander';
import { parseCount, parseDuration } from '../args';
import { confirm, confirmAction, connect, show, type Io } from '../context';
import { CliError } from '../errors';
import { failureReason, revisionsTable, rolloutProgress } from '../output';

const POLL_INTERVAL_MS = 1000;

export function registerRollout(program: Command, io: Io): void {
  const rollout = program.command('rollout').description('watch, list, undo, pause or resume rollouts');

  rollout
    .command('status')
    .description('wait until the rollout completes (exit 0) or fails (exit 1), printing progress')
    .argument('<name>', 'deployment name')
    .option('--timeout <duration>', 'give up after this long (e.g. 90s, 10m)', parseDuration, 600)
    .action(async (name: string, opts: { timeout: number }, cmd: Command) => {
      const client = await connect(cmd, io);
      const deadline = io.now().getTime() + opts.timeout * 1000;
      let lastLine = '';
      let watched: number | undefined;
      for (;;) {
        const d = await client.getDeployment(name);
        // Auto-rollback replaces a failed revision by a new one at once: the revision watched failed all the same.
        if (watched !== undefined && d.revision !== watched) {
          const { items } = await client.listEvents({ deployment: name, limit: 20 });
          const rolledBack = items.find((e) => e.type === 'rollout.rolledback' && e.message.startsWith(`revision ${watched} failed`));
          if (rolledBack) throw new CliError(`deployment ${name} rollout failed: ${rolledBack.message}`);
        }
        watched = d.revision;
        const line = rolloutProgress(d);
        if (line !== lastLine) io.out(line);
        lastLine = line;
        if (d.status.phase === 'complete' && !d.paused) {
          io.out(`deployment ${name} successfully rolled out (revision ${d.revision})`);
          return;
        }
        if (d.status.phase === 'failed') throw new CliError(`deployment ${name} rollout failed: ${failureReason(d)}`);
        if (io.now().getTime() >= deadline) {
          throw new CliError(`timed out after ${opts.timeout}s waiting for deployment ${name} to roll out`);
        }
        await io.sleep(POLL_INTERVAL_MS);
      }
    });

  rollout
    .command('history')
    .description('list the revisions of a deployment')
    .argument('<name>', 'deployment name')
    .action(async (name: string, _opts, cmd: Command) => {
      const client = await connect(cmd, io);
      show(cmd, io, await client.listRevisions(name), (l) => revisionsTable(l.items));
    });

  rollout
    .command('undo')
    .description('roll back to the previous revision, or to --to-revision N')
    .argument('<name>', 'deployment name')
    .option('--to-revision <n>', 'revision to restore', parseCount)
    .action(async (name: string, opts: { toRevision?: number }, cmd: Command) => {
      const client = await connect(cmd, io);
      const d = await client.rollback(name, opts.toRevision);
      const target = opts.toRevision === undefined ? 'the previous revision' : `revision ${opts.toRevision}`;
      confirm(cmd, io, d, `deployment ${name} rolled back to ${target} (now revision ${d.revision})`);
    });

  rollout
    .command('pause')
    .description('pause the rollout of a deployment')
    .argument('<name>', 'deployment name')
    .action(confirmAction(io, (client, name) => client.pause(name), (name) => `deployment ${name} paused`));

  rollout
    .command('resume')
    .description('resume a paused rollout')
    .argument('<name>', 'deployment name')
    .action(confirmAction(io, (client, name) => client.resume(name), (name) => `deployment ${name} resumed`));
}
