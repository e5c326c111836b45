import type { Command } from 'commander';
import { connect, show, type Io } from '../context';
import { parseSpec, readSpecSource } from '../spec-file';

export function registerApply(program: Command, io: Io): void {
  program
    .command('apply')
    .description('create or update a deployment from a YAML or JSON spec file ("-" reads stdin)')
    .requiredOption('-f, --filename <file>', 'spec file, or - for stdin')
    .action(async (opts: { filename: string }, cmd: Command) => {
      const source = opts.filename === '-' ? 'stdin' : opts.filename;
      const spec = parseSpec(await readSpecSource(opts.filename, io.stdin), source);
      const client = await connect(cmd, io);
      // Read first to tell "created", "configured" and "unchanged" apart, as kubectl apply does.
      const before = await client.findDeployment(spec.name);
      const after = await client.applyDeployment(spec.name, spec);
      show(cmd, io, after, (d) => {
        if (!before) return `deployment ${d.name} created (revision ${d.revision})`;
        if (before.revision === d.revision && before.replicas === d.replicas) return `deployment ${d.name} unchanged`;
        return `deployment ${d.name} configured (revision ${d.revision})`;
      });
    });
}
