import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const script = join(__dirname, '..', 'check-generated.sh');

/** Runs the check with a PATH that holds only `dirname`, so protoc is absent. */
function runWithoutProtoc(env: Record<string, string>) {
  const bin = mkdtempSync(join(tmpdir(), 'no-protoc-'));
  try {
    symlinkSync('/usr/bin/dirname', join(bin, 'dirname'));
    return spawnSync('/bin/bash', [script], { env: { PATH: bin, ...env }, encoding: 'utf8' });
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
}

describe('check-generated.sh without protoc', () => {
  it('fails under CI=true: the stale-code check must not pass silently there', () => {
    const run = runWithoutProtoc({ CI: 'true' });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/protoc not installed \(CI=true\)/);
  });

  it('warns and passes outside CI', () => {
    const run = runWithoutProtoc({});
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/warning: protoc not installed/);
  });
});
